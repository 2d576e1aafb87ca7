"""The Stripe webhook endpoint and event processing: signed with the test secret, stored once by
id, processed idempotently and in any order; unknown or tampered events are stored and flagged
and change nothing.

Bookings are made through the services on the simulated gateway (Stripe's test cards), so the
events carry real Stripe-shaped objects (`simulated_object`); the arrangement may also write
payment fields directly where a situation (e.g. a crash before our commit) needs it.
"""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import BookingDispute, BookingPayment, BookingTransfer, DisputeStatus, PaymentStatus
from bookings.tests.factories import book, give_card, open_instructor
from payments import services, webhooks
from payments.gateway import get_gateway, idempotency_key
from payments.models import ConnectAccount, ConnectStatus, WebhookEvent, WebhookOutcome
from payments.selectors import reconciliation_problems
from payments.simulated import complete_authentication, complete_onboarding, restrict_account, simulated_object

from .stripe_standin import make_event, sign_payload, signed_event

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 4)
START = dt.datetime(2026, 12, 4, 10, 0, tzinfo=NY)  # 60 minutes at $60/h
END = START + dt.timedelta(hours=1)
URL = "/api/v1/payments/webhooks/stripe/"
PAYMENT_FIELDS = [
    "status",
    "payment_intent_id",
    "authorized_cents",
    "authorized_at",
    "captured_cents",
    "captured_at",
    "released_cents",
    "refunded_cents",
    "failure_code",
    "pay_by",
    "updated_at",
]


@pytest.fixture(autouse=True)
def clock(simulated_gateway):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile():
    return open_instructor(days=[DAY])


def deliver(client, event, *, secret=None, timestamp=None):
    payload, header = signed_event(event, secret=secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp)
    return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def stored(event) -> WebhookEvent:
    return WebhookEvent.objects.get(event_id=event["id"])


def state(payment: BookingPayment) -> dict:
    payment.refresh_from_db()
    return {field: getattr(payment, field) for field in PAYMENT_FIELDS}


def lesson(profile, card="pm_card_visa"):
    student = UserFactory(role="student")
    give_card(student, card)
    return book(student, profile.offerings.get(), START)


def authorize(booking) -> BookingPayment:
    """The T-24h sweep step for this booking (the card's outcome decides the status)."""
    services.advance_payment(booking.payment.pk, now=START - dt.timedelta(hours=24))
    booking.payment.refresh_from_db()
    return booking.payment


def capture(booking, clock) -> BookingPayment:
    clock.move_to(END + dt.timedelta(hours=24))
    booking_services.complete_finished_lessons()
    services.advance_payment(booking.payment.pk)
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.CAPTURED
    return booking.payment


def payout_ready(profile) -> ConnectAccount:
    account = get_gateway().create_connect_account(
        email=profile.user.email, instructor_id=profile.pk, idempotency_key=idempotency_key("acct", profile.pk)
    )
    complete_onboarding(account.id)
    return ConnectAccount.objects.create(instructor=profile, account_id=account.id, status=ConnectStatus.ENABLED)


def intent_event(event_type, intent_id, **changes):
    """An event around the intent as Stripe holds it now, optionally with fields changed."""
    return make_event(event_type, {**simulated_object(intent_id), **changes})


def needs_authentication(profile):
    booking = lesson(profile, card="pm_card_authenticationRequired")
    payment = authorize(booking)
    assert payment.status == PaymentStatus.ACTION_REQUIRED and payment.payment_intent_id and payment.pay_by
    return booking, payment


# --- the endpoint ------------------------------------------------------------------------------------


def test_a_valid_event_is_stored_and_processed(client, profile, clock):
    """The student authenticated on-session: the capturable-amount event marks the lesson authorized."""
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)

    response = deliver(client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "processed"}
    row = stored(event)
    assert (row.event_type, row.outcome, row.payload) == (event["type"], WebhookOutcome.PROCESSED, event)
    assert row.processed_at == NOW
    payment.refresh_from_db()
    assert (payment.status, payment.authorized_cents, payment.authorized_at) == (PaymentStatus.AUTHORIZED, 60_00, NOW)
    assert (payment.pay_by, payment.failure_code) == (None, "")
    # The state machine carries on from there: charged once after the lesson.
    assert capture(booking, clock).captured_cents == 60_00


