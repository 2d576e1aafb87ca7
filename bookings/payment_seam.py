"""THE PAYMENT SEAM. Until the payments issue lands, lessons confirm without a card and
these hooks only keep the payment satellite's story straight. The payments app replaces
each hook's body with the real Stripe flow (authorize at T-24h, capture at T+24h, refunds
and locks by policy); callers and their transactions stay as they are."""

from .models import Booking, PaymentStatus
from .satellites import ensure_payment


def on_booking_confirmed(booking: Booking) -> None:
    """A lesson is booked: its payment waits to be authorized (payments issue)."""
    ensure_payment(booking)


def on_booking_released(booking: Booking) -> None:
    """A hold or request ended without a lesson: nothing will be charged."""
    _mark(booking, PaymentStatus.NOT_CHARGED)


def on_booking_cancelled(booking: Booking, *, charge_cents: int) -> None:
    """Cancelled: free cancellations are never charged; a late one stays due (payments captures it)."""
    if charge_cents == 0:
        _mark(booking, PaymentStatus.NOT_CHARGED)


def on_booking_rescheduled(old: Booking, new: Booking, *, lock_funds: bool) -> None:
    """The payment moves to the new lesson; a late move locks the original amount (payments)."""
    ensure_payment(new)
    if not lock_funds:
        _mark(old, PaymentStatus.NOT_CHARGED)


def _mark(booking: Booking, status: str) -> None:
    payment = ensure_payment(booking)
    if payment.status == PaymentStatus.PENDING:
        payment.status = status
        payment.save(update_fields=["status", "updated_at"])
