"""With Redis gone, every page keeps working, and what needs it (test-mode card payments, which
keep their simulated Stripe objects in Redis) says "not available right now" instead of a 500
(issue 10, item 7). The cache and the rate limiter fail open; sessions live in the database."""

import datetime as dt

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor
from core.circuit import redis_breaker

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[dt.date(2026, 12, day) for day in (1, 2, 3)], ranges=((8 * 60, 20 * 60),))
        student = UserFactory(role="student")
        give_card(student)
        lesson = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC))
        yield profile, student, lesson


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    redis_breaker.reset()
    yield
    redis_breaker.reset()


def student_pages(profile, lesson):
    return [
        "/",
        "/services/",
        "/search/?q=piano",
        f"/instructors/{profile.pk}/",
        f"/instructors/{profile.pk}/book/",
        "/lessons/",
        f"/bookings/{lesson.pk}/",
        f"/bookings/{lesson.pk}/reschedule/",
        "/messages/",
        "/account/cards/",
        "/account/cards/add/",
        "/account/credits/",
        f"/bookings/{lesson.pk}/receipt/",
    ]


INSTRUCTOR_PAGES = ["/teach/", "/teach/calendar/", "/teach/bookings/", "/teach/earnings/", "/teach/rules/"]


def test_every_page_keeps_working(client, world, redis_down):
    profile, student, lesson = world
    with time_machine.travel(NOW, tick=False):
        client.force_login(student)
        for url in student_pages(profile, lesson):
            assert client.get(url).status_code == 200, url
        client.force_login(profile.user)
        for url in INSTRUCTOR_PAGES:
            assert client.get(url).status_code == 200, url
        client.logout()
        assert client.get(f"/api/v1/public/instructors/{profile.pk}/availability").status_code == 200


def test_adding_a_card_says_not_available_right_now(client, world, redis_down):
    _, student, _ = world
    client.force_login(student)
    response = client.post("/account/cards/add/", {"number": "4242 4242 4242 4242"})
    assert response.status_code == 503
    assert "not available right now" in response.content.decode()


def test_a_checkout_that_must_authorize_now_says_not_available_and_keeps_the_hold(client, world, redis_down):
    profile, student, _ = world
    with time_machine.travel(NOW, tick=False):
        soon = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)
        held = booking_services.hold_booking(
            student=student, offering=profile.offerings.get(), start_at=soon, duration=60, idempotency_key=new_key()
        )
        client.force_login(student)
        response = client.post(f"/bookings/{held.pk}/checkout/", {"location_type": "online"})
        assert response.status_code == 503 and "not available right now" in response.content.decode()
        assert Booking.objects.get(pk=held.pk).status == BookingStatus.HELD
