"""Rescheduling asks before it moves: a confirmation step that states what the move changes, the
same time refused, only starts on the instructor's 15-minute grid, and a request is told why it
can't be moved instead of a 500 (issue 9, items 2 and 4). HTML and API alike."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday 7:00 AM in New York
START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)
DAYS = [dt.date(2026, 12, 3), dt.date(2026, 12, 4)]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile(clock):
    return open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),))


@pytest.fixture
def student(clock):
    maya = UserFactory(role="student")
    give_card(maya)
    return maya


@pytest.fixture
def lesson(profile, student):
    return book(student, profile.offerings.get(), START)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_request_is_told_why_it_cant_be_moved_not_a_500(client, profile, student):
    profile.requires_confirmation = True
    profile.save(update_fields=["requires_confirmation"])
    request = book(student, profile.offerings.get(), START)
    client.force_login(student)
    response = client.get(reverse("bookings:reschedule", args=[request.pk]))
    assert response.status_code == 409
    assert "has not accepted this request yet" in text(response)
    preview = api(student).get(f"/api/v1/bookings/{request.pk}/reschedule-preview/")
    assert (preview.status_code, preview.json()["error"]["code"]) == (409, "invalid_transition")


def test_the_confirmation_step_states_the_new_time_and_what_cancelling_then_costs(client, lesson, student, clock):
    clock.move_to(START - dt.timedelta(hours=25))  # moving is free; the new time will be under a day away
    client.force_login(student)
    new_start = START - dt.timedelta(hours=2)
    url = reverse("bookings:reschedule_confirm", args=[lesson.pk])
    body = text(client.get(url, {"start_at": new_start.isoformat()}))
    assert "Moving it is free" in body
    assert "Thursday, December 3, 2026" in body and "8:00 AM" in body
    assert "counts from the new time" in body
    assert "cancelling it after the move costs the full $60" in body
    assert Booking.objects.get(pk=lesson.pk).status == BookingStatus.CONFIRMED  # nothing moved by looking


def test_the_same_time_is_refused_everywhere(client, lesson, student):
    client.force_login(student)
    url = reverse("bookings:reschedule_confirm", args=[lesson.pk])
    for response in (
        client.get(url, {"start_at": START.isoformat()}),
        client.post(url, {"start_at": START.isoformat(), "key": "k"}),
    ):
        assert response.status_code == 400 and "the lesson&#x27;s time already" in text(response)
    response = api(student).post(
        f"/api/v1/bookings/{lesson.pk}/reschedule/",
        {"start_at": START.isoformat(), "idempotency_key": new_key()},
        format="json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_option")
    assert Booking.objects.get(pk=lesson.pk).status == BookingStatus.CONFIRMED


def test_only_starts_on_the_15_minute_grid_are_accepted(client, lesson, student, profile):
    off_grid = START + dt.timedelta(days=1, minutes=7)
    client.force_login(student)
    response = client.get(reverse("bookings:reschedule_confirm", args=[lesson.pk]), {"start_at": off_grid.isoformat()})
    assert response.status_code == 409 and "15-minute grid" in text(response)
    moved = api(student).post(
        f"/api/v1/bookings/{lesson.pk}/reschedule/",
        {"start_at": off_grid.isoformat(), "idempotency_key": new_key()},
        format="json",
    )
    assert (moved.status_code, moved.json()["error"]["code"]) == (409, "outside_availability")
    held = api(UserFactory(role="student")).post(
        "/api/v1/bookings/",
        {
            "offering_id": profile.offerings.get().pk,
            "start_at": off_grid.isoformat(),
            "duration": 60,
            "idempotency_key": new_key(),
        },
        format="json",
    )
    assert (held.status_code, held.json()["error"]["code"]) == (409, "outside_availability")
    assert Booking.objects.count() == 1


def test_the_api_preview_gives_the_terms_of_a_new_time(lesson, student, clock):
    clock.move_to(START - dt.timedelta(hours=25))
    new_start = START - dt.timedelta(hours=2)
    response = api(student).get(
        f"/api/v1/bookings/{lesson.pk}/reschedule-preview/", {"start_at": new_start.isoformat()}
    )
    body = response.json()
    assert response.status_code == 200 and body["allowed"] and not body["lock_funds"]
    terms = body["terms"]
    assert terms["new_start_at"] == "2026-12-03T13:00:00Z"
    assert (terms["cancel_after_move"]["charge_cents"], terms["free_cancel_until"]) == (60_00, None)
    plain = api(student).get(f"/api/v1/bookings/{lesson.pk}/reschedule-preview/").json()
    assert plain["terms"] is None


def test_confirming_moves_the_lesson_once(client, lesson, student):
    client.force_login(student)
    new_start = START + dt.timedelta(days=1)
    url = reverse("bookings:reschedule_confirm", args=[lesson.pk])
    key = client.get(url, {"start_at": new_start.isoformat()}).context["key"]
    first = client.post(url, {"start_at": new_start.isoformat(), "key": key})
    second = client.post(url, {"start_at": new_start.isoformat(), "key": key})  # a double click
    moved = Booking.objects.get(student=student, status=BookingStatus.CONFIRMED)
    assert first.url == reverse("bookings:detail", args=[moved.pk])
    assert second.status_code in (302, 409)
    assert Booking.objects.filter(student=student).count() == 2  # the old half and the new lesson
