"""The money of one lesson: a small state machine over the booking's payment satellite.

Bookings decide (their transitions record `settlement` through bookings.payment_seam; the rules
of when a lesson's money is settled live in bookings.policies); this module moves the money.
`advance_payment` takes every step a payment is due for, each step its own transaction with the
payment row locked, each gateway call with an idempotency key derived from the booking, the
operation and the attempt, so a retry, a crash after Stripe answered, or a duplicate task never
charges, captures or pays out twice. It runs from the beat sweep (`advance_all`, every minute)
and from a task queued when a booking changes (payments.receivers): never on a page's request
thread, with one deliberate exception, the authorization at checkout (checkout.py), where the
student is there to pick another card or answer their bank.

Timeline: authorize the card at T-24h (at checkout when the lesson is sooner), capture 24h after
the lesson ends, then transfer the instructor's share (what was kept - the platform fee) to their
Connect account. A failed authorization gives the student until `policies.unpaid_deadline`; the
bookings sweep cancels the lesson if it is still unpaid then.

Every status change goes through `_set_status`, which checks the transition, and every money fact
(authorized, captured, released, refunded, failed) has one recording function, shared with the
webhooks. Rows are saved with `update_fields`: a step never overwrites the decision fields that
bookings record under the same lock order (booking row, then payment row).
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q

from bookings import policies
from bookings.models import (
    Booking,
    BookingDispute,
    BookingLock,
    BookingPayment,
    BookingStatus,
    BookingTransfer,
    DisputeStatus,
    LockResolution,
    PaymentStatus,
    Settlement,
)
from bookings.satellites import ensure_transfer
from core.timeutil import now as current_time

from .. import credits, notices
from ..errors import AuthenticationNeeded, PaymentDeclined, PaymentProviderUnavailable
from ..gateway import (
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    IntentStatus,
    InvalidRequest,
    TransientGatewayError,
    get_gateway,
    idempotency_key,
    in_test_mode,
)
from ..models import AuthorizationChannel, ConnectAccount, CreditReason, FailedAuthorization, SavedCard
from ..selectors import FINAL_STATUSES
from .connect import payout_hold_reason

log = logging.getLogger("payments")

RETRY_BACKOFF_SECONDS = (60, 300, 900, 3600)
UNPAID = (PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED)
FAILED = (PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED)
TRANSIENT = "transient"


class InvalidPaymentTransition(Exception):
    """A bug: code asked for a payment status change the state machine does not have."""


# --- status and the money facts ---------------------------------------------------------------------


def _set_status(payment: BookingPayment, to: str, *, allowed_from) -> None:
    """The only assignment of a payment's status (saved by the caller with its other fields)."""
    if payment.status not in allowed_from:
        raise InvalidPaymentTransition(f"payment {payment.pk}: {payment.status} can't become {to}")
    payment.status = to


def _save(payment: BookingPayment, *fields: str) -> None:
    payment.save(update_fields=[*fields, "updated_at"])


def kept_cents(payment: BookingPayment) -> int:
    """What the platform keeps of a lesson's money: captured + credit used - refunded - credit returned.
    The platform fee and the instructor's payout are shares of it."""
    return (
        payment.captured_cents + payment.credit_applied_cents - payment.refunded_cents - payment.credit_returned_cents
    )


def record_authorization(payment: BookingPayment, *, intent_id: str, cents: int, at: dt.datetime) -> None:
    """Funds are held on the card (added up: a hold that lapsed and was authorized again counts
    twice, and once released)."""
    _set_status(
        payment,
        PaymentStatus.AUTHORIZED,
        allowed_from=(*UNPAID, PaymentStatus.NOT_CHARGED),  # NOT_CHARGED: authenticated after a cancellation
    )
    payment.payment_intent_id = intent_id
    payment.authorized_cents += cents
    payment.authorized_at = payment.authorized_at or at
    payment.failure_code = payment.failure_message = ""
    payment.next_attempt_at = payment.pay_by = None
    _save(
        payment,
        "status",
        "payment_intent_id",
        "authorized_cents",
        "authorized_at",
        "failure_code",
        "failure_message",
        "next_attempt_at",
        "pay_by",
    )
    SavedCard.objects.filter(payment_method_id=payment.payment_method_id).update(last_failed_at=None, last_failure="")


