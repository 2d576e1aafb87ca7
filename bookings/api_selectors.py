"""Read queries behind the API: the public availability of an instructor (no login) and the
lesson lists and lesson detail of the booking endpoints.

Public availability is built from `bookings.openings` (availability minus booked time with
the buffer, notice, horizon and full days) and expressed as the time in which a lesson of the
instructor's shortest offered length can be booked, so the three detail levels agree:
`full` ranges are the union of every bookable [start, start + shortest) on the 15-minute grid,
`summary` flags say in which part of the day such a start exists, `minimal` whether one does.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet

from accounts.models import User, public_name
from availability import bitmaps
from core.cache import cached
from core.timeutil import now as current_time
from instructors.models import InstructorProfile, InstructorService
from instructors.selectors import LISTINGS_CACHE

from .models import Booking, BookingStatus
from .openings import SLOT_STEP_MINUTES, booking_limits, openings

# Parts of the instructor's local day for detail=summary, by lesson START (minutes after
# midnight, half-open): every start falls in exactly one, so any flag set == available.
DAY_PARTS = (("morning", 0, 12 * 60), ("afternoon", 12 * 60, 17 * 60), ("evening", 17 * 60, 24 * 60))
NEXT_AVAILABLE_CHUNK_DAYS = 14


# --- public availability ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicInstructor:
    """What the public endpoints need to know before touching a calendar."""

    id: str
    name: str  # "FirstName L."
    timezone: str
    durations: tuple[int, ...]  # lesson lengths offered by any active offering, ascending

    @property
    def shortest(self) -> int | None:
        return self.durations[0] if self.durations else None


def public_instructor(profile_id: str, *, timeout: int) -> PublicInstructor | None:
    """A live instructor's public facts, or None. Cached under the listings namespace, which is
    bumped when any profile goes live or offline or changes its offerings, so a cached "not
    found" never hides an instructor who has just gone live."""
    found = cached(
        LISTINGS_CACHE, f"public-instructor:{profile_id}", lambda: _public_instructor(profile_id), timeout=timeout
    )
    return found or None  # False (cached "no such live instructor") reads as None


def _public_instructor(profile_id: str) -> PublicInstructor | bool:
    row = (
        InstructorProfile.objects.filter(pk=profile_id, is_live=True, user__is_active=True)
        .values_list("user__first_name", "user__last_name", "user__timezone")
        .first()
    )
    if row is None:
        return False
    first_name, last_name, tz_name = row
    durations = InstructorService.objects.filter(instructor_id=profile_id, is_active=True).values_list(
        "durations", flat=True
    )
    offered = sorted({minutes for lengths in durations for minutes in lengths})
    return PublicInstructor(
        id=profile_id, name=public_name(first_name, last_name), timezone=tz_name, durations=tuple(offered)
    )


def live_profile(profile_id: str) -> InstructorProfile | None:
    return InstructorProfile.objects.select_related("user").filter(pk=profile_id, is_live=True).first()


@dataclass(frozen=True)
class BookableDay:
    date: dt.date
    starts: tuple[int, ...]  # local wall-clock minutes where the shortest lesson can start
    ranges: tuple[tuple[int, int], ...]  # union of [start, start + shortest), merged

    @property
    def available(self) -> bool:
        return bool(self.starts)

    def part_flags(self) -> dict[str, bool]:
        return {name: any(low <= start < high for start in self.starts) for name, low, high in DAY_PARTS}


def bookable_days(
    profile: InstructorProfile, *, first: dt.date, days: int, duration: int | None, now: dt.datetime | None = None
) -> list[BookableDay]:
    """For each local date in [first, first + days): where a lesson of `duration` minutes can
    start (15-minute grid) and the time those lessons cover. Two queries."""
    now = now or current_time()
    if duration is None:  # nothing offered: nothing bookable
        return [BookableDay(first + dt.timedelta(days=n), (), ()) for n in range(days)]
    tz_name = profile.user.timezone
    _, latest = booking_limits(profile, now)
    latest_day, _ = bitmaps.utc_to_local_minute(latest, tz_name)
    result = []
    for day in openings(profile, first=first, days=days, now=now):
        starts = bitmaps.free_starts(day.free, duration, step=SLOT_STEP_MINUTES)
        if day.date == latest_day:  # the horizon ends during this day: later starts are too far
            starts = [m for m in starts if bitmaps.local_minute_to_utc(day.date, m, tz_name) <= latest]
        ranges = bitmaps.to_ranges(bitmaps.from_ranges((start, start + duration) for start in starts))
        result.append(BookableDay(day.date, tuple(starts), tuple(ranges)))
    return result


@dataclass(frozen=True)
class NextStart:
    start_at: dt.datetime  # UTC
    end_at: dt.datetime  # UTC
    local_date: dt.date
    local_start: int  # minutes after the instructor's local midnight
    local_end: int  # may be 1440 (24:00)


