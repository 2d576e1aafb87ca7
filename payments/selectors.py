"""Read queries of the payments pages and the finance console (payments/admin.py). Each is a fixed
number of queries, whatever the number of rows: the people and satellites shown are joined in."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Q, QuerySet

from bookings.models import BookingDispute, BookingPayment, BookingStatus, BookingTransfer, PaymentStatus, Settlement

from .models import FailedAuthorization, SavedCard

PEOPLE = ("booking__student", "booking__instructor__user")
FINAL_STATUSES = (PaymentStatus.RELEASED, PaymentStatus.REFUNDED, PaymentStatus.NOT_CHARGED)


def failed_payments(queryset: QuerySet | None = None) -> QuerySet:
    """What needs attention now: declined or waiting on the student's bank (until fixed or the
    lesson is settled), or retrying after a transient error."""
    queryset = BookingPayment.objects.all() if queryset is None else queryset
    needs_attention = Q(status__in=(PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED)) | (
        ~Q(failure_code="") & Q(next_attempt_at__isnull=False)
    )
    in_checkout = Q(booking__status=BookingStatus.HELD)  # the student is answering it on the checkout page
    return queryset.filter(needs_attention).exclude(in_checkout).select_related(*PEOPLE)


def failed_authorizations(queryset: QuerySet | None = None) -> QuerySet:
    """Every failed authorization, newest first, with the lesson and its payment as they are now."""
    queryset = FailedAuthorization.objects.all() if queryset is None else queryset
    return queryset.select_related("booking__student", "booking__instructor__user", "booking__payment")


def held_payouts(queryset: QuerySet | None = None) -> QuerySet:
    """Instructor shares not paid out, with the reason they wait."""
    queryset = BookingTransfer.objects.all() if queryset is None else queryset
    return (
        queryset.exclude(on_hold_reason="")
        .filter(transferred_at__isnull=True)
        .select_related("booking__instructor__user", "booking__payment")
    )


def disputes(queryset: QuerySet | None = None) -> QuerySet:
    """Card disputes, the soonest evidence deadline first (none last)."""
    queryset = BookingDispute.objects.all() if queryset is None else queryset
    return queryset.select_related(*PEOPLE).order_by(F("evidence_due_at").asc(nulls_last=True), "-created_at")


@dataclass(frozen=True)
class Mismatch:
    payment: BookingPayment
    transfer: BookingTransfer | None
    problems: list[str]

    @property
    def booking(self):
        return self.payment.booking


def _transfer_of(payment: BookingPayment) -> BookingTransfer | None:
    try:
        return payment.booking.transfer
    except ObjectDoesNotExist:
        return None


def reconciliation_problems(payment: BookingPayment, transfer: BookingTransfer | None) -> list[str]:
    """Money must add up: authorized = captured + released (once settled), and
    captured + credit used = refunded + credit returned + platform fee + instructor payout."""
    problems = []
    settled_card = payment.status in (*FINAL_STATUSES, PaymentStatus.CAPTURED) and payment.authorized_cents
    if settled_card and payment.authorized_cents != payment.captured_cents + payment.released_cents:
        problems.append("authorized ≠ captured + released")
    paid_in = payment.captured_cents + payment.credit_applied_cents
    given_back = payment.refunded_cents + payment.credit_returned_cents
    if transfer is not None and transfer.transferred_at:
        kept = transfer.platform_fee_cents + transfer.payout_cents - transfer.reversed_cents
        if paid_in != given_back + kept:
            problems.append("captured + credit ≠ refunded + credit returned + fee + payout")
    elif payment.settlement == Settlement.RELEASE and payment.status in FINAL_STATUSES and paid_in != given_back:
        problems.append("released booking kept money")
    return problems


def reconciliation_mismatches() -> list[Mismatch]:
    """Every booking whose money does not add up (`reconciliation_problems`), the soonest lesson
    first: one query, payments with their bookings and transfers joined."""
    rows = (
        BookingPayment.objects.select_related("booking__transfer", *PEOPLE)
        .order_by("booking__start_at", "pk")
        .iterator(chunk_size=2000)
    )
    found = []
    for payment in rows:
        transfer = _transfer_of(payment)
        if problems := reconciliation_problems(payment, transfer):
            found.append(Mismatch(payment, transfer, problems))
    return found


def lessons_waiting_on_card(card) -> int:
    """Upcoming lessons that will be authorized on this card (not yet authorized)."""
    return BookingPayment.objects.filter(
        booking__student_id=card.user_id,
        payment_method_id=card.payment_method_id,
        status__in=[PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED],
        booking__status__in=[BookingStatus.CONFIRMED, BookingStatus.REQUESTED],
    ).count()


def cards_of(user) -> list[SavedCard]:
    return list(SavedCard.objects.filter(user=user))


def preselected_card(cards: list[SavedCard]) -> SavedCard | None:
    """The card checkout offers first: the default, unless its last authorization failed; then the
    newest card that did not fail. A card that just failed is never preselected."""
    usable = [card for card in cards if not card.failed_last_time]
    default = next((card for card in usable if card.is_default), None)
    return default or max(usable, key=lambda card: card.created_at, default=None)


def checkout_card(user, payment_method_id: str | None) -> SavedCard | None:
    """The card a checkout pays with: the one chosen (if it is the user's), else the preselected one."""
    if payment_method_id:
        return SavedCard.objects.filter(user=user, payment_method_id=payment_method_id).first()
    return preselected_card(cards_of(user))
