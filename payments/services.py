"""Money for lessons.

Booking transitions only record decisions (through bookings.payment_seam: which card, how
much credit, charge or release). Every movement of money happens here, in `advance_payment`,
run by beat tasks and kicked after commits: one payment at a time under a row lock, each
gateway call with an idempotency key derived from the booking, the operation and the
attempt, so a retry, a crash after Stripe answered, or a duplicate task never charges,
captures or pays out twice.

Timeline: authorize the card at T-24h (at once when the lesson is sooner), capture 24h after
the lesson ends, then transfer the instructor's share (price - platform fee) to their Connect
account. A failed authorization gives the student until T-12h to fix it; then the lesson is
cancelled.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from accounts.models import User
from bookings import policies
from bookings.models import (
    Booking,
    BookingLock,
    BookingPayment,
    BookingStatus,
    BookingTransfer,
    LockResolution,
    NoShowResolution,
    NoShowType,
    Party,
    PaymentStatus,
    Settlement,
)
from bookings.satellites import ensure_payment, ensure_transfer
from core.exceptions import Conflict, Forbidden
from core.timeutil import now as current_time
from instructors.models import InstructorProfile

from . import credits
from .errors import CardInUse, CardRequired, PaymentDeclined, RefundTooLarge
from .gateway import (
    AccountResult,
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    InvalidRequest,
    TransientGatewayError,
    get_gateway,
    idempotency_key,
)
from .models import ConnectAccount, ConnectStatus, CreditReason, SavedCard, StripeCustomer

log = logging.getLogger("payments")

AUTHORIZE_BEFORE = dt.timedelta(hours=24)
CAPTURE_AFTER = dt.timedelta(hours=24)
PAY_BY_BEFORE = dt.timedelta(hours=12)
RETRY_BACKOFF_SECONDS = (60, 300, 900, 3600)
MIN_CARD_CHARGE_CENTS = 50  # Stripe's smallest USD charge
FINAL_STATUSES = (PaymentStatus.RELEASED, PaymentStatus.REFUNDED, PaymentStatus.NOT_CHARGED)


# --- customers and cards -----------------------------------------------------------------------


def ensure_customer(user: User) -> str:
    existing = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True).first()
    if existing:
        return existing
    customer = get_gateway().create_customer(
        email=user.email,
        name=user.get_full_name(),
        user_id=user.pk,
        idempotency_key=idempotency_key("customer", user.pk),
    )
    StripeCustomer.objects.get_or_create(user=user, defaults={"customer_id": customer.id})
    return StripeCustomer.objects.get(user=user).customer_id


@transaction.atomic
def save_card(*, user: User, payment_method_id: str) -> SavedCard:
    """Attach a card (set up for off-session use) to the user's customer and keep it."""
    customer_id = ensure_customer(user)
    details = get_gateway().attach_payment_method(customer_id=customer_id, payment_method_id=payment_method_id)
    card, _ = SavedCard.objects.get_or_create(
        payment_method_id=details.payment_method_id,
        defaults={
            "user": user,
            "brand": details.brand,
            "last4": details.last4,
            "exp_month": details.exp_month,
            "exp_year": details.exp_year,
            "is_default": not SavedCard.objects.filter(user=user).exists(),
        },
    )
    return card


@transaction.atomic
def set_default_card(*, user: User, card: SavedCard) -> None:
    SavedCard.objects.filter(user=user, is_default=True).exclude(pk=card.pk).update(is_default=False)
    SavedCard.objects.filter(pk=card.pk, user=user).update(is_default=True)


@transaction.atomic
def remove_card(*, user: User, card: SavedCard) -> None:
    """Detach a card; one that upcoming lessons will be authorized on stays until they are."""
    from .selectors import lessons_waiting_on_card  # noqa: PLC0415 - selectors import this module's models

    if lessons_waiting_on_card(card):
        raise CardInUse(f"{card} still pays for upcoming lessons, so it can't be removed yet.")
    get_gateway().detach_payment_method(payment_method_id=card.payment_method_id)
    was_default = card.is_default
    card.delete()
    newest = SavedCard.objects.filter(user=user).order_by("-created_at").first()
    if was_default and newest is not None:
        set_default_card(user=user, card=newest)