def test_the_endpoint_needs_no_session_or_csrf_token(profile):
    assert reverse("api-stripe-webhook") == URL
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory(role="student"))
    response = deliver(strict, make_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200  # no CSRF token needed, session or not


def test_get_is_not_allowed(client):
    response = client.get(URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "tamper, reason",
    [
        ("bad_signature", "bad_signature"),
        ("other_secret", "bad_signature"),
        ("missing", "missing_signature"),
        ("body_changed", "bad_signature"),
        ("not_json", "bad_payload"),
        ("not_an_event", "bad_payload"),
    ],
)
def test_a_bad_signature_or_body_is_refused_and_nothing_is_stored(client, profile, tamper, reason):
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    before = state(payment)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    payload, header = signed_event(event)
    extra = {"HTTP_STRIPE_SIGNATURE": header}
    if tamper == "bad_signature":
        extra["HTTP_STRIPE_SIGNATURE"] = header.replace("v1=", "v1=00")
    elif tamper == "other_secret":
        extra["HTTP_STRIPE_SIGNATURE"] = signed_event(event, secret="whsec_attacker")[1]
    elif tamper == "missing":
        del extra["HTTP_STRIPE_SIGNATURE"]
    elif tamper == "body_changed":
        payload = payload.replace(b'"amount": 6000', b'"amount": 1')
    elif tamper in ("not_json", "not_an_event"):
        payload = b"{not json" if tamper == "not_json" else b'{"object": "event"}'
        extra["HTTP_STRIPE_SIGNATURE"] = sign_payload(payload, "whsec_test_local_only", int(NOW.timestamp()))

    response = client.post(URL, data=payload, content_type="application/json", **extra)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["reason"]) == ("invalid_signature", reason)
    assert error["message"]
    assert not WebhookEvent.objects.exists()
    assert state(payment) == before


def test_a_stale_timestamp_is_refused_and_nothing_is_stored(client, profile):
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    before = state(payment)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)

    response = deliver(client, event, timestamp=int(NOW.timestamp()) - 301)

    assert response.status_code == 400
    assert response.json()["error"]["reason"] == "stale_signature"
    assert not WebhookEvent.objects.exists()
    assert state(payment) == before
    # The same event signed now (Stripe's next delivery) goes through.
    assert deliver(client, event).status_code == 200
    assert state(payment)["status"] == PaymentStatus.AUTHORIZED


def test_an_event_replayed_five_times_is_stored_once_and_has_one_effect(client, profile, django_assert_max_num_queries):
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    assert deliver(client, event).status_code == 200
    first = state(payment)
    processed_at = stored(event).processed_at
    assert first["status"] == PaymentStatus.AUTHORIZED

    for _ in range(5):
        with django_assert_max_num_queries(5):  # find the row; savepoint, lock timeout, lock it: done
            response = deliver(client, event)
        assert response.json() == {"received": True, "outcome": "processed"}

    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1
    assert stored(event).processed_at == processed_at
    assert state(payment) == first  # not even updated_at moved


def test_a_pending_event_is_processed_when_stripe_delivers_it_again(client, profile):
    """Processing failed after the event was stored (e.g. a lock timeout): the next delivery applies it."""
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    webhooks.record_event(event)
    assert stored(event).outcome == WebhookOutcome.PENDING

    assert deliver(client, event).json()["outcome"] == "processed"
    assert state(payment)["status"] == PaymentStatus.AUTHORIZED


def test_a_processing_failure_answers_503_and_keeps_the_event_for_the_retry(client, profile, monkeypatch):
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)

    def broken(_event):
        raise RuntimeError("database went away")

    monkeypatch.setitem(webhooks.HANDLERS, event["type"], broken)
    response = deliver(client, event)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "temporarily_unavailable"
    assert stored(event).outcome == WebhookOutcome.PENDING
    assert state(payment)["status"] == PaymentStatus.ACTION_REQUIRED

    monkeypatch.undo()
    assert deliver(client, event).json()["outcome"] == "processed"
    assert state(payment)["status"] == PaymentStatus.AUTHORIZED


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_store_and_apply_it_once():
    profile = open_instructor(days=[DAY])
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    payload, header = signed_event(event)
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def post():
        try:
            barrier.wait(timeout=10)
            response = Client().post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
            answers.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert answers == [200] * 4
    assert WebhookEvent.objects.filter(event_id=event["id"]).count() == 1
    assert stored(event).outcome == WebhookOutcome.PROCESSED
    payment.refresh_from_db()
    assert (payment.status, payment.authorized_cents) == (PaymentStatus.AUTHORIZED, 60_00)


