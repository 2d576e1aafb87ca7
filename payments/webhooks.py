"""Stripe webhooks: each event is stored once by its id, then reconciled with our records.

`receive(event)` is what the endpoint calls with an event whose signature it has verified:

1. `record_event` inserts the event (a unique constraint on its id; a concurrent or repeated
   delivery of the same id finds the stored row instead), committed on its own so there is always a
   record of what Stripe sent;
2. `process_event` locks the stored row and, if it has not been processed yet, runs the handler
   for its type and stores the outcome: `processed`, `ignored` (a type we do not handle) or `flagged`
   (staff should look: `note` says why). A replay of a processed event changes nothing; a replay of
   one whose processing failed (left `pending`) processes it.

Handlers only reconcile our records with what Stripe says happened; they never call Stripe and
never move money (the payments state machine in `payments.services` does, under the same payment
row lock the handlers take, so a webhook and a beat step for one booking never interleave). Every
handler is idempotent and tolerant of order: local state only moves forward (pending → action
required/failed → authorized → captured → refunded; authorized → released), so an old event arriving
late changes nothing. An event we cannot match to our records (an unknown intent or account), or
whose amounts differ from ours where they must match (a tampered or unexpected amount), is stored and
flagged and changes nothing (`Flag` rolls the handler's savepoint back).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction

from bookings.models import (
    BookingDispute,
    BookingPayment,
    BookingTransfer,
    DisputeStatus,
    PaymentStatus,
    Settlement,
)
from bookings.policies import platform_fee_cents
from bookings.satellites import ensure_dispute, ensure_transfer
from core.timeutil import now as current_time

from .gateway import AUTHENTICATION_REQUIRED, CURRENCY, IntentStatus, account_from_stripe
from .models import AuthorizationChannel, ConnectAccount, WebhookEvent, WebhookOutcome
from .services import connect, lifecycle

log = logging.getLogger("payments.webhooks")

# A webhook waits at most this long for a row a beat step holds (a slow Stripe call); then the
# request fails with 503 and Stripe delivers the event again later.
LOCK_TIMEOUT = "10s"

# Unpaid: no funds held yet. An intent event may adopt its intent for such a payment (a crash after
# Stripe authorized but before we committed leaves the payment pending, without the intent's id).
UNPAID = (PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED)

# Stripe's dispute statuses (inquiries are the warning_* ones) -> ours, and how far along each is.
DISPUTE_STATUSES = {
    "warning_needs_response": DisputeStatus.NEEDS_RESPONSE,
    "needs_response": DisputeStatus.NEEDS_RESPONSE,
    "warning_under_review": DisputeStatus.UNDER_REVIEW,
    "under_review": DisputeStatus.UNDER_REVIEW,
    "warning_closed": DisputeStatus.WON,  # an inquiry closed without a chargeback
    "won": DisputeStatus.WON,
    "prevented": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
    "charge_refunded": DisputeStatus.LOST,  # closed because the money went back to the cardholder
}
DISPUTE_RANK = {
    DisputeStatus.NEEDS_RESPONSE: 0,
    DisputeStatus.UNDER_REVIEW: 1,
    DisputeStatus.WON: 2,
    DisputeStatus.LOST: 2,
}


class Flag(Exception):
    """The event cannot be applied safely: store it flagged for staff, change nothing."""


class Outcome(NamedTuple):
    outcome: str
    note: str = ""


def processed(note: str = "") -> Outcome:
    return Outcome(WebhookOutcome.PROCESSED, note)


def flagged(note: str) -> Outcome:
    """Applied, but staff should look (e.g. money moved outside our flow)."""
    return Outcome(WebhookOutcome.FLAGGED, note)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    obj: Mapping[str, Any]  # data.object: the Stripe object as it was when the event happened
    at: dt.datetime  # when Stripe created the event (never later than now)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Event:
        data = payload.get("data")
        obj = data.get("object") if isinstance(data, Mapping) else None
        if not isinstance(obj, Mapping):
            raise Flag("Malformed event: it has no data.object.")
        now = current_time()
        return cls(
            id=str(payload.get("id") or ""),
            type=str(payload.get("type") or ""),
            obj=obj,
            at=min(_timestamp(payload.get("created")) or now, now),
        )


# --- receiving -----------------------------------------------------------------------------------


def receive(payload: dict) -> WebhookEvent:
    """Store a verified event once and process it (again only if an earlier try failed)."""
    row, created = record_event(payload)
    if not created:
        log.info("webhook %s (%s) delivered again", row.event_id, row.event_type)
    return process_event(row.pk)


def record_event(payload: dict) -> tuple[WebhookEvent, bool]:
    """The stored row for this event, inserting it if it is new: (row, created). Race-safe."""
    event_id, event_type = str(payload["id"]), str(payload["type"])
    existing = WebhookEvent.objects.filter(event_id=event_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(event_id=event_id, event_type=event_type[:100], payload=payload), True
    except IntegrityError:  # a concurrent delivery of the same event inserted it first
        return WebhookEvent.objects.get(event_id=event_id), False


def process_event(event_pk: str) -> WebhookEvent:
    """Apply a stored event if it is still pending; idempotent (the row lock serialises deliveries)."""
    with transaction.atomic():
        _set_lock_timeout()
        row = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if row.outcome != WebhookOutcome.PENDING:
            return row
        handler = HANDLERS.get(row.event_type)
        result = Outcome(WebhookOutcome.IGNORED, "") if handler is None else _apply(handler, row.payload)
        row.outcome, row.note, row.processed_at = result.outcome, result.note[:500], current_time()
        row.save(update_fields=["outcome", "note", "processed_at", "updated_at"])
    if row.outcome == WebhookOutcome.FLAGGED:
        log.warning("webhook %s (%s) flagged: %s", row.event_id, row.event_type, row.note)
    return row


def _apply(handler: Callable[[Event], Outcome], payload: Mapping[str, Any]) -> Outcome:
    try:
        with transaction.atomic():  # a savepoint: a Flag undoes whatever the handler wrote
            return handler(Event.from_payload(payload))
    except Flag as flag:
        return Outcome(WebhookOutcome.FLAGGED, str(flag))


def _set_lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])


# --- reading Stripe objects defensively (a signed event is trusted, not assumed well-formed) -------


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, Mapping):  # an expanded object: its id
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _required_id(obj: Mapping[str, Any]) -> str:
    object_id = _text(obj, "id")
    if not object_id:
        raise Flag("Malformed event: its object has no id.")
    return object_id


def _cents(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name) or 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Flag(f"Malformed event: {name} is not a whole number of cents.")
    return value


def _currency(obj: Mapping[str, Any]) -> None:
    currency = obj.get("currency") or CURRENCY
    if currency != CURRENCY:
        raise Flag(f"Unexpected currency {currency!r}: we only charge {CURRENCY}.")


def _booking_id(obj: Mapping[str, Any]) -> str:
    """The booking an object was made for: metadata.booking_id, else its transfer group."""
    metadata = obj.get("metadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("booking_id"), str) and metadata["booking_id"]:
        return metadata["booking_id"]
    group = obj.get("transfer_group")
    if isinstance(group, str) and group.startswith("booking_"):
        return group.removeprefix("booking_")
    return ""


# --- payments ------------------------------------------------------------------------------------


@dataclass
class Match:
    payment: BookingPayment
    current: bool  # the payment records this very intent (False: found through the intent's metadata)

    @property
    def ours(self) -> bool:
        """The intent is the payment's, or may become it (the payment has none and holds nothing)."""
        payment = self.payment
        return self.current or (not payment.payment_intent_id and payment.status in UNPAID)


