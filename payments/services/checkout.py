"""Checkout: pay for a held time, then confirm it.

Platform credit applies first (never leaving a card charge under Stripe's $0.50), the rest goes on
one of the student's saved cards. A lesson that starts within the authorization window (24 hours)
is authorized now, synchronously, with the student there: a decline (PaymentDeclined) or a bank
check (AuthenticationNeeded) keeps them in checkout, with the slot still held, to pick or add
another card or answer their bank; nothing says "booked" until the money is secured. A later
lesson is authorized 24 hours before it starts (lifecycle's sweep).

Locks: the booking row, then its payment row, as everywhere.
"""

from django.db import transaction

from accounts.models import User
from bookings import policies
from bookings import services as booking_services
from bookings.models import Booking, BookingPayment, BookingStatus, PaymentStatus
from bookings.satellites import ensure_payment
from core import ratelimit
from core.exceptions import Forbidden
from core.timeutil import now as current_time

from .. import credits
from ..errors import CardRequired
from ..models import AuthorizationChannel, SavedCard
from ..selectors import checkout_card
from . import lifecycle
from .cards import ensure_customer

MIN_CARD_CHARGE_CENTS = 50  # Stripe's smallest USD charge


def usable_credit(balance: int, price: int) -> int:
    """Credit first, but never leave a card charge below Stripe's minimum: either the credit
    covers the whole price or the card pays at least MIN_CARD_CHARGE_CENTS."""
    credit = min(balance, price)
    if 0 < price - credit < MIN_CARD_CHARGE_CENTS:
        credit = max(0, price - MIN_CARD_CHARGE_CENTS)
    return credit


def checkout_booking(
    *,
    booking: Booking,
    student: User,
    location_type: str,
    address: str = "",
    note: str = "",
    payment_method_id: str | None = None,
    use_credit: bool = True,
    authenticated: bool = False,
) -> Booking:
    """Plan the payment, secure it when the lesson is near, then confirm the booking (or send the
    request). `authenticated`: the student has just passed their bank's check for this payment.
    Confirming twice returns the booking as it is."""
    if booking.student_id != student.pk:
        raise Forbidden("This is not your booking.")
    ratelimit.enforce_money_path("checkout", student)
    booking_services.check_checkout_choices(booking, location_type=location_type, address=address)
    payment = _plan(booking, student, payment_method_id=payment_method_id, use_credit=use_credit)
    if payment is not None:
        _secure(payment, authenticated=authenticated)
    return booking_services.confirm_booking(
        booking=booking, student=student, location_type=location_type, address=address, note=note
    )


def _plan(booking: Booking, student: User, *, payment_method_id: str | None, use_credit: bool):
    """Record how the lesson will be paid (credit spent now, the card chosen): the locked payment's
    id, or None when there is nothing to pay for any more (checkout already finished, or the hold
    ran out: confirm_booking answers those)."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("student").get(pk=booking.pk)
        if locked.status != BookingStatus.HELD or locked.hold_expires_at <= current_time():
            return None
        payment = BookingPayment.objects.select_for_update().get(pk=ensure_payment(locked).pk)
        if payment.status == PaymentStatus.AUTHORIZED:
            return payment  # secured by an earlier attempt (a second click)
        if use_credit and payment.credit_applied_cents == 0:
            credit = usable_credit(credits.balance(student), payment.amount_cents)
            if credit > 0:
                credits.spend(user=student, amount_cents=credit, booking=locked, note=locked.service_name)
                payment.credit_applied_cents = credit
        if payment.card_cents > 0:
            waiting_on_bank = payment.payment_method_id if payment.status == PaymentStatus.ACTION_REQUIRED else None
            card = checkout_card(student, payment_method_id or waiting_on_bank)
            if card is None:
                raise CardRequired(fields={"payment_method": "Choose or add a card."})
            payment.payment_method_id = card.payment_method_id
            payment.customer_id = ensure_customer(student)
        payment.save(update_fields=["credit_applied_cents", "payment_method_id", "customer_id", "updated_at"])
        return payment


def _secure(payment: BookingPayment, *, authenticated: bool) -> None:
    """Authorize now when the lesson is within the window (committed whatever the bank says, so a
    decline is on record), then raise what the student must do if it did not go through."""
    now = current_time()
    with transaction.atomic():
        payment = lifecycle.locked_payment(payment.pk)
        booking = payment.booking
        due = policies.authorization_due(lesson_start=booking.start_at, now=now)
        if not payment.card_cents or not due or payment.status == PaymentStatus.AUTHORIZED:
            return
        if booking.status != BookingStatus.HELD or booking.hold_expires_at <= now:
            return  # the hold ran out meanwhile: confirm_booking says so
        if authenticated and payment.status == PaymentStatus.ACTION_REQUIRED:
            if lifecycle.adopt_authenticated_intent(payment, now):
                return
        elif payment.status != PaymentStatus.PENDING:
            lifecycle.restart_after_failure(payment)  # a new attempt (the same card again, or another)
        if payment.status == PaymentStatus.PENDING:
            lifecycle.authorize(payment, now, on_session=True, channel=AuthorizationChannel.CHECKOUT)
    lifecycle.raise_for_failure(payment)  # still waiting on the bank for the same intent, or declined


def fix_payment(
    *, booking: Booking, user: User, payment_method_id: str | None = None, authenticated: bool = False
) -> BookingPayment:
    """The student answers a failed authorization (the fix-payment page): passed their bank's
    check, or chose another of their saved cards, or tries the same card again."""
    if booking.student_id != user.pk:
        raise Forbidden("This is not your lesson.")
    ratelimit.enforce_money_path("payment_retry", user)
    if payment_method_id and not SavedCard.objects.filter(user=user, payment_method_id=payment_method_id).exists():
        raise CardRequired("Choose one of your saved cards.", fields={"payment_method": "Choose a card."})
    return lifecycle.retry_authorization(
        booking=booking,
        payment_method_id=payment_method_id,
        channel=AuthorizationChannel.STUDENT_FIX,
        authenticated=authenticated,
    )