def test_an_unknown_event_type_is_stored_and_ignored(client):
    event = make_event("customer.subscription.created", {"id": "sub_1", "object": "subscription"})
    response = deliver(client, event)
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert stored(event).outcome == WebhookOutcome.IGNORED
    assert deliver(client, event).json()["outcome"] == "ignored"
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_no_data", "object": "event", "type": "payment_intent.succeeded", "created": 1},
        {"id": "evt_no_object", "object": "event", "type": "charge.refunded", "data": {"object": "ch_1"}},
        {"id": "evt_no_id", "object": "event", "type": "account.updated", "data": {"object": {"object": "account"}}},
    ],
)
def test_a_signed_but_malformed_event_is_stored_and_flagged(client, event):
    assert deliver(client, event).json()["outcome"] == "flagged"
    assert "malformed" in stored(event).note.lower()


# --- payment intents ---------------------------------------------------------------------------------


def test_an_unknown_intent_is_flagged_and_changes_nothing(client, profile):
    booking = lesson(profile)
    before = state(booking.payment)
    obj = {"id": "pi_nobody", "object": "payment_intent", "amount": 60_00, "amount_received": 60_00}
    event = make_event("payment_intent.succeeded", {**obj, "status": "succeeded", "currency": "usd"})

    assert deliver(client, event).json() == {"received": True, "outcome": "flagged"}
    row = stored(event)
    assert row.outcome == WebhookOutcome.FLAGGED
    assert "unknown intent pi_nobody" in row.note.lower()
    assert state(booking.payment) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 1, "amount_capturable": 1},  # a different amount than the lesson's
        {"amount": 600_00, "amount_capturable": 600_00},
        {"currency": "eur"},
        {"amount_capturable": 70_00},  # more held than the intent's amount
        {"amount_capturable": "6000"},  # not a number
    ],
)
def test_a_tampered_amount_is_flagged_and_moves_nothing(client, profile, changes):
    booking, payment = needs_authentication(profile)
    complete_authentication(payment.payment_intent_id)
    before = state(payment)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id, **changes)

    assert deliver(client, event).json()["outcome"] == "flagged"
    assert stored(event).note
    assert state(payment) == before
    # Nothing for the sweep to do with it either: still waiting for the student.
    assert services.advance_payment(payment.pk) == []


def test_a_tampered_capture_amount_is_flagged(client, profile):
    payment = authorize(lesson(profile))
    before = state(payment)
    event = intent_event(
        "payment_intent.succeeded", payment.payment_intent_id, status="succeeded", amount_received=50_00_00
    )
    assert deliver(client, event).json()["outcome"] == "flagged"
    assert "mismatch" in stored(event).note.lower()
    assert state(payment) == before


def test_our_own_authorization_event_changes_nothing(client, profile):
    payment = authorize(lesson(profile))
    before = state(payment)
    event = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    assert deliver(client, event).json()["outcome"] == "processed"
    assert "already authorized" in stored(event).note.lower()
    assert state(payment) == before


def test_an_authorization_we_crashed_before_recording_is_adopted_through_the_metadata(client, profile):
    booking = lesson(profile)
    payment = authorize(booking)
    intent_id = payment.payment_intent_id
    # Arrangement: our commit never happened (Stripe authorized, the worker died).
    BookingPayment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.PENDING, payment_intent_id="", authorized_cents=0, authorized_at=None
    )
    event = intent_event("payment_intent.amount_capturable_updated", intent_id)
    assert deliver(client, event).json()["outcome"] == "processed"
    after = state(payment)
    assert (after["status"], after["payment_intent_id"], after["authorized_cents"]) == (
        PaymentStatus.AUTHORIZED,
        intent_id,
        60_00,
    )
    # The sweep does not authorize a second time.
    assert services.advance_payment(payment.pk, now=START - dt.timedelta(hours=23)) == []
    assert state(payment) == after


