"""Webhook verification (`stripe.Webhook.construct_event` with our secret), the same for every gateway."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import stripe
import time_machine

from payments.gateway import InvalidWebhook, construct_webhook_event

from .stripe_standin import WEBHOOK_SECRET, make_event, sign_payload, signed_event

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def event():
    intent = {"id": "pi_123", "object": "payment_intent", "amount": 6000, "status": "requires_capture"}
    return make_event("payment_intent.amount_capturable_updated", intent, event_id="evt_123")


def verify(payload, header):
    return construct_webhook_event(payload=payload, signature_header=header)


def test_sign_payload_matches_stripes_own_signer():
    payload = b'{"id": "evt_1"}'
    expected = stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET, timestamp=1700000000)
    assert sign_payload(payload, WEBHOOK_SECRET, 1700000000) == expected


def test_a_valid_signature_gives_the_event(event):
    payload, header = signed_event(event)
    verified = verify(payload, header)
    assert verified == event
    assert type(verified) is dict and type(verified["data"]["object"]) is dict


@pytest.mark.parametrize("gateway_fixture", ["stripe_gateway", "simulated_gateway"])
def test_every_gateway_verifies_the_same_way(request, gateway_fixture, event):
    gateway = request.getfixturevalue(gateway_fixture)
    payload, header = signed_event(event)
    assert gateway.construct_webhook_event(payload=payload, signature_header=header)["id"] == "evt_123"
    with pytest.raises(InvalidWebhook):
        gateway.construct_webhook_event(payload=payload, signature_header=header.replace("v1=", "v1=0"))


def test_a_tampered_body_is_refused(event):
    payload, header = signed_event(event)
    tampered = payload.replace(b"6000", b"1")
    with pytest.raises(InvalidWebhook) as caught:
        verify(tampered, header)
    assert caught.value.code == "bad_signature"


def test_a_signature_made_with_another_secret_is_refused(event):
    payload, header = signed_event(event, secret="whsec_someone_else")
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, header)
    assert caught.value.code == "bad_signature"


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_is_refused(event, header):
    payload, _ = signed_event(event)
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, header)
    assert caught.value.code == "missing_signature"


@pytest.mark.parametrize("header", ["garbage", "t=abc,v1=123", "t=1700000000", "v1=deadbeef", "t=1700000000,v0=abc"])
def test_a_malformed_signature_header_is_refused(event, header):
    payload, _ = signed_event(event)
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, header)
    assert caught.value.code == "bad_signature"


def test_a_stale_timestamp_is_refused(event):
    payload = json.dumps(event).encode()
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, sign_payload(payload, WEBHOOK_SECRET, int(time.time()) - 301))
    assert caught.value.code == "stale_signature"


def test_a_recent_timestamp_inside_the_tolerance_is_accepted(event):
    payload = json.dumps(event).encode()
    assert verify(payload, sign_payload(payload, WEBHOOK_SECRET, int(time.time()) - 290))["id"] == "evt_123"


def test_a_signed_webhook_replayed_after_five_minutes_is_refused(event):
    with time_machine.travel(NOW, tick=False):
        payload, header = signed_event(event)
        assert verify(payload, header)["id"] == "evt_123"
    with time_machine.travel(NOW + timedelta(seconds=299), tick=False):
        assert verify(payload, header)["id"] == "evt_123"
    with time_machine.travel(NOW + timedelta(seconds=301), tick=False), pytest.raises(InvalidWebhook) as caught:
        verify(payload, header)
    assert caught.value.code == "stale_signature"


def test_a_rotated_secret_is_accepted_when_any_signature_matches(event):
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    old = sign_payload(payload, "whsec_old", timestamp).split(",")[1]
    header = f"{sign_payload(payload, WEBHOOK_SECRET, timestamp)},{old}"
    assert verify(payload, header)["id"] == "evt_123"


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[1, 2]", b'"evt"', b"\xff\xfe", b'{"object": "event"}', b'{"id": 1, "type": "x"}', b""],
)
def test_a_validly_signed_body_that_is_not_an_event_is_refused(payload):
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, sign_payload(payload, WEBHOOK_SECRET, int(time.time())))
    assert caught.value.code == "bad_payload"


def test_malformed_json_is_a_bad_payload():
    payload = b"{not json"
    with pytest.raises(InvalidWebhook) as caught:
        verify(payload, sign_payload(payload, WEBHOOK_SECRET, int(time.time())))
    assert caught.value.code == "bad_payload"


def test_without_a_configured_secret_every_webhook_is_refused(settings, event):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload, header = signed_event(event, secret="")
    with pytest.raises(InvalidWebhook):
        verify(payload, header)


def test_an_explicit_secret_and_tolerance_can_be_given(event):
    payload = json.dumps(event).encode()
    header = sign_payload(payload, "whsec_other", int(time.time()) - 600)
    verified = construct_webhook_event(payload=payload, signature_header=header, secret="whsec_other", tolerance=900)
    assert verified["id"] == "evt_123"
