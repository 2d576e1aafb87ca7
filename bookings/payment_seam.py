"""THE PAYMENT SEAM: where booking transitions hand money decisions to the payments app.

Hooks run inside the booking's transaction and only record decisions (which card, how much
credit, charge or release); payments.services moves the money after the commit and in its
beat sweep, so a gateway outage never fails or half-writes a booking."""

from .models import Booking, Settlement
from .satellites import ensure_payment


def on_booking_confirmed(booking: Booking) -> None:
    """A time is held: its payment record exists from the start."""
    ensure_payment(booking)


def on_checkout(booking: Booking, *, payment_method_id: str | None, use_credit: bool) -> None:
    """Checkout finished: credit first, then the chosen (or default) saved card."""
    from payments.services import prepare_checkout  # noqa: PLC0415 - payments builds on bookings

    prepare_checkout(booking=booking, payment_method_id=payment_method_id, use_credit=use_credit)


def on_booking_released(booking: Booking) -> None:
    """A hold or request ended without a lesson: everything goes back."""
    _decide(booking, Settlement.RELEASE)


def on_booking_cancelled(booking: Booking, *, charge_cents: int) -> None:
    """The cancellation policy decided: a late student cancellation is charged, anything else is free."""
    _decide(booking, Settlement.CHARGE if charge_cents else Settlement.RELEASE)


def on_unpaid_cancellation(booking: Booking) -> None:
    _decide(booking, Settlement.RELEASE)


def on_booking_rescheduled(old: Booking, new: Booking, *, lock_funds: bool) -> None:
    """A free move carries the payment to the new lesson; a late one charges and locks it."""
    from payments.services import move_payment  # noqa: PLC0415

    move_payment(old=old, new=new, lock_funds=lock_funds)


def _decide(booking: Booking, settlement: str) -> None:
    from payments.services import decide  # noqa: PLC0415

    decide(booking, settlement)
