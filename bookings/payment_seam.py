"""THE PAYMENT SEAM: where booking transitions record their money decisions.

Bookings decide, payments move money, and the dependency runs one way (payments imports
bookings, never the reverse). The hooks run inside the booking's transaction, after the booking
row is locked, and write only the decision fields of the booking's payment satellite: the
`settlement` (charge or release) and, when a lesson moves, which card and how much committed
credit go with it. Its money state (status, intent, amounts authorized, captured, released,
refunded, credit returned) is written only by payments.services.lifecycle, which acts on these
decisions after the commit (a task) and in its beat sweep, so a gateway outage never fails or
half-writes a booking.
"""

import datetime as dt

from . import policies
from .models import Booking, BookingPayment, PaymentStatus, Settlement
from .satellites import ensure_payment


def on_hold(booking: Booking) -> None:
    """A time is held: its payment record exists from the start."""
    ensure_payment(booking)


def payment_ready(payment: BookingPayment, *, lesson_start: dt.datetime, now: dt.datetime) -> bool:
    """Checkout may confirm: what the card must pay has a card, and a lesson inside the
    authorization window has its card authorized already."""
    if payment.card_cents == 0:
        return True
    if not payment.payment_method_id:
        return False
    return payment.status == PaymentStatus.AUTHORIZED or not policies.authorization_due(
        lesson_start=lesson_start, now=now
    )


def on_booking_released(booking: Booking) -> None:
    """A hold or request ended without a lesson: everything goes back."""
    _decide(booking, Settlement.RELEASE)


def on_booking_cancelled(booking: Booking, *, charge_cents: int) -> None:
    """The cancellation policy decided: a late student cancellation is charged, anything else is free."""
    _decide(booking, Settlement.CHARGE if charge_cents else Settlement.RELEASE)


def on_unpaid_cancellation(booking: Booking) -> None:
    _decide(booking, Settlement.RELEASE)


def paid_upstream(booking: Booking) -> bool:
    """The lesson is paid by money locked on the lesson it was moved from (a late reschedule):
    a lesson still on whose own payment is already settled as "release"."""
    payment = BookingPayment.objects.filter(booking=booking).only("settlement").first()
    return payment is not None and payment.settlement == Settlement.RELEASE


def on_booking_rescheduled(old: Booking, new: Booking, *, lock_funds: bool, paid_upstream: bool) -> None:
    """A free move carries the card and the committed credit to the new lesson (authorized at
    its own T-24h); the old one releases whatever it holds. A late move charges the old lesson
    now and locks the money until the new one resolves: the new lesson is already paid for, and
    so is any lesson it moves to later (`paid_upstream`: the lock follows the chain)."""
    source = _locked_payment(old)
    target = ensure_payment(new)
    if lock_funds or paid_upstream:
        _settle(source, Settlement.CHARGE if lock_funds else Settlement.RELEASE)
        _settle(target, Settlement.RELEASE)
        return
    target.payment_method_id, target.customer_id = source.payment_method_id, source.customer_id
    target.credit_applied_cents = source.credit_applied_cents - source.credit_returned_cents
    target.save(update_fields=["payment_method_id", "customer_id", "credit_applied_cents", "updated_at"])
    source.credit_applied_cents = source.credit_returned_cents  # its remaining credit moved on
    source.save(update_fields=["credit_applied_cents", "updated_at"])
    _settle(source, Settlement.RELEASE)


def _decide(booking: Booking, settlement: str) -> None:
    _settle(_locked_payment(booking), settlement)


def _locked_payment(booking: Booking) -> BookingPayment:
    """The booking's payment row, locked after the booking's (the one lock order)."""
    return BookingPayment.objects.select_for_update().get(pk=ensure_payment(booking).pk)


def _settle(payment: BookingPayment, settlement: str) -> None:
    """A decision is made once: the first one stands."""
    if not payment.settlement:
        payment.settlement = settlement
        payment.save(update_fields=["settlement", "updated_at"])