def _captured_in_stripe_only(booking):
    """Stripe captured the intent; our capture step's commit never happened. Returns the two events
    Stripe sent, oldest first: the authorization's, then the capture's."""
    payment = authorize(booking)
    authorized = intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id)
    get_gateway().capture(intent_id=payment.payment_intent_id, amount_cents=60_00, idempotency_key="ii:capture:test")
    captured = intent_event("payment_intent.succeeded", payment.payment_intent_id)
    authorized["created"] -= 60
    return payment, authorized, captured


@pytest.mark.parametrize("order", ["in_order", "reversed"])
def test_intent_events_in_any_order_end_captured(client, profile, order):
    payment, authorized, captured = _captured_in_stripe_only(lesson(profile))
    events = [authorized, captured] if order == "in_order" else [captured, authorized]
    for event in events:
        assert deliver(client, event).json()["outcome"] == "processed"
    final = state(payment)
    assert (final["status"], final["captured_cents"], final["released_cents"]) == (PaymentStatus.CAPTURED, 60_00, 0)
    assert final["authorized_cents"] == 60_00
    if order == "reversed":
        assert "already captured" in stored(authorized).note.lower()
    # Our capture step, run again, finds it captured and captures nothing more.
    services.advance_payment(payment.pk)
    assert state(payment)["captured_cents"] == 60_00
    assert simulated_object(payment.payment_intent_id)["amount_received"] == 60_00


def test_funds_held_after_the_lesson_was_cancelled_are_released_by_the_sweep(client, profile):
    """The student cancelled while the payment waited for them, then authenticated anyway."""
    booking, payment = needs_authentication(profile)
    booking_services.cancel_booking(booking=booking, user=booking.student)
    services.advance_payment(payment.pk)
    assert state(payment)["status"] == PaymentStatus.NOT_CHARGED
    complete_authentication(payment.payment_intent_id)

    deliver(client, intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id))
    assert state(payment)["status"] == PaymentStatus.AUTHORIZED
    assert services.advance_payment(payment.pk) == ["release"]
    after = state(payment)
    assert (after["status"], after["released_cents"], after["captured_cents"]) == (PaymentStatus.RELEASED, 60_00, 0)
    assert simulated_object(payment.payment_intent_id)["status"] == "canceled"
    assert reconciliation_problems(*_money(booking)) == []


def test_a_late_failure_event_after_authorization_changes_nothing(client, profile):
    booking, payment = needs_authentication(profile)
    failed = intent_event("payment_intent.payment_failed", payment.payment_intent_id)  # the off-session attempt
    complete_authentication(payment.payment_intent_id)
    deliver(client, intent_event("payment_intent.amount_capturable_updated", payment.payment_intent_id))
    authorized = state(payment)

    assert deliver(client, failed).json()["outcome"] == "processed"
    assert state(payment) == authorized


def test_a_failure_needing_authentication_keeps_the_payment_waiting_for_the_student(client, profile):
    booking, payment = needs_authentication(profile)
    before = state(payment)
    event = intent_event("payment_intent.payment_failed", payment.payment_intent_id)
    assert event["data"]["object"]["last_payment_error"]["code"] == "authentication_required"
    deliver(client, event)
    assert state(payment) == before


def test_a_decline_on_session_marks_the_payment_failed(client, profile):
    booking, payment = needs_authentication(profile)
    error = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "No."}
    event = intent_event("payment_intent.payment_failed", payment.payment_intent_id, last_payment_error=error)
    deliver(client, event)
    after = state(payment)
    assert (after["status"], after["failure_code"]) == (PaymentStatus.FAILED, "insufficient_funds")
    assert after["pay_by"] == START - dt.timedelta(hours=12)  # the deadline to fix it stands


def test_a_canceled_authorization_is_recorded_and_flagged_when_the_lesson_is_still_to_be_paid(client, profile):
    payment = authorize(lesson(profile))
    get_gateway().cancel_authorization(intent_id=payment.payment_intent_id, idempotency_key="ii:dashboard:cancel")
    event = intent_event("payment_intent.canceled", payment.payment_intent_id)
    assert deliver(client, event).json()["outcome"] == "flagged"
    after = state(payment)
    assert (after["status"], after["released_cents"]) == (PaymentStatus.RELEASED, 60_00)
    assert "outside our flow" in stored(event).note


