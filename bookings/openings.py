"""Bookable openings: what an instructor painted, minus booked lessons (with the buffer),
minus what is too soon (minimum notice) or too far (booking horizon), minus full days.

This is the one place that combines availability with bookings; the public availability
API, the booking page's time picker and the booking service's friendly check all use it.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from availability import bitmaps
from availability.selectors import days_between, days_between_many
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


@dataclass(frozen=True)
class CalendarRules:
    """The booking rules of one instructor's calendar: all openings needs besides the rows."""

    profile_id: str
    tz_name: str
    min_notice_minutes: int
    booking_horizon_days: int
    buffer_minutes: int
    max_lessons_per_day: int

    @classmethod
    def of(cls, profile: InstructorProfile) -> "CalendarRules":
        return cls(
            profile_id=profile.pk,
            tz_name=profile.user.timezone,
            min_notice_minutes=profile.min_notice_minutes,
            booking_horizon_days=profile.booking_horizon_days,
            buffer_minutes=profile.buffer_minutes,
            max_lessons_per_day=profile.max_lessons_per_day,
        )


def booking_limits(profile: InstructorProfile | CalendarRules, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
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
    rules = CalendarRules.of(profile)
    painted = days_between(profile, first, last)
    lessons = [row for row in _booked_rows([profile.pk], first, last, now) if row[1] != exclude_booking_id]
    return _openings_from(rules, painted, lessons, first=first, days=days, now=now)


def openings_for_many(
    calendars: Sequence[CalendarRules], *, first: dt.date, days: int, now: dt.datetime
) -> dict[str, list[DayOpenings]]:
    """`openings` for many instructors at once (search results): two queries in all."""
    last = first + dt.timedelta(days=days - 1)
    ids = [rules.profile_id for rules in calendars]
    painted = days_between_many(ids, first, last)
    lessons: dict[str, list] = defaultdict(list)
    for row in _booked_rows(ids, first, last, now):
        lessons[row[0]].append(row)
    return {
        rules.profile_id: _openings_from(
            rules, painted.get(rules.profile_id, {}), lessons.get(rules.profile_id, []), first=first, days=days, now=now
        )
        for rules in calendars
    }


def _openings_from(
    rules: CalendarRules, painted: dict[dt.date, bytes], lessons: list, *, first: dt.date, days: int, now: dt.datetime
) -> list[DayOpenings]:
    """The one rule: painted time, minus lessons widened by the buffer, minus full days,
    minus what is too soon (notice) or too far (horizon)."""
    busy, lessons_per_day = _busy_by_day(lessons, rules.buffer_minutes)
    earliest, latest = booking_limits(rules, now)
    result = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        free = painted.get(day, bitmaps.EMPTY)
        if free != bitmaps.EMPTY:
            if lessons_per_day[day] >= rules.max_lessons_per_day:
                free = bitmaps.EMPTY
            else:
                free = bitmaps.bit_andnot(free, busy.get(day, bitmaps.EMPTY))
                free = _within_limits(free, day, rules.tz_name, earliest, latest)
        result.append(DayOpenings(day, free))
    return result


def _booked_rows(profile_ids: Sequence[str], first: dt.date, last: dt.date, now: dt.datetime):
    """(instructor id, booking id, date, start, end) of lessons that take calendar time. Holds
    whose checkout time ran out don't count, even before the beat task sweeps them."""
    # A local date lies within a day of its UTC instants: bounding start_at too lets the
    # (instructor, start_at) index answer instead of scanning the instructor's whole history.
    earliest = dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min, dt.UTC)
    latest = dt.datetime.combine(last + dt.timedelta(days=2), dt.time.min, dt.UTC)
    return (
        Booking.objects.filter(
            instructor_id__any=profile_ids,
            status__in=ACTIVE_STATUSES,
            start_at__gte=earliest,
            start_at__lt=latest,
            date__range=(first, last),
        )
        .exclude(status=BookingStatus.HELD, hold_expires_at__lte=now)
        .values_list("instructor_id", "pk", "date", "start_time", "end_time")
    )


def _busy_by_day(lessons, buffer: int) -> tuple[dict[dt.date, bytes], dict[dt.date, int]]:
    """Per date: the booked minutes widened by the buffer, and the number of lessons."""
    busy: dict[dt.date, bytes] = {}
    counts: dict[dt.date, int] = defaultdict(int)
    for _, _, day, start, end in lessons:
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
    days_open = openings(profile, first=first, days=days, now=now, exclude_booking_id=exclude_booking_id)
    return starts_within(CalendarRules.of(profile), days_open, duration=duration, now=now)


UtcSpan = tuple[dt.datetime, dt.datetime]


def starts_within(
    rules: CalendarRules,
    days_open: list[DayOpenings],
    *,
    duration: int,
    now: dt.datetime,
    spans: tuple[UtcSpan, ...] | None = None,
    limit: int | None = None,
) -> list[StartTime]:
    """Starts on the 15-minute grid where a `duration`-minute lesson fits, no later than the
    horizon and, when `spans` are given, starting inside one of them; the first `limit`."""
    _, latest = booking_limits(rules, now)
    local_spans = _local_spans(spans, rules.tz_name) if spans is not None else None
    result: list[StartTime] = []
    for day in days_open:
        if day.free == bitmaps.EMPTY or (local_spans is not None and day.date not in local_spans):
            continue
        for minute in _day_starts(day.free, duration, local_spans[day.date] if local_spans else None):
            start_at = bitmaps.local_minute_to_utc(day.date, minute, rules.tz_name)
            if start_at > latest:
                break
            result.append(StartTime(start_at, day.date, minute))
            if limit is not None and len(result) >= limit:
                return result
    return result


def _day_starts(free: bytes, duration: int, minute_spans: list[tuple[int, int]] | None) -> list[int]:
    if minute_spans is None:
        return bitmaps.free_starts(free, duration, step=SLOT_STEP_MINUTES)
    starts: set[int] = set()
    for low, high in minute_spans:
        in_span = bitmaps.free_starts(free, duration, step=SLOT_STEP_MINUTES, earliest=low)
        starts.update(minute for minute in in_span if minute < high)
    return sorted(starts)


@lru_cache(maxsize=256)
def _local_spans(spans: tuple[UtcSpan, ...], tz_name: str) -> dict[dt.date, list[tuple[int, int]]]:
    """UTC spans as the instructor's local (date -> [start minute, end minute)) pieces."""
    pieces: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    for start, end in spans:
        day, minute = bitmaps.utc_to_local_minute(start, tz_name)
        end_day, end_minute = bitmaps.utc_to_local_minute(end, tz_name)
        while day < end_day:
            pieces[day].append((minute, bitmaps.MINUTES_PER_DAY))
            day, minute = day + dt.timedelta(days=1), 0
        if minute < end_minute:
            pieces[day].append((minute, end_minute))
    return dict(pieces)


def local_today(profile: InstructorProfile, now: dt.datetime | None = None) -> dt.date:
    return to_local(now or current_time(), profile.user.timezone).date()
