"""Read queries of the bookings app, for its pages, its API and the admin alike: each returns the
rows a page or endpoint shows with the joins it needs, so a list costs the same number of queries
however many lessons it lists. One reading of the lists: "upcoming", "past" and "cancelled"
mean the same on My Lessons, the instructor's bookings and the API.

Public availability (no login) is built from `bookings.openings` (availability minus booked time
with the buffer, notice, horizon and full days) and expressed as the time in which a lesson of the
instructor's shortest offered length can be booked, so the three detail levels agree: `full`
ranges are the union of every bookable [start, start + shortest) on the 15-minute grid, `summary`
flags say in which part of the day such a start exists, `minimal` whether one does.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet

from accounts.models import User, public_name
from availability import bitmaps
from availability.overlays import Claim
from core.cache import cached
from core.timeutil import now as current_time
from instructors.models import InstructorProfile, InstructorService
from instructors.selectors import LISTINGS_CACHE

from .models import ACTIVE_STATUSES, UPCOMING_STATUSES, Booking, BookingPayment, BookingStatus, PaymentStatus
from .openings import SLOT_STEP_MINUTES, booking_limits, openings

PAST_LIMIT = 50  # the most recent past (or cancelled) lessons a list page shows
STUDENT_SCOPES = ("upcoming", "past", "cancelled")
INSTRUCTOR_SCOPES = ("requests", "upcoming", "past", "cancelled")
UNPAID = (PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED)


# --- one booking ------------------------------------------------------------------------------


def with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """What a booking row, page or serializer shows: both people, the service, and the
    satellites a list mentions (payment, where it moved from or to, a no-show report)."""
    return bookings.select_related(
        "student",
        "instructor__user",
        "offering__service",
        "payment",
        "no_show",
        "reschedule",
        "rescheduled_from",
    )


def satellite(booking: Booking, name: str):
    """The booking's satellite `name`, or None (select_related caches a missing one as None)."""
    try:
        return getattr(booking, name)
    except ObjectDoesNotExist:
        return None


def booking_for_party(user, booking_id: str) -> Booking | None:
    """The booking if `user` is its student or its instructor, else None (callers answer 404,
    so nobody learns whether someone else's booking exists)."""
    if not user.is_authenticated:
        return None
    return with_details(Booking.objects.filter(Q(student=user) | Q(instructor__user=user), pk=booking_id)).first()


def booking_for_student(user, booking_id: str) -> Booking | None:
    if not user.is_authenticated:
        return None
    return with_details(Booking.objects.filter(student=user, pk=booking_id)).first()


def booking_for_instructor(user, booking_id: str) -> Booking | None:
    if not user.is_authenticated:
        return None
    return with_details(Booking.objects.filter(instructor__user=user, pk=booking_id)).first()


def instructor_profile(user) -> InstructorProfile | None:
    return InstructorProfile.objects.filter(user=user).select_related("user").first()


# --- the lists ------------------------------------------------------------------------------------

# Never listed: abandoned checkouts, and the old half of a reschedule (its new booking is listed,
# marked "moved from"). A student's live checkout hold is listed as upcoming (to finish it).
_NEVER_LISTED = Q(status=BookingStatus.EXPIRED, request_deadline__isnull=True) | Q(status=BookingStatus.RESCHEDULED)


def _request_open(now: dt.datetime) -> Q:
    return Q(status=BookingStatus.REQUESTED, request_deadline__gt=now)


def _upcoming(now: dt.datetime) -> Q:
    """Lessons ahead or happening: confirmed and not over, and requests still open."""
    return Q(status=BookingStatus.CONFIRMED, end_at__gt=now) | _request_open(now)


def _past(now: dt.datetime) -> Q:
    """Lessons that took place (or should have): completed, reported no-shows, and confirmed
    lessons whose end has passed (the sweep completes them)."""
    return Q(status__in=[BookingStatus.COMPLETED, BookingStatus.NO_SHOW]) | Q(
        status=BookingStatus.CONFIRMED, end_at__lte=now
    )


def _cancelled(now: dt.datetime) -> Q:
    """Lessons that will not happen, whenever they were for: cancelled, declined, and requests that
    expired (or whose answer is overdue)."""
    return Q(status__in=[BookingStatus.CANCELLED, BookingStatus.DECLINED, BookingStatus.EXPIRED]) | Q(
        status=BookingStatus.REQUESTED, request_deadline__lte=now
    )


def student_bookings(user: User, *, scope: str, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The student's lessons in one scope: upcoming (with a live checkout hold, soonest first), past
    or cancelled (latest first)."""
    now = now or current_time()
    mine = with_details(Booking.objects.filter(student=user).exclude(_NEVER_LISTED))
    if scope == "upcoming":
        live_hold = Q(status=BookingStatus.HELD, hold_expires_at__gt=now)
        return mine.filter(_upcoming(now) | live_hold).order_by("start_at", "pk")
    return mine.filter(_past(now) if scope == "past" else _cancelled(now)).order_by("-start_at", "-pk")


def instructor_bookings(user: User, *, scope: str, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The instructor's lessons in one scope: requests waiting for an answer (earliest deadline
    first), upcoming confirmed lessons (soonest first), past or cancelled (latest first)."""
    now = now or current_time()
    mine = with_details(
        Booking.objects.filter(instructor__user=user).exclude(_NEVER_LISTED).exclude(status=BookingStatus.HELD)
    )
    if scope == "requests":
        return mine.filter(_request_open(now)).order_by("request_deadline", "start_at", "pk")
    if scope == "upcoming":
        return mine.filter(status=BookingStatus.CONFIRMED, end_at__gt=now).order_by("start_at", "pk")
    return mine.filter(_past(now) if scope == "past" else _cancelled(now)).order_by("-start_at", "-pk")


@dataclass
class StudentLessons:
    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)


