"""Property: whatever happens to a set of bookings — cancellations by either side at any
time, reschedules, no-shows each way, credits — once the sweeps have run, every booking's
money reconciles and nobody's credit balance is below zero."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import Booking
from bookings.tests.factories import book, new_key, open_instructor
from core.exceptions import DomainError
from payments import credits, services
from payments.gateway import get_gateway
from payments.models import ConnectAccount, ConnectStatus, CreditReason
from payments.selectors import reconciliation_problems
from payments.simulated import complete_onboarding

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2026, 12, 3) + dt.timedelta(days=offset) for offset in range(4)]
ACTIONS = (
    "cancel_by_student",
    "cancel_by_instructor",
    "reschedule",
    "report_by_student",
    "report_by_instructor",
    "resolve_upheld",
    "resolve_dismissed",
    "sweep",
)

event = st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 120))  # booking, action, hour
history = st.tuples(st.lists(st.integers(0, 80_00), min_size=3, max_size=3), st.lists(event, max_size=8))


def _act(booking, action, profile, staff):
    booking.refresh_from_db()
    student = booking.student
    if action == "cancel_by_student":
        booking_services.cancel_booking(booking=booking, user=student)
    elif action == "cancel_by_instructor":
        booking_services.cancel_booking(booking=booking, user=profile.user)
    elif action == "reschedule":
        start = booking.start_at + dt.timedelta(days=1)
        booking_services.reschedule_booking(booking=booking, user=student, start_at=start, idempotency_key=new_key())
    elif action.startswith("report_by"):
        reporter = student if action.endswith("student") else profile.user
        booking_services.report_no_show(booking=booking, user=reporter)
    elif action.startswith("resolve"):
        outcome = "upheld" if action.endswith("upheld") else "dismissed"
        booking_services.resolve_no_show(booking=booking, staff_user=staff, resolution=outcome)


def _latest(booking):
    booking = Booking.objects.get(pk=booking.pk)
    while (move := getattr(booking, "reschedule", None)) is not None:
        booking = move.rescheduled_to
    return booking


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=history)
def test_money_always_reconciles(history):
    credit_grants, events = history
    with transaction.atomic(), time_machine.travel(NOW, tick=False) as clock:
        profile = open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),))
        account = get_gateway().create_connect_account(
            email="i@example.com", instructor_id=profile.pk, idempotency_key=f"ii:acct:{profile.pk}"
        )
        complete_onboarding(account.id)
        ConnectAccount.objects.create(instructor=profile, account_id=account.id, status=ConnectStatus.ENABLED)
        staff = UserFactory(role="support")
        bookings = []
        for index, grant in enumerate(credit_grants):
            student = UserFactory()
            if grant:
                credits.grant(user=student, amount_cents=grant, reason=CreditReason.REFERRAL)
            start = dt.datetime.combine(DAYS[0], dt.time(9 + 3 * index), tzinfo=NY)
            bookings.append(book(student, profile.offerings.get(), start))
        for index, action, hour in sorted(events, key=lambda item: item[2]):
            clock.move_to(NOW + dt.timedelta(hours=hour))
            try:
                if action == "sweep":
                    booking_services.complete_finished_lessons()
                    services.advance_all()
                else:
                    _act(_latest(bookings[index]), action, profile, staff)
            except DomainError:
                pass  # the rules refused this step (wrong time or state): that is fine
        clock.move_to(NOW + dt.timedelta(days=12))
        booking_services.complete_finished_lessons()
        for staff_decision in Booking.objects.filter(status="no_show", no_show__resolved_at__isnull=True):
            booking_services.resolve_no_show(booking=staff_decision, staff_user=staff, resolution="upheld")
        services.advance_all()
        for booking in Booking.objects.select_related("payment"):
            transfer = getattr(booking, "transfer", None)
            assert reconciliation_problems(booking.payment, transfer) == [], (booking.status, events)
            assert booking.payment.status in ("captured", "released", "refunded", "not_charged"), booking.status
        for student in {booking.student for booking in bookings}:
            assert credits.balance(student) >= 0
        transaction.set_rollback(True)