# --- checkout (called inside confirm_booking's transaction, through the seam) ------------------------


def prepare_checkout(*, booking: Booking, payment_method_id: str | None, use_credit: bool = True) -> BookingPayment:
    """Record how the lesson will be paid: platform credit first, the rest on a saved card.
    Nothing is charged now; the card is authorized 24 hours before the lesson."""
    payment = BookingPayment.objects.select_for_update().get(pk=ensure_payment(booking).pk)
    student = booking.student
    if use_credit and payment.credit_applied_cents == 0:
        available = _usable_credit(credits.balance(student), payment.amount_cents)
        if available > 0:
            credits.spend(user=student, amount_cents=available, booking=booking, note=booking.service_name)
            payment.credit_applied_cents = available
    if payment.card_cents > 0:
        cards = SavedCard.objects.filter(user=student)
        card = cards.filter(payment_method_id=payment_method_id).first() if payment_method_id else None
        card = card or (None if payment_method_id else cards.filter(is_default=True).first())
        if card is None:
            raise CardRequired(fields={"payment_method": "Choose or add a card."})
        payment.payment_method_id = card.payment_method_id
        payment.customer_id = ensure_customer(student)
    payment.save(update_fields=["credit_applied_cents", "payment_method_id", "customer_id", "updated_at"])
    return payment


def _usable_credit(balance: int, price: int) -> int:
    """Credit first, but never leave a card charge below Stripe's minimum: either the credit
    covers the whole price or the card pays at least MIN_CARD_CHARGE_CENTS."""
    credit = min(balance, price)
    if 0 < price - credit < MIN_CARD_CHARGE_CENTS:
        credit = max(0, price - MIN_CARD_CHARGE_CENTS)
    return credit


def kick(booking_id: str) -> None:
    """After a commit: try to move the booking's money on at once (the beat task retries)."""
    payment_id = BookingPayment.objects.filter(booking_id=booking_id).values_list("pk", flat=True).first()
    if payment_id:
        transaction.on_commit(lambda: _safely_advance(payment_id))


def _safely_advance(payment_id: str) -> None:
    try:
        advance_payment(payment_id)
    except Exception:  # the beat task will try again; a kick must never break the request
        log.exception("advancing payment %s failed; the beat task retries", payment_id)


def decide(booking: Booking, settlement: str) -> None:
    """Record the policy's decision for a booking that ended (seam, inside its transaction)."""
    payment = ensure_payment(booking)
    if not payment.settlement:
        payment.settlement = settlement
        payment.save(update_fields=["settlement", "updated_at"])
    kick(booking.pk)


# --- the state machine ---------------------------------------------------------------------------


def advance_payment(payment_id: str, *, now: dt.datetime | None = None) -> list[str]:
    """Take every step this payment is due for now; returns the steps taken. Each step is
    its own transaction with the payment row locked, so a crash between steps loses nothing."""
    steps = []
    for _ in range(6):  # authorize → capture → transfer is the longest path; the bound guards loops
        step = _advance_once(payment_id, now or current_time())
        if step is None:
            break
        steps.append(step)
    return steps


def _advance_once(payment_id: str, now: dt.datetime) -> str | None:
    with transaction.atomic():
        payment = (
            BookingPayment.objects.select_for_update(of=("self",))
            .select_related("booking__student", "booking__instructor__user")
            .get(pk=payment_id)
        )
        _settle_if_due(payment, now)
        step = _next_step(payment, now)
        if step is not None:
            STEPS[step](payment, now)
        return step


