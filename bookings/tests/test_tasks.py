"""The beat tasks: each sweeps what is due, with time travel, and is safe to run twice or at once."""

import datetime as dt
import importlib
import logging
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.tests.factories import UserFactory
from bookings import openings
from bookings.models import Booking, BookingStatus, Settlement
from bookings.tasks import complete_finished_lessons, expire_unanswered_requests, release_expired_holds
from bookings.tests.factories import book, open_instructor

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LESSON_DAY = dt.date(2026, 12, 3)
SCHEDULES = {
    "bookings: release expired holds": ("bookings.tasks.release_expired_holds", 1),
    "bookings: expire unanswered requests": ("bookings.tasks.expire_unanswered_requests", 5),
    "bookings: complete finished lessons": ("bookings.tasks.complete_finished_lessons", 5),
}


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A start on the lesson day, New York wall clock."""
    return dt.datetime(2026, 12, 3, hour, minute, tzinfo=NY)


def free_starts(profile) -> set[dt.datetime]:
    return {start.start_at for start in openings.start_times(profile, duration=60, first=LESSON_DAY, days=1)}


def snapshot(*bookings) -> list[tuple]:
    return [(row.status, row.updated_at) for row in Booking.objects.filter(pk__in=[b.pk for b in bookings])]


def test_release_expired_holds_frees_the_time_once():
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[LESSON_DAY])
        offering = profile.offerings.get()
        hold = book(UserFactory(), offering, at(10), confirm=False)
        assert hold.status == BookingStatus.HELD
        assert at(10) not in free_starts(profile)

    with time_machine.travel(NOW + dt.timedelta(minutes=9), tick=False):
        assert release_expired_holds() == 0  # still inside its 10 minutes
        hold.refresh_from_db()
        assert hold.status == BookingStatus.HELD

    with time_machine.travel(NOW + dt.timedelta(minutes=10, seconds=1), tick=False):
        assert release_expired_holds.apply().get() == 1
        hold.refresh_from_db()
        assert hold.status == BookingStatus.EXPIRED
        assert hold.payment.settlement == Settlement.RELEASE
        assert at(10) in free_starts(profile)
        before = snapshot(hold)
        assert release_expired_holds() == 0
        assert snapshot(hold) == before
        # Someone else can now book the time.
        other = book(UserFactory(), offering, at(10))
        assert other.status == BookingStatus.CONFIRMED


def test_expire_unanswered_requests_after_the_deadline():
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[LESSON_DAY], requires_confirmation=True)
        request = book(UserFactory(), profile.offerings.get(), at(10))
        assert request.status == BookingStatus.REQUESTED
        deadline = request.request_deadline
        assert deadline == NOW + dt.timedelta(hours=24)

    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert expire_unanswered_requests() == 0
        request.refresh_from_db()
        assert request.status == BookingStatus.REQUESTED

    with time_machine.travel(deadline, tick=False):
        assert expire_unanswered_requests() == 1
        request.refresh_from_db()
        assert request.status == BookingStatus.EXPIRED
        assert at(10) in free_starts(profile)
        before = snapshot(request)
        assert expire_unanswered_requests() == 0
        assert snapshot(request) == before


def test_complete_finished_lessons_only_after_their_end():
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[LESSON_DAY])
        offering = profile.offerings.get()
        morning = book(UserFactory(), offering, at(10))  # ends 11:00 New York = 16:00 UTC
        afternoon = book(UserFactory(), offering, at(14))
        held = book(UserFactory(), offering, at(12), confirm=False)  # not a lesson: never completed

    with time_machine.travel(at(10, 59), tick=False):
        assert complete_finished_lessons() == 0

    end = morning.end_at
    assert end == dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)
    with time_machine.travel(end, tick=False):
        assert complete_finished_lessons() == 1
        morning.refresh_from_db()
        afternoon.refresh_from_db()
        assert morning.status == BookingStatus.COMPLETED
        assert morning.completed_at == end
        assert afternoon.status == BookingStatus.CONFIRMED  # not yet ended
        before = snapshot(morning, afternoon, held)
        assert complete_finished_lessons() == 0
        assert snapshot(morning, afternoon, held) == before

    with time_machine.travel(afternoon.end_at + dt.timedelta(hours=1), tick=False):
        assert complete_finished_lessons() == 1
        afternoon.refresh_from_db()
        held.refresh_from_db()
        assert afternoon.status == BookingStatus.COMPLETED
        assert held.status == BookingStatus.HELD  # holds are release_expired_holds' job


def test_each_task_logs_its_count(caplog):
    with caplog.at_level(logging.INFO, logger="bookings.tasks"):
        assert release_expired_holds() == 0
        assert expire_unanswered_requests() == 0
        assert complete_finished_lessons() == 0
    messages = [record.getMessage() for record in caplog.records if record.name == "bookings.tasks"]
    assert messages == [
        "release_expired_holds: released 0 expired hold(s)",
        "expire_unanswered_requests: expired 0 unanswered request(s)",
        "complete_finished_lessons: completed 0 lesson(s)",
    ]


def test_tasks_are_registered_under_the_names_beat_sends():
    from instainstru.celery import app

    for task, _ in SCHEDULES.values():
        assert task in app.tasks
        assert app.tasks[task].acks_late


def test_the_beat_schedules_exist_after_migrations():
    rows = {task.name: (task.task, task.interval) for task in PeriodicTask.objects.select_related("interval")}
    for name, (task, minutes) in SCHEDULES.items():
        assert name in rows, f"missing beat schedule {name!r}"
        assert rows[name][0] == task
        assert (rows[name][1].every, rows[name][1].period) == (minutes, IntervalSchedule.MINUTES)
        assert PeriodicTask.objects.get(name=name).enabled


def test_the_schedule_migration_is_idempotent_and_reversible():
    migration = importlib.import_module("bookings.migrations.0003_beat_schedules")
    migration.create_schedules(apps, None)
    migration.create_schedules(apps, None)  # again: nothing doubles
    assert PeriodicTask.objects.filter(name__in=SCHEDULES).count() == 3
    assert IntervalSchedule.objects.filter(period="minutes", every=5).count() == 1

    migration.remove_schedules(apps, None)
    assert not PeriodicTask.objects.filter(name__in=SCHEDULES).exists()
    # Intervals nobody uses any more are gone; one another app's task still uses is kept (the
    # privacy app's export sweep runs every 5 minutes too).
    assert not IntervalSchedule.objects.filter(period="minutes", every__in=[1, 5], periodictask__isnull=True).exists()
    still_used = PeriodicTask.objects.filter(interval__period="minutes", interval__every=5)
    assert {task.task.split(".")[0] for task in still_used} == {"privacy"}

    migration.create_schedules(apps, None)
    test_the_beat_schedules_exist_after_migrations()


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_release_each_hold_exactly_once():
    """Four workers sweep at the same instant: every expired hold is released by exactly one."""
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[LESSON_DAY])
        offering = profile.offerings.get()
        holds = [book(UserFactory(), offering, at(hour), confirm=False) for hour in range(9, 15)]

    barrier = threading.Barrier(4)
    counts, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            counts.append(release_expired_holds())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        threads = [threading.Thread(target=sweep) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sum(counts) == len(holds)
    assert set(Booking.objects.filter(pk__in=[h.pk for h in holds]).values_list("status", flat=True)) == {
        BookingStatus.EXPIRED
    }