def _payment_for_intent(intent_id: str, booking_id: str) -> Match:
    """The payment (row-locked) that records this intent, else the one its metadata names."""
    found = list(BookingPayment.objects.select_for_update().filter(payment_intent_id=intent_id).order_by("pk")[:2])
    if len(found) > 1:
        raise Flag(f"Two payments record intent {intent_id}.")
    if found:
        return Match(found[0], current=True)
    if booking_id:
        payment = BookingPayment.objects.select_for_update().filter(booking_id=booking_id).first()
        if payment is not None:
            return Match(payment, current=False)
    raise Flag(f"Unknown intent {intent_id}: no booking's payment uses it.")


def _expected_intent_amount(payment: BookingPayment) -> int:
    return payment.authorized_cents or payment.card_cents


def _check_intent(payment: BookingPayment, obj: Mapping[str, Any]) -> tuple[int, int, int]:
    """(amount, amount_capturable, amount_received), refusing amounts that do not match ours."""
    _currency(obj)
    amount = _cents(obj, "amount")
    capturable, received = _cents(obj, "amount_capturable"), _cents(obj, "amount_received")
    expected = _expected_intent_amount(payment)
    if amount != expected:
        raise Flag(f"Amount mismatch: intent {obj.get('id')} is for {amount}¢, the lesson's card part {expected}¢.")
    if capturable > amount or received > amount:
        raise Flag(f"Amount mismatch: intent {obj.get('id')} holds or received more than its amount.")
    return amount, capturable, received


