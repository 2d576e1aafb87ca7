"""Booking test data, built through the services so their rules apply."""

import datetime as dt
import itertools

from availability import services as availability_services
from availability.selectors import week_start_of
from bookings import services
from instructors.tests.factories import ServiceFactory, live_instructor
from payments.services import checkout_booking, save_card

_keys = itertools.count()


def new_key() -> str:
    return f"key-{next(_keys)}"


def open_instructor(*, days: list[dt.date], ranges=((9 * 60, 17 * 60),), tz="America/New_York", **profile_rules):
    """A live instructor (online + student's location, 30/60-minute lessons at $60/h) who is
    open `ranges` on each of `days`, with booking rules overridden by `profile_rules`."""
    profile = live_instructor(
        services=[ServiceFactory()], rate_cents=60_00, location_types=("student_location", "online"), timezone=tz
    )
    for field, value in {"min_notice_minutes": 0, "buffer_minutes": 0, **profile_rules}.items():
        setattr(profile, field, value)
    profile.save()
    for week_start in sorted({week_start_of(day) for day in days}):
        week = {day: list(ranges) for day in days if week_start_of(day) == week_start}
        availability_services.save_week(profile=profile, week_start=week_start, days=week)
    return profile


def give_card(student, payment_method_id="pm_card_visa"):
    """A saved card (simulated gateway: Stripe's test cards) so checkout can finish. A card that
    saves but declines every payment: "pm_card_chargeCustomerFail"."""
    return save_card(user=student, payment_method_id=payment_method_id)


def book(student, offering, start_at, *, duration=60, confirm=True, location="online", address=""):
    booking = services.hold_booking(
        student=student, offering=offering, start_at=start_at, duration=duration, idempotency_key=new_key()
    )
    if confirm:
        if not student.saved_cards.exists():
            give_card(student)
        booking = checkout_booking(booking=booking, student=student, location_type=location, address=address)
    return booking