def record_capture(payment: BookingPayment, *, cents: int, at: dt.datetime) -> None:
    _set_status(payment, PaymentStatus.CAPTURED, allowed_from=(PaymentStatus.AUTHORIZED, PaymentStatus.PENDING))
    payment.captured_cents = cents
    payment.released_cents = payment.authorized_cents - cents
    payment.captured_at = payment.captured_at or at
    payment.next_attempt_at = None
    _save(payment, "status", "captured_cents", "released_cents", "captured_at", "next_attempt_at")


def record_release(payment: BookingPayment) -> None:
    """The hold on the card was cancelled: nothing of it is charged."""
    _set_status(payment, PaymentStatus.RELEASED, allowed_from=(PaymentStatus.AUTHORIZED,))
    payment.released_cents = payment.authorized_cents
    _save(payment, "status", "released_cents")


def record_lapse(payment: BookingPayment) -> None:
    """The hold lapsed before the capture (Stripe cancels uncaptured holds after 7 days): what it
    held counts as released, and the card is authorized again."""
    _set_status(payment, PaymentStatus.PENDING, allowed_from=(PaymentStatus.AUTHORIZED,))
    payment.released_cents = payment.authorized_cents
    _save(payment, "status", "released_cents")


def record_refund(payment: BookingPayment, *, refunded_cents: int) -> None:
    """`refunded_cents` in all, only ever rising; refunded in full is final."""
    payment.refunded_cents = max(payment.refunded_cents, refunded_cents)
    if payment.refunded_cents == payment.captured_cents:
        _set_status(payment, PaymentStatus.REFUNDED, allowed_from=(PaymentStatus.CAPTURED,))
    _save(payment, "status", "refunded_cents")


def record_failure(
    payment: BookingPayment,
    *,
    at: dt.datetime,
    channel: str,
    message: str,
    code: str = "",
    needs_authentication: bool = False,
    intent_id: str = "",
) -> None:
    """An authorization failed (declined, or the bank wants the cardholder): the payment waits for
    the student's fix until `pay_by` (a confirmed lesson only; a checkout has its hold, a settled
    lesson no deadline), the card is marked, and the failure is kept for the finance console."""
    status = PaymentStatus.ACTION_REQUIRED if needs_authentication else PaymentStatus.FAILED
    _set_status(payment, status, allowed_from=(PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED))
    booking = payment.booking
    payment.payment_intent_id = intent_id or payment.payment_intent_id
    payment.failure_code = (code or ("authentication_required" if needs_authentication else "card_declined"))[:64]
    payment.failure_message = (message or "The card was declined.")[:300]
    payment.failed_at = at
    payment.next_attempt_at = None
    payment.pay_by = None
    if booking.status == BookingStatus.CONFIRMED and not payment.settlement:
        payment.pay_by = policies.unpaid_deadline(lesson_start=booking.start_at, failed_at=at)
    _save(
        payment,
        "status",
        "payment_intent_id",
        "failure_code",
        "failure_message",
        "failed_at",
        "next_attempt_at",
        "pay_by",
    )
    card = SavedCard.objects.filter(payment_method_id=payment.payment_method_id).first()
    FailedAuthorization.objects.create(
        booking=booking,
        channel=channel,
        amount_cents=payment.card_cents,
        payment_method_id=payment.payment_method_id,
        card_label=str(card) if card else "",
        intent_id=payment.payment_intent_id,
        needs_authentication=needs_authentication,
        code=payment.failure_code,
        message=payment.failure_message,
    )
    if card is not None and not needs_authentication:  # a bank check is not the card's fault
        card.last_failed_at, card.last_failure = at, payment.failure_message
        card.save(update_fields=["last_failed_at", "last_failure", "updated_at"])


def record_dispute(dispute: BookingDispute, *, status: str, at: dt.datetime) -> None:
    """A card dispute's status, as Stripe's events tell it (they only move it forward)."""
    if status != dispute.status:
        dispute.status = status
        if status in (DisputeStatus.WON, DisputeStatus.LOST):
            dispute.closed_at = dispute.closed_at or at
        dispute.save(update_fields=["status", "closed_at", "updated_at"])


# --- authorizing ---------------------------------------------------------------------------------------