def next_available(profile: InstructorProfile, *, duration: int, now: dt.datetime | None = None) -> NextStart | None:
    """The first bookable start of a `duration`-minute lesson within the booking horizon,
    searched two weeks at a time (two queries per fortnight searched)."""
    now = now or current_time()
    tz_name = profile.user.timezone
    _, latest = booking_limits(profile, now)
    today, _ = bitmaps.utc_to_local_minute(now, tz_name)
    last_day, _ = bitmaps.utc_to_local_minute(latest, tz_name)
    first = today
    while first <= last_day:
        span = min(NEXT_AVAILABLE_CHUNK_DAYS, (last_day - first).days + 1)
        for day in bookable_days(profile, first=first, days=span, duration=duration, now=now):
            if day.starts:
                start = day.starts[0]
                end = start + duration
                return NextStart(
                    start_at=bitmaps.local_minute_to_utc(day.date, start, tz_name),
                    end_at=bitmaps.local_minute_to_utc(day.date, end, tz_name),
                    local_date=day.date,
                    local_start=start,
                    local_end=end,
                )
        first += dt.timedelta(days=span)
    return None


def clock(minute: int) -> str:
    """'HH:MM' of a wall-clock minute 0..1440; 1440 (the end of the day) is '24:00'."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


# --- the booking endpoints ---------------------------------------------------------------------

# What a lesson card or detail shows, loaded with the booking in the same query.
_BOOKING_JOINS = ("instructor__user", "student", "payment", "no_show", "reschedule", "rescheduled_from")

STUDENT_SCOPES = ("upcoming", "past")
INSTRUCTOR_SCOPES = ("upcoming", "past", "requests")
_FINISHED = (
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
    BookingStatus.CANCELLED,
    BookingStatus.DECLINED,
    BookingStatus.RESCHEDULED,
)


def _with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return bookings.select_related(*_BOOKING_JOINS)


def _past(now: dt.datetime) -> Q:
    """Lessons that are over or ended: finished statuses, confirmed or requested lessons whose
    time has passed, and requests the instructor never answered. Abandoned checkout holds are
    left out."""
    return (
        Q(status__in=_FINISHED)
        | Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.REQUESTED], end_at__lte=now)
        | Q(status=BookingStatus.EXPIRED, request_deadline__isnull=False)
    )


def student_bookings(user: User, *, scope: str, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The student's own lessons. upcoming: confirmed and requested lessons not yet over, and
    live checkout holds, soonest first; past: see `_past`, latest first."""
    now = now or current_time()
    mine = _with_details(Booking.objects.filter(student=user))
    if scope == "past":
        return mine.filter(_past(now)).order_by("-start_at", "-pk")
    upcoming = Q(status__in=[BookingStatus.CONFIRMED, BookingStatus.REQUESTED], end_at__gt=now) | Q(
        status=BookingStatus.HELD, hold_expires_at__gt=now
    )
    return mine.filter(upcoming).order_by("start_at", "pk")


def instructor_bookings(user: User, *, scope: str, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The instructor's own lessons. upcoming: confirmed lessons not yet over; requests:
    requests still waiting for an answer (earliest deadline first); past: see `_past`."""
    now = now or current_time()
    mine = _with_details(Booking.objects.filter(instructor__user=user))
    if scope == "past":
        return mine.filter(_past(now)).order_by("-start_at", "-pk")
    if scope == "requests":
        return mine.filter(status=BookingStatus.REQUESTED, request_deadline__gt=now).order_by(
            "request_deadline", "start_at", "pk"
        )
    return mine.filter(status=BookingStatus.CONFIRMED, end_at__gt=now).order_by("start_at", "pk")


def booking_for_party(user: User, booking_id: str) -> Booking | None:
    """The booking if `user` is its student or its instructor, else None (callers answer 404,
    so nobody learns whether someone else's booking exists)."""
    if not user.is_authenticated:
        return None
    return (
        _with_details(Booking.objects.filter(Q(student=user) | Q(instructor__user=user))).filter(pk=booking_id).first()
    )


def booking_for_instructor(user: User, booking_id: str) -> Booking | None:
    return _with_details(Booking.objects.filter(instructor__user=user)).filter(pk=booking_id).first()


def offering_for_booking(offering_id: str) -> InstructorService | None:
    """The offering a student asks to book, with what the booking service reads from it."""
    return InstructorService.objects.select_related("instructor__user", "service").filter(pk=offering_id).first()


def booking_by_key(user: User, idempotency_key: str) -> Booking | None:
    """The student's booking made with this idempotency key (by booking or rescheduling)."""
    return (
        Booking.objects.select_related("rescheduled_from").filter(student=user, idempotency_key=idempotency_key).first()
    )


def moved_from(booking: Booking) -> str | None:
    """The id of the booking this one was rescheduled from, if any."""
    try:
        return booking.rescheduled_from.booking_id
    except ObjectDoesNotExist:
        return None
