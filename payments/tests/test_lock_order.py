"""One lock order (booking row, then payment row) under real concurrency: a student cancelling a
lesson whose payment failed, the bookings sweep that cancels unpaid lessons, and the payments
sweep, all on the same lesson at the same instant, many times. Never a deadlock, never an
unexpected error, exactly one cancellation, and the money always reconciles."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.errors import InvalidTransition, PolicyViolation
from bookings.models import Booking, BookingStatus, PaymentStatus
from bookings.tests.factories import book, give_card, open_instructor
from payments import services
from payments.selectors import reconciliation_problems

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)
ROUNDS = 12


def race(attempts) -> list:
    """Run each attempt in its own thread and database connection, released together; returns
    what each raised that is not a refusal of the rules (a deadlock would be one)."""
    barrier = threading.Barrier(len(attempts))
    surprises, lock = [], threading.Lock()

    def run(attempt):
        try:
            barrier.wait()
            attempt()
        except (InvalidTransition, PolicyViolation):
            pass  # the other side won: the rules refuse cleanly
        except Exception as error:  # noqa: BLE001 - a deadlock or any surprise is what we look for
            with lock:
                surprises.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return surprises


def unpaid_lesson(clock) -> Booking:
    """A confirmed lesson whose authorization failed a day before, now past its pay-by deadline."""
    clock.move_to(NOW)
    student = UserFactory(role="student")
    give_card(student, "pm_card_chargeCustomerFail")
    booking = book(student, open_instructor(days=[START.date()]).offerings.get(), START)
    clock.move_to(START - dt.timedelta(hours=24))
    services.advance_all()
    booking.refresh_from_db()
    assert booking.payment.status == PaymentStatus.FAILED
    clock.move_to(booking.payment.pay_by + dt.timedelta(minutes=1))
    return booking


def cancel_one_unpaid_lesson_three_ways(clock) -> tuple[list, Booking]:
    booking = unpaid_lesson(clock)
    surprises = race(
        [
            lambda: booking_services.cancel_booking(booking=booking, user=booking.student, reason="Can't make it"),
            booking_services.cancel_unpaid_lessons,
            services.advance_all,
        ]
    )
    services.advance_all()  # settle whatever the winner decided
    booking = Booking.objects.select_related("payment").get(pk=booking.pk)
    return surprises, booking


@pytest.mark.django_db(transaction=True)
def test_a_student_cancel_against_the_sweeps_never_deadlocks_and_reconciles():
    winners = {}
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(ROUNDS):
            surprises, booking = cancel_one_unpaid_lesson_three_ways(clock)
            assert surprises == []
            assert booking.status == BookingStatus.CANCELLED
            assert booking.cancelled_by in ("student", "system")
            winners[booking.cancelled_by] = winners.get(booking.cancelled_by, 0) + 1
            payment = booking.payment
            assert reconciliation_problems(payment, getattr(booking, "transfer", None)) == []
            # A late student cancellation owes the lesson (its card is declined: the charge waits
            # in the failed queue); the system's cancellation charges nothing.
            expected = PaymentStatus.FAILED if booking.cancelled_by == "student" else PaymentStatus.NOT_CHARGED
            assert payment.status == expected
    assert sum(winners.values()) == ROUNDS