def authorize(payment: BookingPayment, now: dt.datetime, *, on_session: bool, channel: str) -> None:
    """Ask the bank to hold the card part of the price (inside the caller's transaction, with the
    payment row locked). A decline or a bank check is recorded (`record_failure`); off-session,
    the student is emailed the link to fix it. A transient error keeps the attempt's key so the
    retry is the same request to Stripe (no second hold): off-session it backs off, on-session it
    raises PaymentProviderUnavailable for the student to try again."""
    booking = payment.booking
    attempt = payment.attempts + 1
    try:
        result = get_gateway().authorize(
            customer_id=payment.customer_id,
            payment_method_id=payment.payment_method_id,
            amount_cents=payment.card_cents,
            booking_id=booking.pk,
            off_session=not on_session,
            idempotency_key=idempotency_key("authorize", booking.pk, attempt),
        )
    except TransientGatewayError as error:
        if on_session:
            raise PaymentProviderUnavailable() from error
        _retry_later(payment, now, error)
        return
    except (AuthenticationRequired, CardDeclined) as error:
        payment.attempts = attempt
        _save(payment, "attempts")
        record_failure(
            payment,
            at=now,
            channel=channel,
            message=error.message,
            code=getattr(error, "decline_code", "") or error.code,
            needs_authentication=isinstance(error, AuthenticationRequired),
            intent_id=getattr(error, "intent_id", ""),
        )
        if not on_session:
            booking_id = booking.pk
            transaction.on_commit(lambda: notices.email_payment_problem(booking_id))
        return
    payment.attempts = attempt
    _save(payment, "attempts")
    if result.status == IntentStatus.REQUIRES_ACTION:  # on-session: the bank's check, in the browser
        record_failure(
            payment,
            at=now,
            channel=channel,
            message="Your bank wants you to confirm this payment.",
            needs_authentication=True,
            intent_id=result.id,
        )
        return
    record_authorization(
        payment, intent_id=result.id, cents=result.amount_capturable_cents or payment.card_cents, at=now
    )


def adopt_authenticated_intent(payment: BookingPayment, now: dt.datetime) -> bool:
    """After the student passed their bank's check on-session: if the payment's intent now holds
    the card part, record it as the authorization (True)."""
    if payment.status != PaymentStatus.ACTION_REQUIRED or not payment.payment_intent_id:
        return False
    try:
        intent = get_gateway().retrieve_intent(intent_id=payment.payment_intent_id)
    except TransientGatewayError as error:
        raise PaymentProviderUnavailable() from error
    if not (intent.is_authorized and intent.amount_cents == payment.card_cents):
        return False
    record_authorization(
        payment, intent_id=intent.id, cents=intent.amount_capturable_cents or payment.card_cents, at=now
    )
    return True


def raise_for_failure(payment: BookingPayment) -> None:
    """After an on-session attempt: what the student must do next, as a domain error."""
    if payment.status == PaymentStatus.ACTION_REQUIRED:
        raise AuthenticationNeeded(client_secret=client_secret(payment), payment_intent=payment.payment_intent_id)
    if payment.status == PaymentStatus.FAILED:
        reason = payment.failure_message or "Your card was declined."
        raise PaymentDeclined(
            reason,
            decline_code=payment.failure_code,
            fields={"payment_method": f"Declined: {reason} Choose another card or add one."},
        )


def client_secret(payment: BookingPayment) -> str:
    """What Stripe.js needs to show the bank's check for the payment's intent ("" in test mode,
    where a button stands in for the bank, or when Stripe does not answer)."""
    if in_test_mode() or not payment.payment_intent_id:
        return ""
    try:
        return get_gateway().retrieve_intent(intent_id=payment.payment_intent_id).client_secret
    except GatewayError:
        return ""


def restart_after_failure(payment: BookingPayment) -> None:
    """A new attempt (another card, or the same one again): back to pending, no backoff."""
    _set_status(payment, PaymentStatus.PENDING, allowed_from=(PaymentStatus.PENDING, *FAILED))
    payment.next_attempt_at = None
    _save(payment, "status", "next_attempt_at")