def _settle_if_due(payment: BookingPayment, now: dt.datetime) -> None:
    """Decide charge or release once the lesson's outcome is known."""
    if payment.settlement:
        return
    booking = payment.booking
    outcome = None
    if booking.status == BookingStatus.COMPLETED and now >= booking.end_at + CAPTURE_AFTER:
        outcome = Settlement.CHARGE
    elif booking.status == BookingStatus.NO_SHOW:
        no_show = getattr(booking, "no_show", None)
        if no_show is not None and no_show.resolution == NoShowResolution.UPHELD:
            student_missed = no_show.no_show_type == NoShowType.STUDENT
            outcome = Settlement.CHARGE if student_missed else Settlement.RELEASE
    elif booking.status in (BookingStatus.DECLINED, BookingStatus.EXPIRED):
        outcome = Settlement.RELEASE
    if outcome:
        payment.settlement = outcome
        payment.save(update_fields=["settlement", "updated_at"])


def _next_step(payment: BookingPayment, now: dt.datetime) -> str | None:
    booking = payment.booking
    card_held = payment.status == PaymentStatus.AUTHORIZED
    if payment.settlement == Settlement.RELEASE:
        if card_held:
            return "release"
        if payment.status == PaymentStatus.CAPTURED and payment.refunded_cents < payment.captured_cents:
            return "refund_all"
        if payment.credit_returned_cents < payment.credit_applied_cents:
            return "return_credit"
        if payment.status not in FINAL_STATUSES:
            return "close"
        return None
    if payment.settlement == Settlement.CHARGE:
        if payment.card_cents and payment.status == PaymentStatus.PENDING and _may_try(payment, now):
            return "authorize"
        if card_held or (not payment.card_cents and payment.status == PaymentStatus.PENDING):
            return "capture"
        if _lock_pending(payment):
            return "resolve_lock" if _lock_outcome(payment) else None
        if (payment.status == PaymentStatus.CAPTURED or not payment.card_cents) and _transfer_due(payment):
            return "transfer"
        return None
    if booking.status == BookingStatus.CONFIRMED:
        if payment.status in (PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED):
            return "cancel_unpaid" if payment.pay_by and now >= payment.pay_by else None
        authorization_due = now >= booking.start_at - AUTHORIZE_BEFORE
        if payment.card_cents and payment.status == PaymentStatus.PENDING and authorization_due:
            return "authorize" if _may_try(payment, now) else None
    return None


def _may_try(payment: BookingPayment, now: dt.datetime) -> bool:
    return payment.next_attempt_at is None or payment.next_attempt_at <= now


def _lock_pending(payment: BookingPayment) -> bool:
    return BookingLock.objects.filter(booking_id=payment.booking_id, resolution=LockResolution.PENDING).exists()


def _lock_outcome(payment: BookingPayment) -> str | None:
    """Locked funds (a late reschedule) follow the lesson they moved to: paid to the instructor
    once it happens or the student drops it; refunded if the instructor's side fails it."""
    latest = payment.booking
    while (move := getattr(latest, "reschedule", None)) is not None:
        latest = move.rescheduled_to
    if latest.status in (BookingStatus.COMPLETED,):
        return LockResolution.PAID_TO_INSTRUCTOR
    if latest.status == BookingStatus.CANCELLED:
        student_dropped = latest.cancelled_by == Party.STUDENT
        return LockResolution.PAID_TO_INSTRUCTOR if student_dropped else LockResolution.REFUNDED
    if latest.status in (BookingStatus.DECLINED, BookingStatus.EXPIRED):
        return LockResolution.REFUNDED
    if latest.status == BookingStatus.NO_SHOW:
        no_show = getattr(latest, "no_show", None)
        if no_show is not None and no_show.resolution == NoShowResolution.UPHELD:
            return (
                LockResolution.PAID_TO_INSTRUCTOR
                if no_show.no_show_type == NoShowType.STUDENT
                else LockResolution.REFUNDED
            )
    return None


def _resolve_lock(payment: BookingPayment, now: dt.datetime) -> None:
    lock = BookingLock.objects.select_for_update().get(booking_id=payment.booking_id)
    lock.resolution, lock.resolved_at = _lock_outcome(payment), now
    lock.save()
    if lock.resolution == LockResolution.REFUNDED:
        payment.settlement = Settlement.RELEASE
        payment.save()


