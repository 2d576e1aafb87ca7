"""No double booking under real concurrency: threads with their own database connections,
released together by a barrier. Exactly one wins; the rest get a clean 409-class error."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.errors import SlotUnavailable, StudentBusy
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import open_instructor
from core import ratelimit
from core.models import RateLimitRule

NY = ZoneInfo("America/New_York")
DAY = dt.date(2026, 12, 3)
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
THREADS = 24


def at(hour, minute=0):
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=NY)


def race(attempts):
    """Run each attempt in its own thread and connection, all released at once.
    Returns (successes, domain errors, anything else)."""
    barrier = threading.Barrier(len(attempts))
    results, lock = [], threading.Lock()

    def run(attempt):
        try:
            barrier.wait()
            outcome = attempt()
        except (SlotUnavailable, StudentBusy) as error:
            outcome = error
        except Exception as error:  # noqa: BLE001 - a 500-class surprise is what we are looking for
            outcome = ("unexpected", error)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    successes = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, SlotUnavailable | StudentBusy)]
    unexpected = [r for r in results if isinstance(r, tuple)]
    return successes, refused, unexpected


def hold(student, offering, start_at, key):
    return lambda: services.hold_booking(
        student=student, offering=offering, start_at=start_at, duration=60, idempotency_key=key
    )


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db(transaction=True)
def test_many_students_one_slot_exactly_one_booking(clock):
    offering = open_instructor(days=[DAY]).offerings.get()
    students = [UserFactory() for _ in range(THREADS)]
    successes, refused, unexpected = race([hold(s, offering, at(10), f"k{i}") for i, s in enumerate(students)])
    assert unexpected == []
    assert len(successes) == 1
    assert len(refused) == THREADS - 1 and all(isinstance(r, SlotUnavailable) and r.status == 409 for r in refused)
    assert Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_overlapping_but_different_ranges_exactly_one_booking(clock):
    offering = open_instructor(days=[DAY]).offerings.get()
    students = [UserFactory() for _ in range(THREADS)]
    # Starts from 10:00 to 10:45: every pair of 60-minute lessons overlaps.
    starts = [at(10, 15 * (i % 4)) for i in range(THREADS)]
    successes, refused, unexpected = race(
        [hold(s, offering, t, f"k{i}") for i, (s, t) in enumerate(zip(students, starts, strict=True))]
    )
    assert unexpected == []
    assert (len(successes), len(refused)) == (1, THREADS - 1)
    assert Booking.objects.filter(status=BookingStatus.HELD).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_student_many_instructors_at_once_exactly_one_booking(clock):
    # This is about the database's guarantee, not the hold rate limit a real student would meet first.
    RateLimitRule.objects.create(bucket="booking_hold", limit=THREADS, period_seconds=60, burst=THREADS)
    ratelimit.clear_rule_cache()
    student = UserFactory()
    offerings = [open_instructor(days=[DAY]).offerings.get() for _ in range(THREADS)]
    successes, refused, unexpected = race([hold(student, o, at(10), f"k{i}") for i, o in enumerate(offerings)])
    assert unexpected == []
    assert len(successes) == 1
    assert len(refused) == THREADS - 1 and all(isinstance(r, StudentBusy) for r in refused)
    assert Booking.objects.filter(student=student).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_book_makes_one_booking(clock):
    offering = open_instructor(days=[DAY]).offerings.get()
    student = UserFactory()
    successes, refused, unexpected = race([hold(student, offering, at(10), "same-key") for _ in range(8)])
    assert unexpected == [] and refused == []
    assert len({booking.pk for booking in successes}) == 1
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_database_alone_rejects_an_overlapping_insert(clock):
    """Bypass the service entirely: the exclusion constraint is the guarantee."""
    booking = services.hold_booking(
        student=UserFactory(),
        offering=open_instructor(days=[DAY]).offerings.get(),
        start_at=at(10),
        duration=60,
        idempotency_key="first",
    )
    twin = Booking.objects.get(pk=booking.pk)
    twin.pk, twin.student, twin.idempotency_key = None, UserFactory(), "second"
    twin.start_at, twin.end_at = at(10, 30), at(11, 30)
    with pytest.raises(IntegrityError, match="bookings_booking_no_instructor_overlap"), transaction.atomic():
        twin.save(force_insert=True)
    # An inactive booking does not block: cancelled time can be booked again.
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
    twin.save(force_insert=True)
    assert Booking.objects.filter(status=BookingStatus.HELD).count() == 1