def _retry_later(payment: BookingPayment, now: dt.datetime, error: GatewayError) -> None:
    delay = RETRY_BACKOFF_SECONDS[min(payment.attempts, len(RETRY_BACKOFF_SECONDS) - 1)]
    payment.next_attempt_at = now + dt.timedelta(seconds=delay)
    payment.failure_code, payment.failure_message = TRANSIENT, str(error)[:300]
    _save(payment, "next_attempt_at", "failure_code", "failure_message")
    log.warning("payment %s: transient gateway error, retrying at %s: %s", payment.pk, payment.next_attempt_at, error)


# --- the state machine ------------------------------------------------------------------------------


def advance_payment(payment_id: str, *, now: dt.datetime | None = None) -> list[str]:
    """Take every step this payment is due for now; returns the steps taken. Each step is
    its own transaction with the payment row locked, so a crash between steps loses nothing."""
    steps = []
    for _ in range(6):  # authorize → capture → transfer is the longest path; the bound guards loops
        step = _advance_once(payment_id, now or current_time())
        if step is None:
            break
        steps.append(step)
    return steps


def locked_payment(payment_id: str) -> BookingPayment:
    """The payment row locked (never its booking: a booking is locked before its payment, and
    only by bookings' transitions)."""
    return (
        BookingPayment.objects.select_for_update(of=("self",))
        .select_related("booking__student", "booking__instructor__user")
        .get(pk=payment_id)
    )


def _advance_once(payment_id: str, now: dt.datetime) -> str | None:
    with transaction.atomic():
        payment = locked_payment(payment_id)
        _settle_if_due(payment, now)
        step = _next_step(payment, now)
        if step is not None:
            STEPS[step](payment, now)
        return step


def _settle_if_due(payment: BookingPayment, now: dt.datetime) -> None:
    """Apply bookings' rule for when a finished lesson's money is settled."""
    if payment.settlement:
        return
    booking = payment.booking
    no_show = getattr(booking, "no_show", None)
    outcome = policies.settlement_due(
        status=booking.status,
        lesson_end=booking.end_at,
        now=now,
        no_show_type=no_show.no_show_type if no_show else "",
        no_show_resolution=no_show.resolution if no_show else "",
    )
    if outcome:
        payment.settlement = outcome
        _save(payment, "settlement")


def _next_step(payment: BookingPayment, now: dt.datetime) -> str | None:
    booking = payment.booking
    card_held = payment.status == PaymentStatus.AUTHORIZED
    if payment.settlement == Settlement.RELEASE:
        if card_held:
            return "release"
        if payment.status == PaymentStatus.CAPTURED and payment.refunded_cents < payment.captured_cents:
            return "refund_all"
        if payment.credit_returned_cents < payment.credit_applied_cents:
            return "return_credit"
        if payment.status not in FINAL_STATUSES:
            return "close"
        return None
    if payment.settlement == Settlement.CHARGE:
        if payment.card_cents and payment.status == PaymentStatus.PENDING and _may_try(payment, now):
            return "authorize"
        if card_held or (not payment.card_cents and payment.status == PaymentStatus.PENDING):
            return "capture"
        if _lock_pending(payment):
            return "resolve_lock" if _lock_outcome(payment) else None
        if (payment.status == PaymentStatus.CAPTURED or not payment.card_cents) and _transfer_due(payment):
            return "transfer"
        return None
    if booking.status == BookingStatus.CONFIRMED:
        due = policies.authorization_due(lesson_start=booking.start_at, now=now)
        if payment.card_cents and payment.status == PaymentStatus.PENDING and due and _may_try(payment, now):
            return "authorize"
    return None


def _may_try(payment: BookingPayment, now: dt.datetime) -> bool:
    return payment.next_attempt_at is None or payment.next_attempt_at <= now


def _lock_pending(payment: BookingPayment) -> bool:
    return BookingLock.objects.filter(booking_id=payment.booking_id, resolution=LockResolution.PENDING).exists()


def _lock_outcome(payment: BookingPayment) -> str:
    """Locked funds (a late reschedule) follow the lesson they moved to (bookings' rule)."""
    latest = payment.booking
    while (move := getattr(latest, "reschedule", None)) is not None:
        latest = move.rescheduled_to
    no_show = getattr(latest, "no_show", None)
    return policies.locked_funds_outcome(
        status=latest.status,
        cancelled_by=latest.cancelled_by,
        no_show_type=no_show.no_show_type if no_show else "",
        no_show_resolution=no_show.resolution if no_show else "",
    )


