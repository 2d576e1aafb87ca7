"""Race-safe get-or-create of the 1:1 satellites: the first caller creates the row, a
concurrent one finds it (savepoint + IntegrityError retry)."""

from django.db import IntegrityError, transaction

from .models import (
    Booking,
    BookingDispute,
    BookingLock,
    BookingNoShow,
    BookingPayment,
    BookingReschedule,
    BookingTransfer,
)


def _ensure(model, booking: Booking, defaults: dict):
    existing = model.objects.filter(booking=booking).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return model.objects.create(booking=booking, **defaults)
    except IntegrityError:  # someone created it between our read and our insert
        return model.objects.get(booking=booking)


def ensure_payment(booking: Booking) -> BookingPayment:
    return _ensure(BookingPayment, booking, {"amount_cents": booking.price_cents})


def ensure_transfer(booking: Booking) -> BookingTransfer:
    return _ensure(BookingTransfer, booking, {})


def ensure_dispute(booking: Booking, *, dispute_id: str) -> BookingDispute:
    return _ensure(BookingDispute, booking, {"dispute_id": dispute_id})


def ensure_no_show(booking: Booking, **fields) -> BookingNoShow:
    return _ensure(BookingNoShow, booking, fields)


def ensure_lock(booking: Booking, **fields) -> BookingLock:
    return _ensure(BookingLock, booking, fields)


def ensure_reschedule(booking: Booking, **fields) -> BookingReschedule:
    return _ensure(BookingReschedule, booking, fields)
