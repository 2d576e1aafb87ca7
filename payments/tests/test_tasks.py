"""The payments beat task: a thin wrapper around advance_all, scheduled every minute by a data migration."""

import datetime as dt
import importlib
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.tests.factories import UserFactory
from bookings.models import PaymentStatus
from bookings.tests.factories import book, open_instructor
from payments.services import lifecycle
from payments.tasks import advance_payments

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 4)
START = dt.datetime(2026, 12, 4, 10, 0, tzinfo=NY)
NAME = "payments: advance payments"
TASK = "payments.tasks.advance_payments"


@pytest.fixture(autouse=True)
def gateway(simulated_gateway):
    return simulated_gateway


def test_the_task_sweeps_what_is_due_and_returns_the_step_count(caplog):
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[DAY])
        booking = book(UserFactory(role="student"), profile.offerings.get(), START)
        assert advance_payments() == 0  # two days before: nothing due yet

    with time_machine.travel(START - dt.timedelta(hours=24), tick=False), caplog.at_level(logging.INFO):
        assert advance_payments.apply().get() == 1  # the authorization
        booking.payment.refresh_from_db()
        assert booking.payment.status == PaymentStatus.AUTHORIZED
        assert advance_payments() == 0  # run again: nothing done twice
    messages = [record.getMessage() for record in caplog.records if record.name == "payments.tasks"]
    assert messages[-2:] == ["advance_payments: took 1 payment step(s)", "advance_payments: took 0 payment step(s)"]


def test_the_task_is_a_thin_wrapper_around_advance_all(monkeypatch):
    calls = []

    def advance_all(**kwargs):
        calls.append(kwargs)
        return 7

    monkeypatch.setattr(lifecycle, "advance_all", advance_all)
    assert advance_payments() == 7
    assert calls == [{}]


def test_the_task_is_registered_under_the_name_beat_sends():
    from instainstru.celery import app

    task = app.tasks[TASK]
    assert task.acks_late
    assert task.soft_time_limit < task.time_limit


def test_the_beat_schedule_exists_after_migrations():
    task = PeriodicTask.objects.select_related("interval").get(name=NAME)
    assert task.task == TASK and task.enabled
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.MINUTES)
    assert task.expire_seconds == 60


def test_the_schedule_migration_is_idempotent_and_reversible():
    migration = importlib.import_module("payments.migrations.0003_beat_schedules")
    migration.create_schedules(apps, None)
    migration.create_schedules(apps, None)  # again: nothing doubles
    assert PeriodicTask.objects.filter(name=NAME).count() == 1
    assert IntervalSchedule.objects.filter(period="minutes", every=1).count() == 1  # shared with bookings

    migration.remove_schedules(apps, None)
    assert not PeriodicTask.objects.filter(name=NAME).exists()
    # The 1-minute interval other apps' tasks still use is kept; nothing unused is left behind.
    assert IntervalSchedule.objects.filter(period="minutes", every=1).exists()
    assert not IntervalSchedule.objects.filter(period="minutes", every=1, periodictask__isnull=True).exists()

    migration.create_schedules(apps, None)
    test_the_beat_schedule_exists_after_migrations()


def test_reversing_removes_the_interval_when_nobody_else_uses_it():
    migration = importlib.import_module("payments.migrations.0003_beat_schedules")
    PeriodicTask.objects.exclude(name=NAME).filter(interval__every=1, interval__period="minutes").delete()
    migration.remove_schedules(apps, None)
    assert not IntervalSchedule.objects.filter(period="minutes", every=1).exists()
    migration.create_schedules(apps, None)
    test_the_beat_schedule_exists_after_migrations()


def test_a_booking_change_queues_the_payment_steps_and_the_page_never_calls_stripe(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    """A cancel releases the card's hold in a task, not on the request thread: the page answers
    with the hold still in place, and the queued task releases it."""
    from bookings.models import BookingStatus
    from payments import tasks
    from payments.simulated import simulated_object

    queued = []
    monkeypatch.setattr(tasks.advance_booking_payment, "apply_async", lambda args, **kw: queued.append(args))
    with time_machine.travel(START - dt.timedelta(hours=2), tick=False):
        profile = open_instructor(days=[DAY])
        student = UserFactory(role="student")
        booking = book(student, profile.offerings.get(), START)  # authorized at checkout: under a day away
        booking.payment.refresh_from_db()
        intent = booking.payment.payment_intent_id
        assert simulated_object(intent)["status"] == "requires_capture"
        client.force_login(profile.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/bookings/{booking.pk}/cancel/", {"reason": "Sick"})
        assert response.status_code == 302
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert simulated_object(intent)["status"] == "requires_capture"  # nothing asked of Stripe yet
        assert queued == [[booking.pk]]
        assert tasks.advance_booking_payment(booking.pk) == ["release"]  # what the worker does
        assert simulated_object(intent)["status"] == "canceled"


def test_a_dead_broker_costs_the_request_nothing(monkeypatch):
    from payments import receivers, tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.advance_booking_payment, "apply_async", broker_down)
    receivers.broker_breaker.reset()
    receivers.queue_payment_steps(sender=None, booking_id="01NOTHING")  # no exception: the sweep covers it
    assert receivers.broker_breaker.is_open
    receivers.broker_breaker.reset()