def _transfer_due(payment: BookingPayment) -> bool:
    transfer = BookingTransfer.objects.filter(booking_id=payment.booking_id).first()
    if transfer is not None and transfer.transferred_at:
        return False
    lock = BookingLock.objects.filter(booking_id=payment.booking_id).first()
    return lock is None or lock.resolution == LockResolution.PAID_TO_INSTRUCTOR


# --- steps -----------------------------------------------------------------------------------------


def _authorize_step(payment: BookingPayment, now: dt.datetime) -> None:
    authorize(payment, now, on_session=False, channel=AuthorizationChannel.SCHEDULED)


def _capture(payment: BookingPayment, now: dt.datetime) -> None:
    if not payment.card_cents:  # paid in full with credit: nothing to take from a card
        record_capture(payment, cents=0, at=now)
        return
    gateway = get_gateway()
    try:
        intent = gateway.retrieve_intent(intent_id=payment.payment_intent_id)
    except TransientGatewayError as error:
        _retry_later(payment, now, error)
        return
    if intent.is_canceled:
        record_lapse(payment)
        return
    if not intent.is_captured:
        try:
            intent = gateway.capture(
                intent_id=payment.payment_intent_id,
                amount_cents=payment.card_cents,
                idempotency_key=idempotency_key("capture", payment.booking_id, payment.attempts),
            )
        except TransientGatewayError as error:
            payment.attempts += 1  # Stripe remembers a failed key: the next try needs a new one
            _save(payment, "attempts")
            _retry_later(payment, now, error)
            return
    record_capture(payment, cents=intent.amount_received_cents or payment.card_cents, at=now)


def _release(payment: BookingPayment, now: dt.datetime) -> None:
    gateway = get_gateway()
    try:
        gateway.cancel_authorization(
            intent_id=payment.payment_intent_id, idempotency_key=idempotency_key("release", payment.booking_id)
        )
    except InvalidRequest:
        if not gateway.retrieve_intent(intent_id=payment.payment_intent_id).is_canceled:
            raise  # anything but "already released" is for staff to look at
    record_release(payment)


def _refund_all(payment: BookingPayment, now: dt.datetime) -> None:
    refund_card(payment, payment.captured_cents - payment.refunded_cents)


def refund_card(payment: BookingPayment, amount_cents: int) -> None:
    get_gateway().refund(
        intent_id=payment.payment_intent_id,
        amount_cents=amount_cents,
        idempotency_key=idempotency_key("refund", payment.booking_id, payment.refunded_cents, amount_cents),
    )
    record_refund(payment, refunded_cents=payment.refunded_cents + amount_cents)


def _return_credit(payment: BookingPayment, now: dt.datetime) -> None:
    amount = payment.credit_applied_cents - payment.credit_returned_cents
    credits.grant(
        user=payment.booking.student,
        amount_cents=amount,
        reason=CreditReason.RETURNED,
        booking=payment.booking,
        note=payment.booking.service_name,
    )
    payment.credit_returned_cents += amount
    _save(payment, "credit_returned_cents")


def _close(payment: BookingPayment, now: dt.datetime) -> None:
    """Nothing was charged (or a credit-only charge was all given back)."""
    _set_status(payment, PaymentStatus.NOT_CHARGED, allowed_from=(*UNPAID, PaymentStatus.CAPTURED))
    _save(payment, "status")


def _resolve_lock(payment: BookingPayment, now: dt.datetime) -> None:
    lock = BookingLock.objects.select_for_update().get(booking_id=payment.booking_id)
    lock.resolution, lock.resolved_at = _lock_outcome(payment), now
    lock.save(update_fields=["resolution", "resolved_at", "updated_at"])
    if lock.resolution == LockResolution.REFUNDED:
        payment.settlement = Settlement.RELEASE
        _save(payment, "settlement")


