"""Read queries for the booking pages: each returns the rows a page shows with the joins it
needs, so a list page costs the same number of queries however many lessons it lists."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from availability.overlays import Claim
from instructors.models import InstructorProfile

from .models import ACTIVE_STATUSES, Booking, BookingStatus

PAST_LIMIT = 50  # the most recent past lessons a list page shows


def with_details(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """What a booking row or page shows: both people, the service, the satellites a list
    mentions (where it moved from, a no-show report)."""
    return bookings.select_related(
        "student",
        "instructor__user",
        "offering__service",
        "rescheduled_from",
        "no_show",
    )


def booking_for_party(user, booking_id: str) -> Booking | None:
    """The booking if `user` is its student or its instructor, else None (→ 404)."""
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


# Bookings that never became lessons and say nothing useful in a list: abandoned checkouts,
# and the old half of a reschedule (its new booking is listed, marked "moved from").
_HIDDEN_FROM_LISTS = Q(status=BookingStatus.EXPIRED, request_deadline__isnull=True) | Q(
    status=BookingStatus.RESCHEDULED
)


@dataclass
class StudentLessons:
    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)


def _student_upcoming(now: dt.datetime) -> Q:
    return (
        Q(status=BookingStatus.CONFIRMED, end_at__gt=now)
        | Q(status=BookingStatus.REQUESTED, request_deadline__gt=now, end_at__gt=now)
        | Q(status=BookingStatus.HELD, hold_expires_at__gt=now)
    )


def student_lessons(user, *, now: dt.datetime) -> StudentLessons:
    """A student's lessons: upcoming (soonest first) and past (latest first). Two queries."""
    lessons = with_details(Booking.objects.filter(student=user).exclude(_HIDDEN_FROM_LISTS))
    upcoming = lessons.filter(_student_upcoming(now)).order_by("start_at")
    past = lessons.exclude(_student_upcoming(now)).exclude(status=BookingStatus.HELD).order_by("-start_at")
    return StudentLessons(upcoming=list(upcoming), past=list(past[:PAST_LIMIT]))


@dataclass
class InstructorLessons:
    requests: list[Booking] = field(default_factory=list)
    upcoming: list[Booking] = field(default_factory=list)
    past: list[Booking] = field(default_factory=list)


def instructor_profile(user) -> InstructorProfile | None:
    return InstructorProfile.objects.filter(user=user).select_related("user").first()


def instructor_lessons(profile: InstructorProfile, *, now: dt.datetime) -> InstructorLessons:
    """An instructor's requests waiting for an answer, upcoming lessons and past lessons.
    Checkout holds are not shown: they are not lessons yet. Three queries."""
    lessons = with_details(Booking.objects.filter(instructor=profile).exclude(_HIDDEN_FROM_LISTS))
    requests = lessons.filter(status=BookingStatus.REQUESTED, request_deadline__gt=now).order_by("request_deadline")
    upcoming = lessons.filter(status=BookingStatus.CONFIRMED, end_at__gt=now).order_by("start_at")
    past = (
        lessons.exclude(status=BookingStatus.HELD)
        .exclude(status=BookingStatus.REQUESTED, request_deadline__gt=now)
        .exclude(status=BookingStatus.CONFIRMED, end_at__gt=now)
        .order_by("-start_at")
    )
    return InstructorLessons(requests=list(requests), upcoming=list(upcoming), past=list(past[:PAST_LIMIT]))


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