def _transfer_due(payment: BookingPayment) -> bool:
    transfer = BookingTransfer.objects.filter(booking_id=payment.booking_id).first()
    if transfer is not None and transfer.transferred_at:
        return False
    lock = BookingLock.objects.filter(booking_id=payment.booking_id).first()
    return lock is None or lock.resolution == LockResolution.PAID_TO_INSTRUCTOR


# --- steps -----------------------------------------------------------------------------------------


def _authorize(payment: BookingPayment, now: dt.datetime) -> None:
    booking = payment.booking
    payment.attempts += 1
    try:
        result = get_gateway().authorize(
            customer_id=payment.customer_id,
            payment_method_id=payment.payment_method_id,
            amount_cents=payment.card_cents,
            booking_id=booking.pk,
            off_session=True,
            idempotency_key=idempotency_key("authorize", booking.pk, payment.attempts),
        )
    except TransientGatewayError as error:
        _retry_later(payment, now, error)
        return
    except (AuthenticationRequired, CardDeclined) as error:
        _authorization_failed(payment, now, error)
        return
    payment.status = PaymentStatus.AUTHORIZED
    payment.payment_intent_id = result.id
    # Added up: a hold that lapsed and was authorized again counts twice, once released.
    payment.authorized_cents += result.amount_capturable_cents or payment.card_cents
    payment.authorized_at = now
    payment.failure_code = payment.failure_message = ""
    payment.next_attempt_at = payment.pay_by = None
    payment.save()


def _retry_later(payment: BookingPayment, now: dt.datetime, error: GatewayError) -> None:
    delay = RETRY_BACKOFF_SECONDS[min(payment.attempts, len(RETRY_BACKOFF_SECONDS)) - 1]
    payment.next_attempt_at = now + dt.timedelta(seconds=delay)
    payment.failure_code, payment.failure_message = "transient", str(error)[:300]
    payment.save()
    log.warning("payment %s: transient gateway error, retrying at %s: %s", payment.pk, payment.next_attempt_at, error)


def _authorization_failed(payment: BookingPayment, now: dt.datetime, error: GatewayError) -> None:
    needs_action = isinstance(error, AuthenticationRequired)
    payment.status = PaymentStatus.ACTION_REQUIRED if needs_action else PaymentStatus.FAILED
    payment.payment_intent_id = getattr(error, "intent_id", "") or payment.payment_intent_id
    payment.failure_code = getattr(error, "decline_code", "") or error.code or "card_declined"
    payment.failure_message = str(error)[:300]
    payment.failed_at = now
    payment.pay_by = max(now, payment.booking.start_at - PAY_BY_BEFORE)
    payment.save()
    from .notices import email_payment_problem  # noqa: PLC0415 - notices import services' helpers

    transaction.on_commit(lambda: email_payment_problem(payment.booking_id))


def _capture(payment: BookingPayment, now: dt.datetime) -> None:
    if not payment.card_cents:  # paid in full with credit: nothing to take from a card
        payment.status, payment.captured_at = PaymentStatus.CAPTURED, now
        payment.save()
        return
    gateway = get_gateway()
    try:
        intent = gateway.retrieve_intent(intent_id=payment.payment_intent_id)
    except TransientGatewayError as error:
        _retry_later(payment, now, error)
        return
    if intent.is_canceled:  # the hold lapsed (Stripe cancels uncaptured holds after 7 days): authorize again
        payment.status, payment.released_cents = PaymentStatus.PENDING, payment.authorized_cents
        payment.save()
        return
    if not intent.is_captured:
        try:
            intent = gateway.capture(
                intent_id=payment.payment_intent_id,
                amount_cents=payment.card_cents,
                idempotency_key=idempotency_key("capture", payment.booking_id, payment.attempts),
            )
        except TransientGatewayError as error:
            payment.attempts += 1  # Stripe remembers a failed key: the next try needs a new one
            _retry_later(payment, now, error)
            return
    payment.status = PaymentStatus.CAPTURED
    payment.captured_cents = intent.amount_received_cents or payment.card_cents
    payment.released_cents = payment.authorized_cents - payment.captured_cents
    payment.captured_at = now
    payment.next_attempt_at = None
    payment.save()


