"""One reading of the lists: My Lessons and the instructor's bookings page list exactly what the
API lists in the same scope (upcoming, past, cancelled, requests). A cancelled or declined future
lesson is under "cancelled", never "past"; an overdue request is not "upcoming" anywhere."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.tests.factories import book, give_card, new_key, open_instructor

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2026, 12, day) for day in (1, 2, 3, 4, 5)]


def at(day, hour):
    return dt.datetime.combine(dt.date(2026, 12, day), dt.time(hour), tzinfo=NY)


@pytest.fixture
def world():
    with time_machine.travel(at(1, 6), tick=False) as clock:
        teacher = open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),))
        asks_first = open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),), requires_confirmation=True)
        offering, requests = teacher.offerings.get(), asks_first.offerings.get()
        student = UserFactory(role="student")
        give_card(student)
        kinds = {}
        kinds["done"] = book(student, offering, at(1, 8))
        kinds["missed"] = book(student, offering, at(1, 10))
        clock.move_to(at(1, 12))
        services.complete_finished_lessons()
        services.report_no_show(booking=kinds["missed"], user=student)
        kinds["ahead"] = book(student, offering, at(4, 10))
        kinds["cancelled ahead"] = book(student, offering, at(4, 12))
        services.cancel_booking(booking=kinds["cancelled ahead"], user=student)
        kinds["moved"] = book(student, offering, at(4, 14))
        kinds["moved to"] = services.reschedule_booking(
            booking=kinds["moved"], user=student, start_at=at(5, 14), idempotency_key=new_key()
        )
        kinds["open request"] = book(student, requests, at(5, 10))
        kinds["declined"] = book(student, requests, at(5, 12))
        services.decline_request(booking=kinds["declined"], instructor_user=asks_first.user)
        kinds["overdue request"] = book(student, requests, at(2, 10))  # deadline: 9:00 on the 2nd
        kinds["timed-out hold"] = book(student, offering, at(5, 18), confirm=False)
        clock.move_to(at(2, 9) + dt.timedelta(minutes=30))
        kinds["live hold"] = book(student, offering, at(5, 16), confirm=False)
        yield clock, student, teacher, asks_first, kinds


def ids(bookings) -> set[str]:
    return {booking.pk for booking in bookings}


def api_ids(user, url, scope) -> set[str]:
    client = APIClient()
    client.force_login(user)
    return {row["id"] for row in client.get(url, {"scope": scope, "page_size": 100}).json()["results"]}


def test_my_lessons_and_the_api_read_the_same_lists(client, world):
    clock, student, _, _, kinds = world
    client.force_login(student)
    lessons = client.get(reverse("bookings:my_lessons")).context["lessons"]
    for scope in ("upcoming", "past", "cancelled"):
        assert ids(getattr(lessons, scope)) == api_ids(student, "/api/v1/bookings/", scope), scope
    assert ids(lessons.upcoming) == {kinds[k].pk for k in ("ahead", "moved to", "open request", "live hold")}
    assert ids(lessons.past) == {kinds[k].pk for k in ("done", "missed")}
    assert ids(lessons.cancelled) == {kinds[k].pk for k in ("cancelled ahead", "declined", "overdue request")}


def test_the_instructors_page_and_the_api_read_the_same_lists(client, world):
    clock, _, teacher, asks_first, kinds = world
    for instructor in (teacher, asks_first):
        client.force_login(instructor.user)
        lessons = client.get(reverse("bookings:instructor_bookings")).context["lessons"]
        for scope in ("requests", "upcoming", "past", "cancelled"):
            expected = api_ids(instructor.user, "/api/v1/instructor/bookings/", scope)
            assert ids(getattr(lessons, scope)) == expected, (instructor, scope)
    client.force_login(asks_first.user)
    lessons = client.get(reverse("bookings:instructor_bookings")).context["lessons"]
    assert ids(lessons.requests) == {kinds["open request"].pk}
    assert ids(lessons.cancelled) == {kinds["declined"].pk, kinds["overdue request"].pk}
    client.force_login(teacher.user)
    assert kinds["live hold"].pk not in ids(
        client.get(reverse("bookings:instructor_bookings")).context["lessons"].upcoming
    )
