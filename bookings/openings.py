"""Bookable openings: what an instructor painted, minus booked lessons (with the buffer),
minus what is too soon (minimum notice) or too far (booking horizon), minus full days.

This is the one place that combines availability with bookings; the public availability
API, the booking page's time picker and the booking service's friendly check all use it.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from availability import bitmaps
from availability.selectors import days_between
from core.timeutil import now as current_time
from core.timeutil import to_local
from instructors.models import InstructorProfile

from .models import ACTIVE_STATUSES, Booking, BookingStatus

SLOT_STEP_MINUTES = 15


@dataclass(frozen=True)
class DayOpenings:
    date: dt.date
    free: bytes  # bookable minutes of the instructor's local day

    @property
    def ranges(self) -> list[tuple[int, int]]:
        return bitmaps.to_ranges(self.free)


def booking_limits(profile: InstructorProfile, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(earliest start, latest start) students may book now."""
    return now + dt.timedelta(minutes=profile.min_notice_minutes), now + dt.timedelta(days=profile.booking_horizon_days)


def openings(
    profile: InstructorProfile,
    *,
    first: dt.date,
    days: int,
    now: dt.datetime | None = None,
    exclude_booking_id: str | None = None,
) -> list[DayOpenings]:
    """Bookable time for each local date in [first, first + days)."""
    now = now or current_time()
    last = first + dt.timedelta(days=days - 1)
    tz_name = profile.user.timezone
    painted = days_between(profile, first, last)
    busy, lessons_per_day = _booked_by_day(profile, first, last, exclude_booking_id, now)
    earliest, latest = booking_limits(profile, now)
    result = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        free = painted.get(day, bitmaps.EMPTY)
        if free != bitmaps.EMPTY:
            if lessons_per_day[day] >= profile.max_lessons_per_day:
                free = bitmaps.EMPTY
            else:
                free = bitmaps.bit_andnot(free, busy.get(day, bitmaps.EMPTY))
                free = _within_limits(free, day, tz_name, earliest, latest)
        result.append(DayOpenings(day, free))
    return result


def _booked_by_day(profile, first, last, exclude_booking_id, now):
    """Per date: the booked minutes widened by the buffer, and the number of lessons.
    Holds whose checkout time ran out don't count, even before the beat task sweeps them."""
    bookings = (
        Booking.objects.filter(instructor=profile, status__in=ACTIVE_STATUSES, date__range=(first, last))
        .exclude(status=BookingStatus.HELD, hold_expires_at__lte=now)
        .values_list("pk", "date", "start_time", "end_time")
    )
    buffer = profile.buffer_minutes
    busy: dict[dt.date, bytes] = {}
    counts: dict[dt.date, int] = defaultdict(int)
    for pk, day, start, end in bookings:
        if pk == exclude_booking_id:
            continue
        start_minute = max(0, bitmaps.minutes_of(start) - buffer)
        end_minute = min(bitmaps.MINUTES_PER_DAY, _end_minute(end) + buffer)
        busy[day] = bitmaps.set_range(busy.get(day, bitmaps.EMPTY), start_minute, end_minute)
        counts[day] += 1
    return busy, counts


def _end_minute(end: dt.time) -> int:
    """A lesson ending at 00:00 ends at the end of its day."""
    minute = bitmaps.minutes_of(end)
    return minute or bitmaps.MINUTES_PER_DAY


def _within_limits(free: bytes, day: dt.date, tz_name: str, earliest: dt.datetime, latest: dt.datetime) -> bytes:
    """Clear what starts before `earliest` and days after `latest`'s date (instants compared
    in UTC). Starts later than `latest` on its own date are filtered by start_times."""
    earliest_day, earliest_minute = bitmaps.utc_to_local_minute(earliest, tz_name)
    latest_day, _ = bitmaps.utc_to_local_minute(latest, tz_name)
    if day < earliest_day or day > latest_day:
        return bitmaps.EMPTY
    if day == earliest_day and earliest_minute > 0:
        return bitmaps.clear_range(free, 0, earliest_minute)
    return free


@dataclass(frozen=True)
class StartTime:
    start_at: dt.datetime  # UTC instant
    local_date: dt.date  # instructor's date
    local_minute: int


def start_times(
    profile: InstructorProfile,
    *,
    duration: int,
    first: dt.date,
    days: int,
    now: dt.datetime | None = None,
    exclude_booking_id: str | None = None,
) -> list[StartTime]:
    """Every start (15-minute steps) where a lesson of `duration` minutes fits."""
    now = now or current_time()
    tz_name = profile.user.timezone
    _, latest = booking_limits(profile, now)
    result = []
    for day in openings(profile, first=first, days=days, now=now, exclude_booking_id=exclude_booking_id):
        for minute in bitmaps.free_starts(day.free, duration, step=SLOT_STEP_MINUTES):
            start_at = bitmaps.local_minute_to_utc(day.date, minute, tz_name)
            if start_at <= latest:
                result.append(StartTime(start_at, day.date, minute))
    return result


def local_today(profile: InstructorProfile, now: dt.datetime | None = None) -> dt.date:
    return to_local(now or current_time(), profile.user.timezone).date()