def _release(payment: BookingPayment, now: dt.datetime) -> None:
    gateway = get_gateway()
    try:
        gateway.cancel_authorization(
            intent_id=payment.payment_intent_id, idempotency_key=idempotency_key("release", payment.booking_id)
        )
    except InvalidRequest:
        if not gateway.retrieve_intent(intent_id=payment.payment_intent_id).is_canceled:
            raise  # anything but "already released" is for staff to look at
    payment.status = PaymentStatus.RELEASED
    payment.released_cents = payment.authorized_cents
    payment.save()


def _refund_all(payment: BookingPayment, now: dt.datetime) -> None:
    _refund_card(payment, payment.captured_cents - payment.refunded_cents, now)


def _refund_card(payment: BookingPayment, amount_cents: int, now: dt.datetime) -> None:
    get_gateway().refund(
        intent_id=payment.payment_intent_id,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key("refund", payment.booking_id, payment.refunded_cents, amount_cents),
    )
    payment.refunded_cents += amount_cents
    if payment.refunded_cents == payment.captured_cents:
        payment.status = PaymentStatus.REFUNDED
    payment.save()


def _return_credit(payment: BookingPayment, now: dt.datetime) -> None:
    amount = payment.credit_applied_cents - payment.credit_returned_cents
    credits.grant(
        user=payment.booking.student,
        amount_cents=amount,
        reason=CreditReason.RETURNED,
        booking=payment.booking,
        note=payment.booking.service_name,
    )
    payment.credit_returned_cents += amount
    payment.save()


def _close(payment: BookingPayment, now: dt.datetime) -> None:
    payment.status = PaymentStatus.NOT_CHARGED if not payment.captured_cents else payment.status
    payment.save()


def _transfer(payment: BookingPayment, now: dt.datetime) -> None:
    booking = payment.booking
    transfer = ensure_transfer(booking)
    kept = payment.captured_cents + payment.credit_applied_cents - payment.refunded_cents
    kept -= payment.credit_returned_cents
    fee = policies.platform_fee_cents(kept)
    account = ConnectAccount.objects.filter(instructor=booking.instructor).first()
    transfer.platform_fee_cents, transfer.payout_cents = fee, kept - fee
    hold = _payout_hold_reason(account)
    if hold or transfer.payout_cents == 0:
        transfer.on_hold_reason = hold
        transfer.save()
        return
    gateway = get_gateway()
    earlier = gateway.transfers_for_booking(booking_id=booking.pk)  # a crash after Stripe paid, before our commit
    result = (
        earlier[0]
        if earlier
        else gateway.transfer(
            amount_cents=transfer.payout_cents,
            destination_account_id=account.account_id,
            booking_id=booking.pk,
            idempotency_key=idempotency_key("transfer", booking.pk),
        )
    )
    transfer.transfer_id, transfer.transferred_at, transfer.on_hold_reason = result.id, now, ""
    transfer.save()


def _payout_hold_reason(account: ConnectAccount | None) -> str:
    """Conservative: an unknown or restricted account is not paid; the transfer waits."""
    if account is None:
        return "The instructor has not connected a payout account yet."
    if not account.ready_for_payouts:
        return f"The instructor's payout account is {account.get_status_display().lower()}."
    return ""


def _cancel_unpaid(payment: BookingPayment, now: dt.datetime) -> None:
    from bookings.services import cancel_unpaid_booking  # noqa: PLC0415 - bookings calls payments too

    from .notices import email_unpaid_cancellation  # noqa: PLC0415

    cancel_unpaid_booking(booking=payment.booking)  # its seam hook records the release
    payment.refresh_from_db()
    booking_id = payment.booking_id
    transaction.on_commit(lambda: email_unpaid_cancellation(booking_id))


STEPS = {
    "authorize": _authorize,
    "capture": _capture,
    "release": _release,
    "refund_all": _refund_all,
    "return_credit": _return_credit,
    "close": _close,
    "transfer": _transfer,
    "cancel_unpaid": _cancel_unpaid,
    "resolve_lock": _resolve_lock,
}


