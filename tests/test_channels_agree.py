"""One rulebook, three channels: for every lesson situation x party x action, the HTML pages, the
API and the admin console do exactly what `policies.lesson_actions` says, no more and no less.

Each case builds a lesson in its situation, asks the policy (through `services.actions_for`),
then tries the action through one channel and checks that the lesson changed if and only if the
policy allowed it, and that a refusal is a 4xx (a warning in the admin), never a 500.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, sign_in_verified
from bookings import services
from bookings.models import Booking, BookingNoShow, BookingStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 07:00 in New York
DAYS = [dt.date(2026, 12, 3), dt.date(2026, 12, 4), dt.date(2026, 12, 5)]
START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)
H = dt.timedelta(hours=1)


# --- the situations ------------------------------------------------------------------------------


def _confirmed(world):
    return book(world.student, world.offering, START)


def _requested(world):
    world.profile.requires_confirmation = True
    world.profile.save(update_fields=["requires_confirmation"])
    return book(world.student, world.offering, START)


def _held(world):
    return book(world.student, world.offering, START, confirm=False)


def _at(when, build):
    def situation(world):
        booking = build(world)
        world.clock.move_to(when)
        return booking

    return situation


def _reported_by_student(world):
    booking = _confirmed(world)
    world.clock.move_to(START + 2 * H)
    services.report_no_show(booking=booking, user=world.student)
    return booking


def _cancelled(world):
    booking = _confirmed(world)
    services.cancel_booking(booking=booking, user=world.student)
    return booking


def _declined(world):
    booking = _requested(world)
    services.decline_request(booking=booking, instructor_user=world.profile.user)
    return booking


def _rescheduled(world):
    booking = _confirmed(world)
    services.reschedule_booking(booking=booking, user=world.student, start_at=START + 48 * H, idempotency_key=new_key())
    return booking


def _completed(world):
    booking = _confirmed(world)
    world.clock.move_to(START + 3 * H)
    services.complete_finished_lessons()
    return booking


SITUATIONS = {
    "live hold": _held,
    "timed-out hold": _at(NOW + 11 * dt.timedelta(minutes=1), _held),
    "open request": _requested,
    "overdue request": _at(START - 30 * dt.timedelta(minutes=1), _requested),
    "confirmed, days ahead": _confirmed,
    "confirmed, late": _at(START - 3 * H, _confirmed),
    "in progress": _at(START + dt.timedelta(minutes=20), _confirmed),
    "completed": _completed,
    "completed, report window closed": _at(START + 30 * H, _completed),
    "no-show reported by the student": _reported_by_student,
    "cancelled": _cancelled,
    "declined": _declined,
    "rescheduled": _rescheduled,
}


# --- the channels ----------------------------------------------------------------------------------


def _client(user, *, api=False):
    client = APIClient() if api else Client()
    sign_in_verified(client, user)  # as after a real sign-in: staff pass the second step to reach the admin
    return client


def _html(world, party, action, booking):
    user = world.user(party)
    client = _client(user)
    urls = {
        "cancel": ("bookings:cancel", {"reason": "plans changed"}),
        "reschedule": ("bookings:reschedule_confirm", {"start_at": (START + 24 * H).isoformat(), "key": new_key()}),
        "report_no_show": ("bookings:report_no_show", {"note": ""}),
        "dispute_no_show": ("bookings:dispute_no_show", {"note": "I was there."}),
        "accept": ("bookings:accept", {}),
        "decline": ("bookings:decline", {}),
        "finish_checkout": ("payments:checkout", {"location_type": "online"}),
    }
    name, data = urls[action]
    return client.post(reverse(name, args=[booking.pk]), data).status_code


def _api(world, party, action, booking):
    client = _client(world.user(party), api=True)
    base = f"/api/v1/bookings/{booking.pk}"
    mine = f"/api/v1/instructor/bookings/{booking.pk}"
    urls = {
        "cancel": (f"{base}/cancel/", {}),
        "reschedule": (f"{base}/reschedule/", {"start_at": (START + 24 * H).isoformat(), "idempotency_key": new_key()}),
        "report_no_show": (f"{base}/no-show/", {}),
        "dispute_no_show": (f"{base}/no-show/dispute/", {"note": "I was there."}),
        "accept": (f"{mine}/accept/", {}),
        "decline": (f"{mine}/decline/", {}),
        "finish_checkout": (f"{base}/confirm/", {"location_type": "online"}),
    }
    url, data = urls[action]
    return client.post(url, data, format="json").status_code


def _admin(world, party, action, booking):
    client = _client(world.staff)
    name = {"cancel": "cancel_by_staff", "resolve_no_show": "resolve_no_show_upheld"}[action]
    response = client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": name, ACTION_CHECKBOX_NAME: [booking.pk]},
        follow=True,
    )
    return response.status_code


CHANNELS = {"html": _html, "api": _api, "admin": _admin}
# What each party can attempt through each channel.
ATTEMPTS = [
    *(
        ("student", channel, action)
        for channel in ("html", "api")
        for action in ("cancel", "reschedule", "report_no_show", "dispute_no_show", "finish_checkout")
    ),
    *(
        ("instructor", channel, action)
        for channel in ("html", "api")
        for action in ("cancel", "reschedule", "report_no_show", "dispute_no_show", "accept", "decline")
    ),
    ("staff", "admin", "cancel"),
    ("staff", "admin", "resolve_no_show"),
]

# How each action shows on the lesson once it happened.
HAPPENED = {
    "cancel": lambda booking, no_show: booking.status == BookingStatus.CANCELLED,
    "reschedule": lambda booking, no_show: booking.status == BookingStatus.RESCHEDULED,
    "report_no_show": lambda booking, no_show: no_show is not None and booking.status == BookingStatus.NO_SHOW,
    "dispute_no_show": lambda booking, no_show: no_show is not None and no_show.disputed_at is not None,
    "accept": lambda booking, no_show: booking.status == BookingStatus.CONFIRMED,
    "decline": lambda booking, no_show: booking.status == BookingStatus.DECLINED,
    "finish_checkout": lambda booking, no_show: booking.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED),
    "resolve_no_show": lambda booking, no_show: no_show is not None and no_show.resolved_at is not None,
}


class World:
    def __init__(self, clock):
        self.clock = clock
        self.profile = open_instructor(days=DAYS)
        self.offering = self.profile.offerings.get()
        self.student = UserFactory(role="student")
        give_card(self.student)
        self.staff = UserFactory(role="admin", is_staff=True)

    def user(self, party):
        return {"student": self.student, "instructor": self.profile.user, "staff": self.staff}[party]


def _state(booking_id):
    booking = Booking.objects.get(pk=booking_id)
    return booking, BookingNoShow.objects.filter(booking=booking).first()


@pytest.mark.parametrize("situation", list(SITUATIONS))
@pytest.mark.parametrize(("party", "channel", "action"), ATTEMPTS)
def test_every_channel_does_what_the_policy_says(situation, party, channel, action):
    with time_machine.travel(NOW, tick=False) as clock:
        world = World(clock)
        booking = SITUATIONS[situation](world)
        booking, no_show = _state(booking.pk)
        already = HAPPENED[action](booking, no_show)
        policy = services.actions_for(booking, world.user(party))
        allowed = getattr(policy, action).allowed

        status = CHANNELS[channel](world, party, action, booking)

        after, no_show = _state(booking.pk)
        happened = HAPPENED[action](after, no_show) and not already
        assert happened == allowed, (situation, party, channel, action, status, getattr(policy, action).reason)
        assert status < 500
        if not allowed and not already and channel != "admin":  # (asking again for what is done is idempotent)
            assert 400 <= status < 500, (situation, party, channel, action, status)
