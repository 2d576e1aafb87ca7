"""Reads of raw availability (what the instructor painted). Bookable openings, which
subtract booked time, live in bookings.openings."""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from instructors.models import InstructorProfile

from . import bitmaps
from .models import AvailabilityDay, WeeklyTemplateDay


def days_between(profile: InstructorProfile, first: dt.date, last: dt.date) -> dict[dt.date, bytes]:
    """Painted bits for each date in [first, last] that has any; other dates are closed."""
    rows = AvailabilityDay.objects.filter(instructor=profile, date__range=(first, last)).values_list("date", "bits")
    return {day: bytes(bits) for day, bits in rows}


def days_between_many(profile_ids: Sequence[str], first: dt.date, last: dt.date) -> dict[str, dict[dt.date, bytes]]:
    """`days_between` for many instructors in one query: {profile id: {date: bits}}."""
    rows = AvailabilityDay.objects.filter(instructor_id__any=profile_ids, date__range=(first, last)).values_list(
        "instructor_id", "date", "bits"
    )
    painted: dict[str, dict[dt.date, bytes]] = defaultdict(dict)
    for profile_id, day, bits in rows:
        painted[profile_id][day] = bytes(bits)
    return painted


def day_bits(profile: InstructorProfile, day: dt.date) -> bytes:
    bits = AvailabilityDay.objects.filter(instructor=profile, date=day).values_list("bits", flat=True).first()
    return bytes(bits) if bits is not None else bitmaps.EMPTY


def weekly_template(profile: InstructorProfile) -> dict[int, bytes]:
    rows = WeeklyTemplateDay.objects.filter(instructor=profile).values_list("weekday", "bits")
    return {weekday: bytes(bits) for weekday, bits in rows}


def week_start_of(day: dt.date) -> dt.date:
    """The Monday of day's week: weeks in the editor run Monday to Sunday."""
    return day - dt.timedelta(days=day.weekday())