# --- rescheduling (called by the seam inside reschedule_booking's transaction) -----------------------


def move_payment(*, old: Booking, new: Booking, lock_funds: bool) -> None:
    """A free reschedule carries the payment (card, credit, any authorization) to the new
    lesson. A late one charges the original lesson now and locks the money until the new
    lesson resolves; the new lesson is then already paid for."""
    source = BookingPayment.objects.select_for_update().get(booking=old)
    target = ensure_payment(new)
    if lock_funds:
        source.settlement = Settlement.CHARGE
        source.save(update_fields=["settlement", "updated_at"])
        target.status, target.settlement = PaymentStatus.NOT_CHARGED, Settlement.RELEASE
        target.save(update_fields=["status", "settlement", "updated_at"])
        kick(old.pk)
        return
    # Card and remaining credit move; any hold on the card is released, and the new lesson is
    # authorized at its own T-24h (a hold carried for days could lapse before the capture).
    target.payment_method_id, target.customer_id = source.payment_method_id, source.customer_id
    target.credit_applied_cents = source.credit_applied_cents - source.credit_returned_cents
    target.save()
    source.credit_applied_cents = source.credit_returned_cents
    source.settlement = Settlement.RELEASE
    source.save()
    kick(old.pk)


# --- sweeps (beat) -----------------------------------------------------------------------------