def _authorized(payment: BookingPayment, intent_id: str, cents: int, at: dt.datetime) -> None:
    lifecycle.record_authorization(payment, intent_id=intent_id, cents=cents, at=at)


def _captured(payment: BookingPayment, cents: int, at: dt.datetime) -> None:
    if cents > payment.authorized_cents:
        raise Flag(f"Amount mismatch: {cents}¢ captured but only {payment.authorized_cents}¢ was authorized.")
    lifecycle.record_capture(payment, cents=cents, at=at)


def intent_authorized(event: Event) -> Outcome:
    """payment_intent.amount_capturable_updated: funds are held (e.g. the student authenticated
    on-session for a payment that needed it, or we crashed before recording an authorization)."""
    obj = event.obj
    intent_id = _required_id(obj)
    match = _payment_for_intent(intent_id, _booking_id(obj))
    payment = match.payment
    if not match.ours:
        if obj.get("status") == IntentStatus.REQUIRES_CAPTURE and _cents(obj, "amount_capturable"):
            raise Flag(
                f"Funds are held on intent {intent_id}, which booking {payment.booking_id} no longer uses: "
                "cancel it in Stripe."
            )
        return processed("An intent this booking no longer uses: nothing to change.")
    amount, capturable, _ = _check_intent(payment, obj)
    # A lesson cancelled while it waited for the student, who then authenticated anyway: funds are
    # held for a lesson nobody pays for. Recording them lets the sweep release them (settlement release).
    held_for_nothing = payment.status == PaymentStatus.NOT_CHARGED and payment.settlement == Settlement.RELEASE
    if payment.status not in UNPAID and not (held_for_nothing and match.current):
        return processed(f"Already {payment.status}: nothing to change.")
    if obj.get("status") != IntentStatus.REQUIRES_CAPTURE or not capturable:
        return processed("No funds held: nothing to change.")
    if capturable != amount:
        raise Flag(f"Partial authorization: {capturable}¢ of {amount}¢ held on intent {intent_id}.")
    was = payment.status
    _authorized(payment, intent_id, capturable, event.at)
    payment.payment_method_id = _text(obj, "payment_method") or payment.payment_method_id
    payment.save(update_fields=["payment_method_id", "updated_at"])
    if payment.settlement == Settlement.RELEASE:
        return processed(f"Authorized {capturable}¢ (was {was}); the lesson is not charged, so the sweep releases it.")
    return processed(f"Authorized {capturable}¢ (was {was}).")


def intent_captured(event: Event) -> Outcome:
    """payment_intent.succeeded: the money was captured (normally by our own capture step)."""
    obj = event.obj
    intent_id = _required_id(obj)
    match = _payment_for_intent(intent_id, _booking_id(obj))
    payment = match.payment
    if not match.ours:
        raise Flag(f"Intent {intent_id} was captured, but booking {payment.booking_id} no longer uses it: refund it.")
    amount, _, received = _check_intent(payment, obj)
    if not received:
        raise Flag(f"Malformed event: intent {intent_id} succeeded without an amount received.")
    if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        if received != payment.captured_cents:
            raise Flag(f"Amount mismatch: Stripe captured {received}¢, we recorded {payment.captured_cents}¢.")
        return processed("Capture already recorded.")
    if payment.status not in (*UNPAID, PaymentStatus.AUTHORIZED):
        raise Flag(f"Stripe captured {received}¢ on a payment we recorded as {payment.status}: refund it.")
    if payment.status in UNPAID:
        _authorized(payment, intent_id, amount, event.at)
    _captured(payment, received, event.at)
    return processed(f"Captured {received}¢.")


