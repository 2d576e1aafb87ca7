"""Read queries of the finance console (payments/admin.py). Each is a fixed number of queries,
whatever the number of rows: the people and satellites shown are joined in."""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Q, QuerySet

from bookings.models import BookingDispute, BookingPayment, BookingStatus, BookingTransfer, PaymentStatus

PEOPLE = ("booking__student", "booking__instructor__user")


def failed_payments(queryset: QuerySet | None = None) -> QuerySet:
    """Declined or waiting on the student's bank, or retrying after a transient error."""
    queryset = BookingPayment.objects.all() if queryset is None else queryset
    needs_attention = Q(status__in=(PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED)) | (
        ~Q(failure_code="") & Q(next_attempt_at__isnull=False)
    )
    return queryset.filter(needs_attention).select_related(*PEOPLE)


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


def reconciliation_mismatches() -> list[Mismatch]:
    """Every booking whose money does not add up (services.reconciliation_problems), the
    soonest lesson first: one query, payments with their bookings and transfers joined."""
    from .services import reconciliation_problems  # noqa: PLC0415 - services imports the gateway

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