def payments_to_advance(now: dt.datetime) -> list[str]:
    """Payments that may have a step due: not finished (a captured one is finished once paid
    out), and not waiting on a backoff. Oldest first."""
    finished = (Q(status__in=FINAL_STATUSES) & Q(credit_returned_cents__gte=F("credit_applied_cents"))) | Q(
        status=PaymentStatus.CAPTURED, booking__transfer__transferred_at__isnull=False
    )
    return list(
        BookingPayment.objects.exclude(finished)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(booking__status__in=[BookingStatus.HELD, BookingStatus.REQUESTED])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def advance_all(*, now: dt.datetime | None = None) -> int:
    """Beat task: take every due step of every payment. Idempotent; safe to run concurrently
    (each payment's row lock serialises its steps). One payment's failure never stops the rest."""
    now = now or current_time()
    steps = 0
    for payment_id in payments_to_advance(now):
        try:
            steps += len(advance_payment(payment_id, now=now))
        except Exception:  # logged for staff; the next sweep tries again
            log.exception("payment %s: could not advance", payment_id)
    return steps


# --- staff refunds -------------------------------------------------------------------------------


def refund_booking(*, booking: Booking, amount_cents: int, staff_user: User) -> BookingPayment:
    """Refund part or all of what the card paid (finance). A refund after the payout reverses
    the instructor's transfer by what their share shrinks."""
    from core.exceptions import Forbidden

    if not staff_user.has_perm("payments.issue_refunds"):
        raise Forbidden("You can't issue refunds.")
    with transaction.atomic():
        payment = BookingPayment.objects.select_for_update().get(booking=booking)
        refundable = payment.captured_cents - payment.refunded_cents
        if amount_cents <= 0 or amount_cents > refundable:
            raise RefundTooLarge(f"Refund between $0.01 and the {refundable / 100:.2f} not yet refunded.")
        _refund_card(payment, amount_cents, current_time())
        _shrink_transfer(payment)
        return payment


def _shrink_transfer(payment: BookingPayment) -> None:
    transfer = BookingTransfer.objects.filter(booking_id=payment.booking_id).first()
    if transfer is None or not transfer.transferred_at:
        return
    kept = payment.captured_cents + payment.credit_applied_cents - payment.refunded_cents
    kept -= payment.credit_returned_cents
    fee = policies.platform_fee_cents(kept)
    new_payout = kept - fee
    reversal = transfer.payout_cents - transfer.reversed_cents - new_payout
    if reversal > 0:
        result = get_gateway().reverse_transfer(
            transfer_id=transfer.transfer_id,
            amount_cents=reversal,
            idempotency_key=idempotency_key("reverse", payment.booking_id, transfer.reversed_cents, reversal),
        )
        transfer.reversal_id = result.id
        transfer.reversed_cents += reversal
        transfer.reversed_at = current_time()
    transfer.platform_fee_cents = fee
    transfer.save()


# --- reconciliation ------------------------------------------------------------------------------


def reconciliation_problems(payment: BookingPayment, transfer: BookingTransfer | None) -> list[str]:
    """Money must add up: authorized = captured + released (once settled), and
    captured + credit used = refunded + credit returned + platform fee + instructor payout."""
    problems = []
    settled_card = payment.status in (*FINAL_STATUSES, PaymentStatus.CAPTURED) and payment.authorized_cents
    if settled_card and payment.authorized_cents != payment.captured_cents + payment.released_cents:
        problems.append("authorized ≠ captured + released")
    paid_in = payment.captured_cents + payment.credit_applied_cents
    given_back = payment.refunded_cents + payment.credit_returned_cents
    if transfer is not None and transfer.transferred_at:
        kept = transfer.platform_fee_cents + transfer.payout_cents - transfer.reversed_cents
        if paid_in != given_back + kept:
            problems.append("captured + credit ≠ refunded + credit returned + fee + payout")
    elif payment.settlement == Settlement.RELEASE and payment.status in FINAL_STATUSES and paid_in != given_back:
        problems.append("released booking kept money")
    return problems


# --- the student fixes a failed authorization (the re-authentication page) ------------------------


def retry_authorization(*, booking: Booking, user: User, payment_method_id: str | None = None) -> BookingPayment:
    """The student answers a failed authorization before its deadline (`pay_by`).

    Without a card: the bank's check was passed on-session (Stripe.js `confirmCardPayment`, or the
    test-mode "Confirm with my bank"), so an intent that now holds the funds is recorded as the
    authorization; otherwise the same card is tried again. With a card (one of the student's saved
    cards): that card is used from now on. Either way the payment goes back to pending and
    `advance_payment` authorizes it at once when the lesson is within 24 hours. A decline raises
    PaymentDeclined (the payment stays failed, with the same deadline); a bank that still wants
    the cardholder leaves it action_required. Fixing an already fixed payment returns it as it is.
    """
    if booking.student_id != user.pk:
        raise Forbidden("This is not your lesson.")
    with transaction.atomic():
        payment = BookingPayment.objects.select_for_update().get(booking_id=booking.pk)
        if payment.status not in (PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED):
            return payment  # a second click, or nothing to fix
        if Booking.objects.filter(pk=booking.pk).values_list("status", flat=True).first() != BookingStatus.CONFIRMED:
            raise Conflict("This lesson is no longer waiting for a payment.", code="invalid_transition")
        if payment_method_id:
            card = SavedCard.objects.filter(user=user, payment_method_id=payment_method_id).first()
            if card is None:
                raise CardRequired("Choose one of your saved cards.", fields={"payment_method": "Choose a card."})
            payment.payment_method_id = card.payment_method_id
        elif payment.payment_intent_id:
            intent = get_gateway().retrieve_intent(intent_id=payment.payment_intent_id)
            if intent.is_authorized and intent.amount_cents == payment.card_cents:
                payment.status = PaymentStatus.AUTHORIZED
                payment.authorized_cents = intent.amount_capturable_cents or payment.card_cents
                payment.authorized_at = current_time()
                payment.failure_code = payment.failure_message = ""
                payment.next_attempt_at = payment.pay_by = None
                payment.save()
                return payment
        payment.status = PaymentStatus.PENDING
        payment.next_attempt_at = None
        payment.save()
    advance_payment(payment.pk)
    payment.refresh_from_db()
    if payment.status == PaymentStatus.FAILED:
        raise PaymentDeclined(payment.failure_message or None)
    return payment


# --- instructors' Connect accounts (the earnings page) ------------------------------------------


def start_connect_onboarding(*, profile: InstructorProfile) -> str:
    """The URL of Stripe's Express onboarding for this instructor, creating their Connect account
    on first use (one per instructor: the idempotency key and the one-to-one row see to it)."""
    gateway = get_gateway()
    account = ConnectAccount.objects.filter(instructor=profile).first()
    if account is None:
        result = gateway.create_connect_account(
            email=profile.user.email,
            instructor_id=profile.pk,
            idempotency_key=idempotency_key("connect_account", profile.pk),
        )
        account, _ = ConnectAccount.objects.get_or_create(
            instructor=profile,
            defaults={"account_id": result.id, **_connect_fields(result), "synced_at": current_time()},
        )
    link = gateway.create_account_link(
        account_id=account.account_id,
        refresh_url=settings.STRIPE_CONNECT_REFRESH_URL,
        return_url=settings.STRIPE_CONNECT_RETURN_URL,
    )
    return link.url


def sync_connect_account(*, account: ConnectAccount, result: AccountResult | None = None) -> ConnectAccount:
    """Bring our copy of a Connect account up to date: from Stripe (the instructor came back from
    onboarding), or from an `account.updated` event's object passed as `result`."""
    result = result or get_gateway().retrieve_account(account_id=account.account_id)
    with transaction.atomic():
        account = ConnectAccount.objects.select_for_update().get(pk=account.pk)
        for field, value in _connect_fields(result).items():
            setattr(account, field, value)
        account.synced_at = current_time()
        account.save()
    return account


def _connect_fields(result: AccountResult) -> dict:
    """Conservative: enabled only when Stripe says the account can take transfers and pay out now.
    A new account is "disabled" by Stripe until its details are in: that is onboarding not
    finished (pending); disabled after onboarding, or for any other reason, is restricted."""
    if result.ready_for_transfers:
        status = ConnectStatus.ENABLED
    elif result.disabled_reason and (result.details_submitted or not result.disabled_reason.startswith("requirements")):
        status = ConnectStatus.RESTRICTED
    else:
        status = ConnectStatus.PENDING
    return {
        "status": status,
        "payouts_enabled": result.payouts_enabled,
        "transfers_active": result.transfers_active,
        "details_submitted": result.details_submitted,
        "disabled_reason": result.disabled_reason[:255],
        "currently_due": list(result.currently_due),
    }


# --- the finance console (payments/admin.py) ------------------------------------------------------


def retry_payment(*, booking: Booking, staff_user: User) -> BookingPayment:
    """Finance's "Retry now": forget any backoff and take the payment's due steps at once. A failed
    or action-required authorization goes back to pending (tried again, with a new idempotency
    key) while the lesson is still ahead; a later decline leaves it failed with its deadline."""
    if not staff_user.has_perm("payments.issue_refunds"):
        raise Forbidden("You can't retry payments.")
    with transaction.atomic():
        payment = BookingPayment.objects.select_for_update(of=("self",)).select_related("booking").get(booking=booking)
        lesson_ahead = payment.booking.status == BookingStatus.CONFIRMED and payment.booking.start_at > current_time()
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED) and lesson_ahead:
            payment.status = PaymentStatus.PENDING
        payment.next_attempt_at = None
        payment.save()
    advance_payment(payment.pk)
    payment.refresh_from_db()
    return payment


def grant_credit(
    *, user: User, amount_cents: int, staff_user: User, note: str = "", reason: str = CreditReason.ADJUSTMENT
):
    """Finance gives a user platform credit (an adjustment, or a refund as credit)."""
    from core.exceptions import InvalidInput  # noqa: PLC0415

    if not staff_user.has_perm("payments.issue_refunds"):
        raise Forbidden("You can't grant credit.")
    if reason not in (CreditReason.ADJUSTMENT, CreditReason.REFUND):
        raise InvalidInput("Staff grant credit as an adjustment or a refund.", fields={"reason": "Choose a reason."})
    if amount_cents <= 0:
        raise InvalidInput("Grant a positive amount.", fields={"amount": "Enter an amount above $0."})
    return credits.grant(user=user, amount_cents=amount_cents, reason=reason, note=note[:300])