def intent_canceled(event: Event) -> Outcome:
    """payment_intent.canceled: the authorization was released."""
    obj = event.obj
    intent_id = _required_id(obj)
    match = _payment_for_intent(intent_id, _booking_id(obj))
    payment = match.payment
    if not match.ours:
        return processed("An intent this booking no longer uses was canceled: nothing to change.")
    _check_intent(payment, obj)
    if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        raise Flag(f"Intent {intent_id} canceled, but we recorded it as {payment.status}.")
    if payment.status != PaymentStatus.AUTHORIZED:
        return processed(f"Nothing held ({payment.status}): nothing to change.")
    lifecycle.record_release(payment)
    if payment.settlement != Settlement.RELEASE:
        return flagged(
            f"The authorization of {payment.authorized_cents}¢ was canceled outside our flow "
            "(in the dashboard, or it expired) while the lesson is still to be paid."
        )
    return processed(f"Released {payment.authorized_cents}¢.")


def intent_failed(event: Event) -> Outcome:
    """payment_intent.payment_failed: e.g. the student's on-session attempt was declined."""
    obj = event.obj
    intent_id = _required_id(obj)
    match = _payment_for_intent(intent_id, _booking_id(obj))
    payment = match.payment
    if not match.current:
        return processed("Not the payment's current intent: nothing to change.")
    _check_intent(payment, obj)
    if payment.status != PaymentStatus.ACTION_REQUIRED:
        return processed(f"Already {payment.status}: nothing to change.")
    error = obj.get("last_payment_error")
    error = error if isinstance(error, Mapping) else {}
    code, decline_code = str(error.get("code") or ""), str(error.get("decline_code") or "")
    if AUTHENTICATION_REQUIRED in (code, decline_code):
        return processed("Still waiting for the student to authenticate.")
    lifecycle.record_failure(
        payment,
        at=event.at,
        channel=AuthorizationChannel.WEBHOOK,
        message=str(error.get("message") or "The card was declined."),
        code=decline_code or code or "card_declined",
    )
    return processed(f"Declined ({payment.failure_code}).")


# --- charges: refunds and disputes -----------------------------------------------------------------


def charge_refunded(event: Event) -> Outcome:
    """charge.refunded: record refunds, including ones made outside our flow (the dashboard);
    refunded_cents only ever rises, to the charge's amount_refunded."""
    obj = event.obj
    intent_id = _text(obj, "payment_intent")
    if not intent_id:
        raise Flag("A charge without a payment intent: not one of our lessons.")
    match = _payment_for_intent(intent_id, _booking_id(obj))
    payment = match.payment
    if not match.ours:
        raise Flag(f"A refund on intent {intent_id}, which booking {payment.booking_id} no longer uses.")
    _currency(obj)
    amount, captured, refunded = _cents(obj, "amount"), _cents(obj, "amount_captured"), _cents(obj, "amount_refunded")
    expected = _expected_intent_amount(payment)
    if amount != expected:
        raise Flag(f"Amount mismatch: the charge is for {amount}¢ but the lesson's card part is {expected}¢.")
    was_captured = bool(obj.get("captured"))
    if captured > amount or refunded > (captured if was_captured else amount):
        raise Flag("Amount mismatch: the charge refunds more than it captured.")
    if not was_captured:
        return processed("An uncaptured charge was released: payment_intent.canceled records it.")
    if payment.status in (PaymentStatus.RELEASED, PaymentStatus.NOT_CHARGED):
        raise Flag(f"A refund on a charge we recorded as {payment.status}.")
    notes = []
    if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        if captured != payment.captured_cents:
            raise Flag(f"Amount mismatch: Stripe captured {captured}¢, we recorded {payment.captured_cents}¢.")
    else:  # the capture's own record is missing (a crash, or its event is still on its way)
        if payment.status in UNPAID:
            _authorized(payment, intent_id, amount, event.at)
        _captured(payment, captured, event.at)
        notes.append(f"Captured {captured}¢.")
    refund_recorded = refunded > payment.refunded_cents
    if refund_recorded:
        notes.append(f"Refunded {refunded}¢ in all (was {payment.refunded_cents}¢).")
        lifecycle.record_refund(payment, refunded_cents=refunded)
    if not notes:
        return processed("Refund already recorded.")
    note = " ".join(notes)
    paid_out = BookingTransfer.objects.filter(booking_id=payment.booking_id, transferred_at__isnull=False)
    if refund_recorded and paid_out.exists():
        return flagged(f"{note} Refunded outside our flow after the payout: the instructor's transfer stands.")
    return processed(note)


