"""Fault injection on the real SDK path (the Stripe stand-in): timeouts and 5xx during
authorize, capture and transfer, and a lost answer after Stripe succeeded. Every retry
converges on exactly one authorization, one capture and one transfer."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import PaymentStatus
from bookings.tests.factories import book, open_instructor
from payments import services
from payments.gateway import get_gateway
from payments.models import ConnectAccount, ConnectStatus

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 12, 4, 10, 0, tzinfo=NY)
AFTER_WINDOW = START + dt.timedelta(hours=25, minutes=1)


@pytest.fixture
def booking(stripe_settings, stripe_standin):
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[START.date()])
        account = stripe_standin.complete_onboarding(
            get_gateway()
            .create_connect_account(email="i@example.com", instructor_id=profile.pk, idempotency_key="ii:acct")
            .id
        )
        ConnectAccount.objects.create(instructor=profile, account_id=account["id"], status=ConnectStatus.ENABLED)
        student = UserFactory()
        services.save_card(user=student, payment_method_id="pm_card_visa")
        return book(student, profile.offerings.get(), START)


def run_at(when):
    with time_machine.travel(when, tick=False):
        booking_services.complete_finished_lessons()
        return services.advance_all()


def intents(standin):
    return standin.objects_of("payment_intent")


def transfers(standin):
    return standin.objects_of("transfer")


@pytest.mark.parametrize("fault", ["500", "timeout", "429"])
def test_authorization_retries_after_a_transient_failure(booking, stripe_standin, fault):
    stripe_standin.fail_next("/v1/payment_intents", fault)
    run_at(START - dt.timedelta(hours=24))
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.PENDING and booking.payment.next_attempt_at
    run_at(START - dt.timedelta(hours=23))  # after the backoff
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.AUTHORIZED
    assert len(intents(stripe_standin)) == 1  # one authorization at Stripe, however many tries


@pytest.mark.parametrize("fault", ["500", "timeout", "timeout_after_success"])
def test_capture_converges_on_exactly_one_capture(booking, stripe_standin, fault):
    run_at(START - dt.timedelta(hours=24))
    stripe_standin.fail_next("/v1/payment_intents/*/capture", fault, remember=fault == "500")
    run_at(AFTER_WINDOW)
    run_at(AFTER_WINDOW + dt.timedelta(hours=2))
    booking.payment.refresh_from_db()
    assert (booking.payment.status, booking.payment.captured_cents) == (PaymentStatus.CAPTURED, 60_00)
    (intent,) = intents(stripe_standin)
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 60_00)  # captured once at Stripe
    assert len(transfers(stripe_standin)) == 1


def test_a_transfer_that_failed_is_retried_once(booking, stripe_standin):
    run_at(START - dt.timedelta(hours=24))
    stripe_standin.fail_next("/v1/transfers", "500")
    run_at(AFTER_WINDOW)
    run_at(AFTER_WINDOW + dt.timedelta(hours=1))
    (transfer,) = transfers(stripe_standin)
    assert transfer["amount"] == 51_00 and transfer["transfer_group"] == f"booking_{booking.pk}"
    assert transfer["destination"].startswith("acct_")
    booking.transfer.refresh_from_db()
    assert booking.transfer.transfer_id == transfer["id"]


def test_the_sdk_path_sends_manual_capture_and_keys(booking, stripe_standin):
    run_at(START - dt.timedelta(hours=24))
    request = stripe_standin.last("/v1/payment_intents", "POST")
    assert request.params["capture_method"] == "manual" and request.params["amount"] == "6000"
    assert request.params["currency"] == "usd" and request.params["off_session"] == "true"
    assert request.params["metadata[booking_id]"] == booking.pk
    assert request.headers["idempotency-key"] == f"ii:authorize:{booking.pk}:1"
