"""What finance staff do from the console: refunds, credit grants, payment retries. Each checks the
staff member's permission and leaves an audit row (who, what, before and after, why)."""

from django.db import transaction

from accounts.models import User
from bookings import policies
from bookings.models import Booking, BookingPayment, BookingTransfer
from core.exceptions import Forbidden, InvalidInput
from core.money import format_cents
from core.services import record_audit
from core.timeutil import now as current_time

from .. import credits
from ..errors import RefundTooLarge
from ..gateway import get_gateway, idempotency_key
from ..models import AuthorizationChannel, CreditReason
from . import lifecycle

ISSUE_REFUNDS = "payments.issue_refunds"


def _require_finance(staff_user: User, doing: str) -> None:
    if not staff_user.has_perm(ISSUE_REFUNDS):
        raise Forbidden(f"You can't {doing}.")


def _money(payment: BookingPayment) -> dict:
    return {
        "status": payment.status,
        "captured_cents": payment.captured_cents,
        "refunded_cents": payment.refunded_cents,
    }


def refund_booking(*, booking: Booking, amount_cents: int, staff_user: User, reason: str = "") -> BookingPayment:
    """Refund part or all of what the card paid. A refund after the payout reverses the instructor's
    transfer by what their share shrinks."""
    _require_finance(staff_user, "issue refunds")
    with transaction.atomic():
        payment = BookingPayment.objects.select_for_update().get(booking=booking)
        refundable = payment.captured_cents - payment.refunded_cents
        if amount_cents <= 0 or amount_cents > refundable:
            raise RefundTooLarge(f"Refund between $0.01 and the {format_cents(refundable)} not yet refunded.")
        before = _money(payment)
        lifecycle.refund_card(payment, amount_cents)
        _shrink_transfer(payment)
        record_audit(
            actor=staff_user,
            action="refund_booking",
            target=booking,
            reason=reason,
            before=before,
            after=_money(payment),
            amount_cents=amount_cents,
        )
        return payment


def _shrink_transfer(payment: BookingPayment) -> None:
    transfer = BookingTransfer.objects.select_for_update().filter(booking_id=payment.booking_id).first()
    if transfer is None or not transfer.transferred_at:
        return
    kept = lifecycle.kept_cents(payment)
    fee = policies.platform_fee_cents(kept)
    reversal = transfer.payout_cents - transfer.reversed_cents - (kept - fee)
    if reversal > 0:
        result = get_gateway().reverse_transfer(
            transfer_id=transfer.transfer_id,
            amount_cents=reversal,
            idempotency_key=idempotency_key("reverse", payment.booking_id, transfer.reversed_cents, reversal),
        )
        transfer.reversal_id = result.id
        transfer.reversed_cents += reversal
        transfer.reversed_at = current_time()
    transfer.platform_fee_cents = fee
    transfer.save(update_fields=["reversal_id", "reversed_cents", "reversed_at", "platform_fee_cents", "updated_at"])


def grant_credit(
    *, user: User, amount_cents: int, staff_user: User, note: str = "", reason: str = CreditReason.ADJUSTMENT
):
    """Finance gives a user platform credit (an adjustment, or a refund as credit)."""
    _require_finance(staff_user, "grant credit")
    if reason not in (CreditReason.ADJUSTMENT, CreditReason.REFUND):
        raise InvalidInput("Staff grant credit as an adjustment or a refund.", fields={"reason": "Choose a reason."})
    if amount_cents <= 0:
        raise InvalidInput("Grant a positive amount.", fields={"amount": "Enter an amount above $0."})
    with transaction.atomic():
        before = credits.balance(user)
        entry = credits.grant(user=user, amount_cents=amount_cents, reason=reason, note=note[:300])
        record_audit(
            actor=staff_user,
            action="grant_credit",
            target=user,
            reason=note,
            before={"balance_cents": before},
            after={"balance_cents": before + amount_cents},
            credit_reason=reason,
            amount_cents=amount_cents,
        )
    return entry


def retry_payment(*, booking: Booking, staff_user: User) -> BookingPayment:
    """Finance's "Retry now": forget any backoff and take the payment's due steps at once. A failed
    or action-required authorization is tried again (off-session, with a new idempotency key) while
    it can still be fixed; a later decline leaves it failed with its deadline."""
    _require_finance(staff_user, "retry payments")
    payment = BookingPayment.objects.get(booking=booking)
    before = _money(payment)
    if payment.status in lifecycle.FAILED:
        payment = lifecycle.retry_authorization(
            booking=booking, payment_method_id=None, channel=AuthorizationChannel.STAFF_RETRY
        )
    else:
        with transaction.atomic():
            payment = lifecycle.locked_payment(payment.pk)
            payment.next_attempt_at = None
            payment.save(update_fields=["next_attempt_at", "updated_at"])
        lifecycle.advance_payment(payment.pk)
        payment.refresh_from_db()
    record_audit(actor=staff_user, action="retry_payment", target=booking, before=before, after=_money(payment))
    return payment


def try_payout_again(*, booking: Booking, staff_user: User) -> BookingTransfer | None:
    """Finance's "Try the payout again" for a payout on hold (audited)."""
    _require_finance(staff_user, "pay out")
    payment = BookingPayment.objects.get(booking=booking)
    lifecycle.advance_payment(payment.pk)
    transfer = BookingTransfer.objects.filter(booking=booking).first()
    record_audit(
        actor=staff_user,
        action="try_payout_again",
        target=booking,
        after={
            "paid_out": bool(transfer and transfer.transferred_at),
            "on_hold": transfer.on_hold_reason if transfer else "",
        },
    )
    return transfer
