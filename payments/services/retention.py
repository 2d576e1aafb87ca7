"""Keeping Stripe's events no longer than needed: after the retention period a handled event's
payload keeps only what reconciles money (ids, amounts, currency, status, times, our metadata)
and loses what names a person (billing details, emails, card holder names, addresses)."""

import datetime as dt

from django.db import transaction

from ..models import WebhookEvent, WebhookOutcome

# Keys kept at any depth of a payload; everything else goes. An allowlist, so a field Stripe
# adds tomorrow is dropped rather than kept by accident.
KEPT_KEYS = frozenset(
    {
        "id", "object", "type", "created", "livemode", "api_version", "data", "previous_attributes",
        "amount", "amount_captured", "amount_capturable", "amount_received", "amount_refunded",
        "application_fee_amount", "currency", "status", "reason", "outcome", "network_status",
        "payment_intent", "charge", "latest_charge", "payment_method", "customer", "transfer",
        "destination", "account", "balance_transaction", "setup_intent", "dispute", "evidence_details",
        "due_by", "captured", "refunded", "paid", "failure_code", "decline_code", "metadata",
        "booking_id", "charges_enabled", "payouts_enabled", "details_submitted", "last4", "brand",
        "exp_month", "exp_year", "fingerprint", "card", "refunds",
    }
)  # fmt: skip
BATCH = 500


def scrubbed(value):
    """The payload with only KEPT_KEYS (lists are walked, values under kept keys are scrubbed too)."""
    if isinstance(value, dict):
        return {key: scrubbed(item) for key, item in value.items() if key in KEPT_KEYS}
    if isinstance(value, list):
        return [scrubbed(item) for item in value]
    return value


def scrub_webhook_payloads(*, received_before: dt.datetime, moment: dt.datetime) -> int:
    """Scrub the handled events received before `received_before` (pending ones wait: they may
    still be processed). Returns how many; safe to run again."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=received_before, scrubbed_at__isnull=True)
                .exclude(outcome=WebhookOutcome.PENDING)
                .only("pk", "payload")[:BATCH]
            )
            for event in batch:
                event.payload, event.scrubbed_at = scrubbed(event.payload), moment
            WebhookEvent.objects.bulk_update(batch, ["payload", "scrubbed_at"])
        done += len(batch)
        if len(batch) < BATCH:
            return done
