"""Stripe's events keep what reconciles money and lose what names a person once the retention
period is over; events still waiting to be processed are left whole."""

import datetime as dt

import pytest

from core.timeutil import now
from payments.models import WebhookEvent, WebhookOutcome
from payments.services import scrub_webhook_payloads

pytestmark = pytest.mark.django_db


def charge_event(event_id: str, outcome: str = WebhookOutcome.PROCESSED) -> WebhookEvent:
    payload = {
        "id": event_id,
        "type": "charge.succeeded",
        "created": 1_790_000_000,
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "amount": 7000,
                "currency": "usd",
                "status": "succeeded",
                "payment_intent": "pi_1",
                "metadata": {"booking_id": "01JBOOKING", "note": "call Maya on 917-555-0123"},
                "billing_details": {"name": "Maya Chen", "email": "maya@example.com", "address": {"line1": "1 Main"}},
                "receipt_email": "maya@example.com",
                "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "name": "MAYA CHEN"}},
                "refunds": {"data": [{"id": "re_1", "amount": 1000, "description": "Maya asked"}]},
            }
        },
    }
    return WebhookEvent.objects.create(
        event_id=event_id, event_type="charge.succeeded", payload=payload, outcome=outcome
    )


def age(event: WebhookEvent, days: int) -> None:
    WebhookEvent.objects.filter(pk=event.pk).update(created_at=now() - dt.timedelta(days=days))


def test_old_handled_events_keep_the_money_and_lose_the_person():
    old, recent, waiting = charge_event("evt_old"), charge_event("evt_new"), charge_event("evt_wait", "pending")
    age(old, 31)
    age(waiting, 31)

    assert scrub_webhook_payloads(received_before=now() - dt.timedelta(days=30), moment=now()) == 1

    old.refresh_from_db()
    charge = old.payload["data"]["object"]
    assert (charge["id"], charge["amount"], charge["currency"], charge["status"]) == ("ch_1", 7000, "usd", "succeeded")
    assert charge["metadata"] == {"booking_id": "01JBOOKING"}
    assert charge["refunds"] == {"data": [{"id": "re_1", "amount": 1000}]}
    assert "maya" not in str(old.payload).lower() and "917" not in str(old.payload)
    assert old.scrubbed_at is not None
    recent.refresh_from_db()
    waiting.refresh_from_db()
    assert "maya@example.com" in str(recent.payload) and "maya@example.com" in str(waiting.payload)
    assert scrub_webhook_payloads(received_before=now() - dt.timedelta(days=30), moment=now()) == 0  # once