def dispute_changed(event: Event) -> Outcome:
    """charge.dispute.created/updated/closed: keep the booking's dispute record; statuses only
    move forward (needs response → under review → won/lost), so a late `created` changes nothing."""
    obj = event.obj
    dispute_id = _required_id(obj)
    intent_id = _text(obj, "payment_intent")
    if not intent_id:
        raise Flag(f"Dispute {dispute_id} names no payment intent: find its lesson by its charge.")
    match = _payment_for_intent(intent_id, "")
    payment = match.payment
    status = DISPUTE_STATUSES.get(str(obj.get("status") or ""))
    if status is None:
        raise Flag(f"Dispute {dispute_id} has a status we do not know: {obj.get('status')!r}.")
    _currency(obj)
    amount = _cents(obj, "amount")
    limit = payment.captured_cents or _expected_intent_amount(payment)
    if amount > limit:
        raise Flag(f"Amount mismatch: dispute {dispute_id} is for {amount}¢, more than the {limit}¢ charged.")
    details = obj.get("evidence_details")
    due = _timestamp(details.get("due_by")) if isinstance(details, Mapping) else None
    reason = str(obj.get("reason") or "")[:100]

    existing = ensure_dispute(payment.booking, dispute_id=dispute_id)
    dispute = BookingDispute.objects.select_for_update().get(pk=existing.pk)
    if dispute.dispute_id != dispute_id:
        raise Flag(f"Booking {payment.booking_id} already has dispute {dispute.dispute_id}; {dispute_id} is another.")
    rank, current_rank = DISPUTE_RANK[status], DISPUTE_RANK[dispute.status]
    details = {"reason": reason, "amount_cents": amount, "evidence_due_at": due}
    lifecycle.record_dispute(dispute, status=status if rank > current_rank else dispute.status, at=event.at)
    for field, value in details.items():
        if value and (rank >= current_rank or not getattr(dispute, field)):
            setattr(dispute, field, value)
    dispute.save(update_fields=[*details, "updated_at"])
    if rank < current_rank:
        return processed(f"Dispute {dispute_id} is already {dispute.status}: an older status changes nothing.")
    return processed(f"Dispute {dispute_id}: {dispute.status}.")


# --- Connect accounts ------------------------------------------------------------------------------


def account_updated(event: Event) -> Outcome:
    """account.updated: sync the instructor's Connect account (an older event changes nothing)."""
    account_id = _required_id(event.obj)
    account = ConnectAccount.objects.select_for_update().filter(account_id=account_id).first()
    if account is None:
        raise Flag(f"Unknown Connect account {account_id}.")
    if account.synced_at and event.at < account.synced_at:
        return processed("Older than our last sync: nothing to change.")
    try:
        result = account_from_stripe(event.obj)
    except (KeyError, TypeError, ValueError) as error:
        raise Flag(f"Malformed account object: {error}") from error
    connect.apply_account_state(account, result, at=event.at)
    return processed(f"Account {account.status}.")


# --- transfers -------------------------------------------------------------------------------------


def _expected_payout(payment: BookingPayment) -> tuple[int, int] | None:
    """(payout, fee) the state machine pays for this payment now; None while nothing is charged."""
    charged = payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED)
    if payment.card_cents and not charged:
        return None
    kept = lifecycle.kept_cents(payment)
    fee = platform_fee_cents(kept)
    return kept - fee, fee