def student_lessons(user, *, now: dt.datetime) -> StudentLessons:
    """My Lessons: the three scopes, three queries."""
    return StudentLessons(
        upcoming=list(student_bookings(user, scope="upcoming", now=now)),
        past=list(student_bookings(user, scope="past", now=now)[:PAST_LIMIT]),
        cancelled=list(student_bookings(user, scope="cancelled", now=now)[:PAST_LIMIT]),
    )


@dataclass
class InstructorLessons:
    requests: list[Booking] = field(default_factory=list)
    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)


def instructor_lessons(user, *, now: dt.datetime) -> InstructorLessons:
    """The instructor's bookings page: the four scopes, four queries."""
    return InstructorLessons(
        requests=list(instructor_bookings(user, scope="requests", now=now)),
        upcoming=list(instructor_bookings(user, scope="upcoming", now=now)),
        past=list(instructor_bookings(user, scope="past", now=now)[:PAST_LIMIT]),
        cancelled=list(instructor_bookings(user, scope="cancelled", now=now)[:PAST_LIMIT]),
    )


def calendar_claims(profile: InstructorProfile, first: dt.datetime, last: dt.datetime) -> list[Claim]:
    """Active lessons overlapping [first, last), for the week editor's grid (one query)."""
    lessons = (
        Booking.objects.filter(instructor=profile, status__in=ACTIVE_STATUSES, start_at__lt=last, end_at__gt=first)
        .select_related("student")
        .order_by("start_at")
    )
    return [
        Claim(
            start_at=lesson.start_at,
            end_at=lesson.end_at,
            service=lesson.service_name,
            student=lesson.student.public_name,
            status=lesson.status,
            status_label=lesson.get_status_display(),
        )
        for lesson in lessons
    ]


# --- unpaid lessons (the bookings sweep that cancels them) ------------------------------------------


def unpaid_past_deadline(now: dt.datetime) -> list[str]:
    """Confirmed lessons, not started, whose failed authorization was not fixed by its deadline."""
    return list(
        BookingPayment.objects.filter(
            status__in=UNPAID,
            pay_by__lte=now,
            booking__status=BookingStatus.CONFIRMED,
            booking__start_at__gt=now,
        )
        .order_by("pay_by", "pk")
        .values_list("booking_id", flat=True)
    )


def is_unpaid_past_deadline(booking: Booking, payment: BookingPayment, now: dt.datetime) -> bool:
    """The same rule as `unpaid_past_deadline`, for rows re-read under their locks."""
    return (
        booking.status == BookingStatus.CONFIRMED
        and booking.start_at > now
        and payment.status in UNPAID
        and payment.pay_by is not None
        and payment.pay_by <= now
    )


# --- public availability -------------------------------------------------------------------------

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


def upcoming_lessons_of(user: User, *, now: dt.datetime) -> list[Booking]:
    """The lessons `user` takes or teaches that have not started and may still happen."""
    return list(
        Booking.objects.filter(
            Q(student=user) | Q(instructor__user=user), status__in=UPCOMING_STATUSES, start_at__gt=now
        )
        .select_related("instructor__user", "student", "offering__service")
        .order_by("start_at")
    )


def lessons_in_progress(user: User, *, now: dt.datetime) -> int:
    return Booking.objects.filter(
        Q(student=user) | Q(instructor__user=user),
        status=BookingStatus.CONFIRMED,
        start_at__lte=now,
        end_at__gt=now,
    ).count()


# --- the student's home (registered with instructors.student_home in BookingsConfig.ready) ----


def next_lesson_of(student: User, *, now: dt.datetime) -> Booking | None:
    """The first of the student's upcoming lessons, as My Lessons lists them."""
    return student_bookings(student, scope="upcoming", now=now).first()


def last_lessons_by_instructor(student: User, *, limit: int) -> list[Booking]:
    """The student's latest completed lesson with each instructor they can still book (live),
    most recent first: what a "Book again" button needs. One query."""
    latest_per_instructor = (
        Booking.objects.filter(
            student=student,
            status=BookingStatus.COMPLETED,
            instructor__is_live=True,
            instructor__user__is_active=True,
        )
        .order_by("instructor_id", "-start_at")
        .distinct("instructor_id")
        .values("pk")
    )
    lessons = Booking.objects.filter(pk__in=latest_per_instructor).select_related(
        "instructor__user", "offering__service"
    )
    return list(lessons.order_by("-start_at", "-pk")[:limit])
