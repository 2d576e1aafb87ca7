"""Property: whatever happens to a set of lessons, once the sweeps have run every lesson's money
reconciles, nobody's credit balance is below zero, no lesson is left half-way, and no sweep step
fails.

A history: three students, each with some credit and one saved card (one that pays, one that
saves but declines every payment, one whose bank asks to confirm each payment, or a card the bank
refuses when it is saved); each books a lesson 3 hours to 4 days ahead (a lesson under 24 hours
away is authorized at checkout, where a decline or a bank check is answered by retrying with a
good card, confirming with the bank, or walking away); then, at random hours, cancellations by
either side, reschedules, no-shows each way, staff decisions, the student fixing a failed payment,
and the beat sweeps (complete, release holds, expire requests, cancel unpaid lessons, move money).

The suite runs HISTORIES=20 of them; `python bench/histories.py` runs 1,000 (see bench/README.md).
"""

import contextlib
import datetime as dt
import logging
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import UPCOMING_STATUSES, Booking, PaymentStatus, Settlement
from bookings.tests.factories import new_key, open_instructor
from core.exceptions import DomainError
from payments import credits, services
from payments.gateway import get_gateway
from payments.models import ConnectAccount, ConnectStatus, CreditReason, SavedCard
from payments.selectors import FINAL_STATUSES, failed_payments, reconciliation_problems
from payments.simulated import complete_authentication, complete_onboarding

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # 7:00 in New York
DAYS = [dt.date(2026, 12, 1) + dt.timedelta(days=offset) for offset in range(9)]
# Lesson starts 3, 10, 30, 60 and 98 hours after NOW (all between 8:00 and 20:00 in New York): the
# first two are authorized at checkout.
SLOTS = [NOW + dt.timedelta(hours=hours) for hours in (3, 10, 30, 60, 98)]
CARDS = {
    "pays": "pm_card_visa",
    "declines": "pm_card_chargeCustomerFail",
    "asks the bank": "pm_card_threeDSecure2Required",
    "refused when saved": "pm_card_chargeDeclined",
}
AT_CHECKOUT = ("retry with a good card", "confirm with the bank", "walk away")
ACTIONS = (
    "cancel_by_student",
    "cancel_by_instructor",
    "reschedule",
    "report_by_student",
    "report_by_instructor",
    "resolve_upheld",
    "resolve_dismissed",
    "fix_with_a_good_card",
    "sweep",
)
HISTORIES = int(os.environ.get("HISTORIES", "20"))

student_setup = st.tuples(st.integers(0, 80_00), st.sampled_from(sorted(CARDS)), st.sampled_from(AT_CHECKOUT))
event = st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 120))  # lesson, action, hour
history = st.tuples(
    st.lists(student_setup, min_size=3, max_size=3),
    st.lists(st.sampled_from(SLOTS), min_size=3, max_size=3, unique=True),
    st.lists(event, max_size=10),
)


class StepFailures(logging.Handler):
    """Collects the steps the payment sweep logged as failed (it never raises)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.failures = []

    def emit(self, record):
        self.failures.append(record.getMessage())


def _good_card(student):
    return services.save_card(user=student, payment_method_id=CARDS["pays"])


def _checkout(booking, card, choice):
    """Pay for a held time; a decline or a bank check is answered as `choice` says."""
    student = booking.student
    pay = {"booking": booking, "student": student, "location_type": "online"}
    try:
        return services.checkout_booking(**pay, payment_method_id=card.payment_method_id if card else None)
    except DomainError:
        booking.refresh_from_db()
        payment = booking.payment
        if choice == "retry with a good card":
            return services.checkout_booking(**pay, payment_method_id=_good_card(student).payment_method_id)
        if choice == "confirm with the bank" and payment.status == PaymentStatus.ACTION_REQUIRED:
            complete_authentication(payment.payment_intent_id)
            return services.checkout_booking(**pay, authenticated=True)
        return None  # walks away: the hold runs out


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
    elif action == "fix_with_a_good_card":
        services.fix_payment(booking=booking, user=student, payment_method_id=_good_card(student).payment_method_id)


def _sweep():
    booking_services.release_expired_holds()
    booking_services.expire_unanswered_requests()
    booking_services.complete_finished_lessons()
    booking_services.cancel_unpaid_lessons()
    services.advance_all()


def _latest(booking):
    booking = Booking.objects.get(pk=booking.pk)
    while (move := getattr(booking, "reschedule", None)) is not None:
        booking = move.rescheduled_to
    return booking


def _instructor_ready_for_payouts():
    profile = open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),))
    account = get_gateway().create_connect_account(
        email="i@example.com", instructor_id=profile.pk, idempotency_key=f"ii:acct:{profile.pk}"
    )
    complete_onboarding(account.id)
    ConnectAccount.objects.create(instructor=profile, account_id=account.id, status=ConnectStatus.ENABLED)
    return profile


def _book(profile, credit, card_kind, choice, start):
    student = UserFactory()
    if credit:
        credits.grant(user=student, amount_cents=credit, reason=CreditReason.REFERRAL)
    card = None
    try:
        card = services.save_card(user=student, payment_method_id=CARDS[card_kind])
    except DomainError:
        assert card_kind == "refused when saved" and not SavedCard.objects.filter(user=student).exists()
    held = booking_services.hold_booking(
        student=student, offering=profile.offerings.get(), start_at=start, duration=60, idempotency_key=new_key()
    )
    with contextlib.suppress(DomainError):  # no usable card and not enough credit: walks away
        _checkout(held, card, choice)
    return held


def _check_the_end(bookings, events, failures):
    assert failures == [], failures
    owed = set(failed_payments().values_list("pk", flat=True))
    for booking in Booking.objects.select_related("payment"):
        payment = booking.payment
        assert booking.status not in UPCOMING_STATUSES, (booking.status, events)  # nothing left half-way
        assert reconciliation_problems(payment, getattr(booking, "transfer", None)) == [], (booking.status, events)
        finished = payment.status in FINAL_STATUSES or payment.status == PaymentStatus.CAPTURED
        still_owed = payment.settlement == Settlement.CHARGE and payment.pk in owed  # a card that keeps declining
        assert finished or still_owed, (booking.status, payment.status, payment.settlement, events)
    for student in {booking.student for booking in bookings}:
        assert credits.balance(student) >= 0


@settings(max_examples=HISTORIES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=history)
def test_money_always_reconciles(history):
    setups, starts, events = history
    failures = StepFailures()
    logging.getLogger("payments").addHandler(failures)
    try:
        with transaction.atomic(), time_machine.travel(NOW, tick=False) as clock:
            profile = _instructor_ready_for_payouts()
            staff = UserFactory(role="support")
            bookings = [
                _book(profile, credit, card, choice, start)
                for (credit, card, choice), start in zip(setups, starts, strict=True)
            ]
            for index, action, hour in sorted(events, key=lambda item: item[2]):
                clock.move_to(NOW + dt.timedelta(hours=hour))
                try:
                    if action == "sweep":
                        _sweep()
                    else:
                        _act(_latest(bookings[index]), action, profile, staff)
                except DomainError:
                    pass  # the rules refused this step (wrong time or state): that is fine
            clock.move_to(NOW + dt.timedelta(days=12))
            _sweep()
            for open_report in Booking.objects.filter(status="no_show", no_show__resolved_at__isnull=True):
                booking_services.resolve_no_show(booking=open_report, staff_user=staff, resolution="upheld")
            services.advance_all()
            _check_the_end(bookings, events, failures.failures)
            transaction.set_rollback(True)
    finally:
        logging.getLogger("payments").removeHandler(failures)
