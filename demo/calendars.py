"""Demo calendars: every live demo instructor gets a recurring week painted over the coming
weeks, and the demo student gets an upcoming lesson, so the booking flow can be tried at once.

Runs after instructors.demo on every `seed_demo`; it only fills calendars that are empty
from this week on, so an instructor's own edits in the demo survive a restart.
"""

import datetime as dt
import random

from django.db import transaction

from accounts.models import User
from availability import services as availability_services
from availability.models import AvailabilityDay
from availability.selectors import week_start_of
from bookings import services
from bookings.models import Booking
from bookings.openings import local_today, start_times
from instructors.models import InstructorProfile
from payments.services import checkout_booking, save_card

DEMO_WEEKS = 6
# Recurring weeks to choose from: (weekdays 0=Mon, [(start minute, end minute)]).
WEEK_PATTERNS = (
    ((0, 1, 2, 3, 4), [(9 * 60, 12 * 60), (13 * 60, 17 * 60)]),
    ((0, 2, 4, 5), [(10 * 60, 14 * 60)]),
    ((1, 3, 5, 6), [(8 * 60, 11 * 60), (16 * 60, 20 * 60)]),
    ((0, 1, 2, 3), [(15 * 60, 21 * 60)]),
    ((4, 5, 6), [(9 * 60, 18 * 60)]),
)


@transaction.atomic
def seed_demo_calendars(*, student_email: str) -> tuple[int, int]:
    """Returns (instructors whose calendar was painted, lessons booked)."""
    painted = sum(_paint(profile) for profile in InstructorProfile.objects.filter(is_live=True).select_related("user"))
    booked = _book_demo_lesson(student_email)
    return painted, booked


def _paint(profile: InstructorProfile) -> bool:
    this_week = week_start_of(local_today(profile))
    if AvailabilityDay.objects.filter(instructor=profile, date__gte=this_week).exists():
        return False
    rng = random.Random(profile.user.email)  # noqa: S311 - demo data; stable per instructor
    weekdays, ranges = rng.choice(WEEK_PATTERNS)
    availability_services.save_weekly_template(profile=profile, weekdays=dict.fromkeys(weekdays, ranges))
    availability_services.apply_weekly_template(profile=profile, week_start=this_week, weeks=DEMO_WEEKS)
    return True


def _book_demo_lesson(student_email: str) -> int:
    student = User.objects.filter(email=student_email).first()
    if student is None or Booking.objects.filter(student=student).exists():
        return 0
    profile = InstructorProfile.objects.filter(is_live=True).exclude(user=student).order_by("-years_experience").first()
    offering = profile.offerings.filter(is_active=True).first() if profile else None
    if offering is None:
        return 0
    duration = 60 if 60 in offering.durations else offering.durations[0]
    first_day = local_today(profile) + dt.timedelta(days=3)
    times = start_times(profile, duration=duration, first=first_day, days=14)
    if not times:
        return 0
    if not student.saved_cards.exists():
        save_card(user=student, payment_method_id="pm_card_visa")  # Stripe's test Visa (test mode)
    hold = services.hold_booking(
        student=student, offering=offering, start_at=times[0].start_at, duration=duration, idempotency_key="demo-1"
    )
    checkout_booking(
        booking=hold,
        student=student,
        location_type=offering.location_types[0],
        address="350 5th Ave, New York, NY" if "student_location" in offering.location_types[:1] else "",
    )
    return 1