def test_our_own_release_event_changes_nothing(client, profile):
    booking = lesson(profile)
    payment = authorize(booking)
    booking_services.cancel_booking(booking=booking, user=profile.user)
    services.advance_payment(payment.pk)
    released = state(payment)
    assert released["status"] == PaymentStatus.RELEASED
    event = intent_event("payment_intent.canceled", payment.payment_intent_id)
    assert deliver(client, event).json()["outcome"] == "processed"
    assert state(payment) == released


# --- refunds -----------------------------------------------------------------------------------------


def _charge_event(payment):
    intent = simulated_object(payment.payment_intent_id)
    return make_event("charge.refunded", dict(simulated_object(intent["latest_charge"])))


def test_a_refund_from_the_dashboard_raises_refunded_cents_never_lowers_it(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)  # no payout account: the payout waits
    gateway = get_gateway()

    gateway.refund(intent_id=payment.payment_intent_id, amount_cents=20_00, idempotency_key="ii:dash:1")
    partial = _charge_event(payment)
    assert deliver(client, partial).json()["outcome"] == "processed"
    after = state(payment)
    assert (after["status"], after["refunded_cents"]) == (PaymentStatus.CAPTURED, 20_00)

    gateway.refund(intent_id=payment.payment_intent_id, amount_cents=40_00, idempotency_key="ii:dash:2")
    full = _charge_event(payment)
    assert deliver(client, full).json()["outcome"] == "processed"
    after = state(payment)
    assert (after["status"], after["refunded_cents"]) == (PaymentStatus.REFUNDED, 60_00)

    # The partial refund's event, delivered again under another id (or late), lowers nothing.
    late = {**partial, "id": "evt_late_partial"}
    assert deliver(client, late).json()["outcome"] == "processed"
    assert state(payment)["refunded_cents"] == 60_00
    assert reconciliation_problems(*_money(booking)) == []


def _money(booking):
    booking.refresh_from_db()
    return booking.payment, BookingTransfer.objects.filter(booking=booking).first()


def test_a_dashboard_refund_before_the_payout_shrinks_the_payout(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    get_gateway().refund(intent_id=payment.payment_intent_id, amount_cents=10_00, idempotency_key="ii:dash:1")
    deliver(client, _charge_event(payment))
    payout_ready(profile)
    services.advance_payment(payment.pk)
    payment, transfer = _money(booking)
    assert transfer.transferred_at and (transfer.payout_cents, transfer.platform_fee_cents) == (42_50, 7_50)
    assert reconciliation_problems(payment, transfer) == []


def test_a_dashboard_refund_after_the_payout_is_recorded_and_flagged(client, profile, clock):
    payout_ready(profile)
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    assert _money(booking)[1].transferred_at
    get_gateway().refund(intent_id=payment.payment_intent_id, amount_cents=10_00, idempotency_key="ii:dash:1")
    event = _charge_event(payment)
    assert deliver(client, event).json()["outcome"] == "flagged"
    assert state(payment)["refunded_cents"] == 10_00
    assert "after the payout" in stored(event).note


def test_our_own_refund_event_changes_nothing(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    staff = UserFactory(is_superuser=True, is_staff=True)
    services.refund_booking(booking=booking, amount_cents=15_00, staff_user=staff)
    before = state(payment)
    event = _charge_event(payment)
    assert deliver(client, event).json()["outcome"] == "processed"
    assert "already recorded" in stored(event).note.lower()
    assert state(payment) == before


def test_a_refund_larger_than_the_capture_is_flagged(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    before = state(payment)
    event = _charge_event(payment)
    event["data"]["object"]["amount_refunded"] = 90_00
    assert deliver(client, event).json()["outcome"] == "flagged"
    assert state(payment) == before


# --- disputes ----------------------------------------------------------------------------------------


def _dispute(payment, status, *, reason="fraudulent", due=None):
    due_by = int((due or NOW + dt.timedelta(days=7)).timestamp())
    intent = simulated_object(payment.payment_intent_id)
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 60_00,
        "currency": "usd",
        "charge": intent["latest_charge"],
        "payment_intent": payment.payment_intent_id,
        "reason": reason,
        "status": status,
        "evidence_details": {"due_by": due_by, "has_evidence": False},
    }


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (2, 1, 0), (1, 2, 0)])
def test_dispute_events_in_any_order_converge(client, profile, clock, order):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    due = dt.datetime(2026, 12, 20, 23, 59, 59, tzinfo=dt.UTC)
    events = [
        make_event("charge.dispute.created", _dispute(payment, "needs_response", due=due)),
        make_event("charge.dispute.updated", _dispute(payment, "under_review", due=due)),
        make_event("charge.dispute.closed", _dispute(payment, "lost", due=due)),
    ]
    for index in order:
        assert deliver(client, events[index]).json()["outcome"] == "processed"

    dispute = BookingDispute.objects.get(booking=booking)
    assert (dispute.dispute_id, dispute.status, dispute.reason) == ("dp_1", DisputeStatus.LOST, "fraudulent")
    assert (dispute.amount_cents, dispute.evidence_due_at) == (60_00, due)
    assert dispute.closed_at == END + dt.timedelta(hours=24)  # when the closing event happened