def _transfer(payment: BookingPayment, now: dt.datetime) -> None:
    booking = payment.booking
    transfer = ensure_transfer(booking)
    kept = kept_cents(payment)
    fee = policies.platform_fee_cents(kept)
    account = ConnectAccount.objects.filter(instructor=booking.instructor).first()
    transfer.platform_fee_cents, transfer.payout_cents = fee, kept - fee
    hold = payout_hold_reason(account)
    if hold or transfer.payout_cents == 0:
        transfer.on_hold_reason = hold
        transfer.save(update_fields=["platform_fee_cents", "payout_cents", "on_hold_reason", "updated_at"])
        return
    gateway = get_gateway()
    earlier = gateway.transfers_for_booking(booking_id=booking.pk)  # a crash after Stripe paid, before our commit
    result = (
        earlier[0]
        if earlier
        else gateway.transfer(
            amount_cents=transfer.payout_cents,
            destination_account_id=account.account_id,
            booking_id=booking.pk,
            idempotency_key=idempotency_key("transfer", booking.pk),
        )
    )
    transfer.transfer_id, transfer.transferred_at, transfer.on_hold_reason = result.id, now, ""
    transfer.save(
        update_fields=[
            "platform_fee_cents",
            "payout_cents",
            "transfer_id",
            "transferred_at",
            "on_hold_reason",
            "updated_at",
        ]
    )


STEPS = {
    "authorize": _authorize_step,
    "capture": _capture,
    "release": _release,
    "refund_all": _refund_all,
    "return_credit": _return_credit,
    "close": _close,
    "transfer": _transfer,
    "resolve_lock": _resolve_lock,
}


# --- sweeps (beat) -----------------------------------------------------------------------------


def payments_to_advance(now: dt.datetime) -> list[str]:
    """Payments that may have a step due: not finished (a captured one is finished once paid
    out), and not waiting on a backoff. Oldest first."""
    finished = (Q(status__in=FINAL_STATUSES) & Q(credit_returned_cents__gte=F("credit_applied_cents"))) | Q(
        status=PaymentStatus.CAPTURED, booking__transfer__transferred_at__isnull=False
    )
    return list(
        BookingPayment.objects.exclude(finished)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(booking__status__in=[BookingStatus.HELD, BookingStatus.REQUESTED])
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def advance_all(*, now: dt.datetime | None = None) -> int:
    """Beat task: take every due step of every payment. Idempotent; safe to run concurrently
    (each payment's row lock serialises its steps). One payment's failure never stops the rest."""
    now = now or current_time()
    steps = 0
    for payment_id in payments_to_advance(now):
        try:
            steps += len(advance_payment(payment_id, now=now))
        except Exception:  # logged for staff; the next sweep tries again
            log.exception("payment %s: could not advance", payment_id)
    return steps


def payment_of(booking_id: str) -> str | None:
    return BookingPayment.objects.filter(booking_id=booking_id).values_list("pk", flat=True).first()


# --- the student or staff try a failed authorization again ----------------------------------------


def retry_authorization(
    *, booking: Booking, payment_method_id: str | None, channel: str, authenticated: bool = False
) -> BookingPayment:
    """Try a failed (or bank-check) authorization again while it can still be fixed
    (`policies.payment_fixable`): the student passed their bank's check (`authenticated`), picked
    another of their cards (`payment_method_id`), or just asks again. On-session: a decline raises
    PaymentDeclined, a bank check AuthenticationNeeded. Settles what is then due (a charged lesson
    is captured at once). Fixing an already fixed payment returns it as it is."""
    now = current_time()
    with transaction.atomic():
        payment = locked_payment(payment_of(booking.pk))
        if payment.status not in FAILED:
            return payment  # a second click, or nothing to fix
        booking = payment.booking
        if not policies.payment_fixable(
            booking_status=booking.status, payment_status=payment.status, settlement=payment.settlement
        ):
            return payment
        waiting_on_bank = authenticated and payment.status == PaymentStatus.ACTION_REQUIRED
        if waiting_on_bank:
            adopt_authenticated_intent(payment, now)  # else still waiting on the same intent
        else:
            if payment_method_id:
                payment.payment_method_id = payment_method_id
                _save(payment, "payment_method_id")
            restart_after_failure(payment)
            authorize(payment, now, on_session=channel == AuthorizationChannel.STUDENT_FIX, channel=channel)
    advance_payment(payment.pk)
    payment.refresh_from_db()
    if channel == AuthorizationChannel.STUDENT_FIX:
        raise_for_failure(payment)
    return payment
