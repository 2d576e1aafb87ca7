import datetime as dt

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from availability.models import AvailabilityDay
from bookings.models import Booking, BookingStatus
from demo.calendars import DEMO_WEEKS, seed_demo_calendars
from instructors.tests.factories import live_instructor

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_demo_calendars_are_painted_once_and_the_student_gets_a_lesson():
    profiles = [live_instructor(location_types=("online",)) for _ in range(3)]
    student = UserFactory(email="student@instainstru.test")
    painted, booked = seed_demo_calendars(student_email=student.email)
    assert (painted, booked) == (3, 1)
    for profile in profiles:
        days = AvailabilityDay.objects.filter(instructor=profile)
        assert days.exists()
        assert days.latest("date").date < dt.date(2026, 11, 30) + dt.timedelta(weeks=DEMO_WEEKS)
    lesson = Booking.objects.get(student=student)
    assert lesson.status == BookingStatus.CONFIRMED
    assert lesson.start_at >= dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    # Again: nothing repainted, no second lesson (an instructor's own edits survive restarts).
    assert seed_demo_calendars(student_email=student.email) == (0, 0)
    assert Booking.objects.count() == 1