def test_a_dispute_opens_with_its_evidence_deadline(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    due = dt.datetime(2026, 12, 20, 23, 59, 59, tzinfo=dt.UTC)
    deliver(client, make_event("charge.dispute.created", _dispute(payment, "warning_needs_response", due=due)))
    dispute = BookingDispute.objects.get(booking=booking)
    assert (dispute.status, dispute.evidence_due_at, dispute.closed_at) == (DisputeStatus.NEEDS_RESPONSE, due, None)
    deliver(client, make_event("charge.dispute.closed", _dispute(payment, "won", due=due)))
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WON and dispute.closed_at


def test_a_dispute_for_an_unknown_intent_or_too_large_is_flagged(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    unknown = make_event("charge.dispute.created", {**_dispute(payment, "needs_response"), "payment_intent": "pi_x"})
    too_large = make_event("charge.dispute.created", {**_dispute(payment, "needs_response"), "amount": 99_00})
    assert deliver(client, unknown).json()["outcome"] == "flagged"
    assert deliver(client, too_large).json()["outcome"] == "flagged"
    assert not BookingDispute.objects.exists()


# --- Connect accounts ----------------------------------------------------------------------------------


def _account_event(account_id, *, created=None):
    return make_event("account.updated", dict(simulated_object(account_id)), created=created)


def test_account_updated_enables_then_restricts_the_instructors_account(client, profile):
    created = get_gateway().create_connect_account(
        email=profile.user.email, instructor_id=profile.pk, idempotency_key=idempotency_key("acct", profile.pk)
    )
    account = ConnectAccount.objects.create(instructor=profile, account_id=created.id)
    assert account.status == ConnectStatus.PENDING

    deliver(client, _account_event(account.account_id))  # onboarding not finished yet
    account.refresh_from_db()
    assert (account.status, account.synced_at) == (ConnectStatus.PENDING, NOW)
    assert "external_account" in account.currently_due

    complete_onboarding(account.account_id)
    enabled = _account_event(account.account_id)
    assert deliver(client, enabled).json()["outcome"] == "processed"
    account.refresh_from_db()
    assert account.status == ConnectStatus.ENABLED and account.ready_for_payouts
    assert (account.payouts_enabled, account.transfers_active, account.details_submitted) == (True, True, True)
    assert (account.disabled_reason, account.currently_due) == ("", [])

    restrict_account(account.account_id)
    restricted = _account_event(account.account_id, created=int(NOW.timestamp()) + 60)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        deliver(client, restricted)
    account.refresh_from_db()
    assert account.status == ConnectStatus.RESTRICTED and not account.ready_for_payouts
    assert account.disabled_reason == "requirements.past_due"
    assert account.currently_due == ["individual.verification.document"]
    assert account.synced_at == NOW + dt.timedelta(minutes=1)

    # The "enabled" event delivered again late (new id) does not undo the restriction.
    deliver(client, {**enabled, "id": "evt_enabled_again"})
    account.refresh_from_db()
    assert account.status == ConnectStatus.RESTRICTED


def test_account_updated_for_an_unknown_account_is_flagged(client):
    obj = {"id": "acct_unknown", "object": "account", "payouts_enabled": True, "capabilities": {"transfers": "active"}}
    event = make_event("account.updated", obj)
    assert deliver(client, event).json()["outcome"] == "flagged"
    assert not ConnectAccount.objects.exists()


def test_an_enabled_account_releases_a_waiting_payout_on_the_next_sweep(client, profile, clock):
    booking = lesson(profile)
    authorize(booking)
    payment = capture(booking, clock)
    created = get_gateway().create_connect_account(
        email=profile.user.email, instructor_id=profile.pk, idempotency_key=idempotency_key("acct", profile.pk)
    )
    ConnectAccount.objects.create(instructor=profile, account_id=created.id)
    services.advance_payment(payment.pk)
    waiting = _money(booking)[1]
    assert waiting.on_hold_reason and not waiting.transferred_at
    complete_onboarding(created.id)
    deliver(client, _account_event(created.id))
    services.advance_payment(payment.pk)
    assert _money(booking)[1].transferred_at


# --- transfers -----------------------------------------------------------------------------------------


def _paid_out(profile, clock):
    payout_ready(profile)
    booking = lesson(profile)
    authorize(booking)
    capture(booking, clock)
    payment, transfer = _money(booking)
    assert transfer.transferred_at
    return booking, payment, transfer


def test_our_own_transfer_event_changes_nothing(client, profile, clock):
    booking, payment, transfer = _paid_out(profile, clock)
    event = make_event("transfer.created", dict(simulated_object(transfer.transfer_id)))
    assert deliver(client, event).json()["outcome"] == "processed"
    after = BookingTransfer.objects.get(pk=transfer.pk)
    assert after.updated_at == transfer.updated_at


def test_a_transfer_we_crashed_before_recording_is_recorded_from_its_event(client, profile, clock):
    booking, payment, transfer = _paid_out(profile, clock)
    transfer_id = transfer.transfer_id
    BookingTransfer.objects.filter(pk=transfer.pk).update(transfer_id="", transferred_at=None)  # the lost commit
    event = make_event("transfer.created", dict(simulated_object(transfer_id)))
    assert deliver(client, event).json()["outcome"] == "processed"
    after = BookingTransfer.objects.get(pk=transfer.pk)
    assert (after.transfer_id, after.payout_cents, after.platform_fee_cents) == (transfer_id, 51_00, 9_00)
    assert after.transferred_at
    services.advance_payment(payment.pk)  # nothing paid twice
    assert len(get_gateway().transfers_for_booking(booking_id=booking.pk)) == 1


def test_a_reversal_is_recorded_forward_only(client, profile, clock):
    booking, payment, transfer = _paid_out(profile, clock)
    reversal = get_gateway().reverse_transfer(
        transfer_id=transfer.transfer_id, amount_cents=5_00, idempotency_key="ii:dash:reverse"
    )
    obj = {**simulated_object(transfer.transfer_id), "reversals": {"data": [{"id": reversal.id, "amount": 5_00}]}}
    reversed_event = make_event("transfer.reversed", obj)
    assert deliver(client, reversed_event).json()["outcome"] == "processed"
    after = BookingTransfer.objects.get(pk=transfer.pk)
    assert (after.reversed_cents, after.reversal_id) == (5_00, reversal.id)
    older = make_event("transfer.created", {**obj, "amount_reversed": 0, "reversals": {"data": []}})
    deliver(client, older)
    assert BookingTransfer.objects.get(pk=transfer.pk).reversed_cents == 5_00


def test_a_second_transfer_or_a_wrong_destination_is_flagged(client, profile, clock):
    booking, payment, transfer = _paid_out(profile, clock)
    obj = dict(simulated_object(transfer.transfer_id))
    second = make_event("transfer.created", {**obj, "id": "tr_second"})
    elsewhere = make_event("transfer.created", {**obj, "destination": "acct_someone_else"})
    tampered = make_event("transfer.updated", {**obj, "amount": 59_00})
    for event in (second, elsewhere, tampered):
        assert deliver(client, event).json()["outcome"] == "flagged"
    assert "second transfer" in stored(second).note
    after = BookingTransfer.objects.get(pk=transfer.pk)
    assert (after.transfer_id, after.payout_cents, after.updated_at) == (
        transfer.transfer_id,
        51_00,
        transfer.updated_at,
    )