def _last_reversal_id(obj: Mapping[str, Any]) -> str:
    reversals = obj.get("reversals")
    data = reversals.get("data") if isinstance(reversals, Mapping) else None
    if isinstance(data, list) and data and isinstance(data[-1], Mapping):
        return str(data[-1].get("id") or "")
    return ""


def transfer_changed(event: Event) -> Outcome:
    """transfer.created/updated/reversed: record the payout (normally recorded by our own transfer
    step already) and reversals, forward only; a second transfer for one lesson is flagged."""
    obj = event.obj
    transfer_id = _required_id(obj)
    booking_id = _booking_id(obj)
    if not booking_id:
        raise Flag(f"Transfer {transfer_id} was not made for a booking.")
    payment = (
        BookingPayment.objects.select_for_update(of=("self",))
        .select_related("booking")
        .filter(booking_id=booking_id)
        .first()
    )
    if payment is None:
        raise Flag(f"Transfer {transfer_id} names booking {booking_id}, which has no payment.")
    _currency(obj)
    amount, reversed_cents = _cents(obj, "amount"), _cents(obj, "amount_reversed")
    if reversed_cents > amount:
        raise Flag(f"Amount mismatch: transfer {transfer_id} reverses more than it paid.")
    account = ConnectAccount.objects.filter(instructor_id=payment.booking.instructor_id).first()
    destination = _text(obj, "destination")
    if account is None or destination != account.account_id:
        raise Flag(f"Transfer {transfer_id} went to {destination or 'nobody'}, not this lesson's instructor.")

    transfer = BookingTransfer.objects.select_for_update().filter(booking_id=booking_id).first()
    notes = []
    if transfer is not None and transfer.transfer_id:
        if transfer.transfer_id != transfer_id:
            raise Flag(
                f"A second transfer ({transfer_id}) for booking {booking_id}, which was paid by "
                f"{transfer.transfer_id}: a double payout, reverse one."
            )
        if amount != transfer.payout_cents:
            raise Flag(f"Amount mismatch: transfer {transfer_id} is {amount}¢, we recorded {transfer.payout_cents}¢.")
    else:  # our own step crashed after Stripe paid, or this event overtook its commit
        expected = _expected_payout(payment)
        if expected is None:
            raise Flag(f"Transfer {transfer_id} was made before the lesson was charged.")
        payout, fee = expected
        if amount != payout:
            raise Flag(f"Amount mismatch: transfer {transfer_id} is {amount}¢, the payout due is {payout}¢.")
        transfer = transfer or BookingTransfer.objects.select_for_update().get(pk=ensure_transfer(payment.booking).pk)
        transfer.transfer_id, transfer.transferred_at, transfer.on_hold_reason = transfer_id, event.at, ""
        transfer.payout_cents, transfer.platform_fee_cents = payout, fee
        notes.append(f"Recorded transfer {transfer_id} of {amount}¢.")
    if reversed_cents > transfer.reversed_cents:
        transfer.reversed_cents = reversed_cents
        transfer.reversal_id = _last_reversal_id(obj) or transfer.reversal_id
        transfer.reversed_at = event.at
        notes.append(f"Reversed {reversed_cents}¢ in all.")
    transfer.save(
        update_fields=[
            "transfer_id",
            "transferred_at",
            "on_hold_reason",
            "payout_cents",
            "platform_fee_cents",
            "reversed_cents",
            "reversal_id",
            "reversed_at",
            "updated_at",
        ]
    )
    return processed(" ".join(notes) or "Already recorded.")


HANDLERS: dict[str, Callable[[Event], Outcome]] = {
    "payment_intent.amount_capturable_updated": intent_authorized,
    "payment_intent.succeeded": intent_captured,
    "payment_intent.canceled": intent_canceled,
    "payment_intent.payment_failed": intent_failed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "account.updated": account_updated,
    "transfer.created": transfer_changed,
    "transfer.updated": transfer_changed,
    "transfer.reversed": transfer_changed,
}
