"""Bookings: a lean core table of time ranges, plus 1:1 satellites for lifecycle detail.

No double booking is the database's job: exclusion constraints over active bookings per
instructor and per student (btree_gist, tstzrange [start_at, end_at) &&).
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from core.models import TimeStampedModel
from instructors.models import InstructorProfile, InstructorService, LocationType


class BookingStatus(models.TextChoices):
    HELD = "held", "Held in checkout"
    REQUESTED = "requested", "Waiting for the instructor"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"
    DECLINED = "declined", "Declined by the instructor"
    EXPIRED = "expired", "Expired"
    RESCHEDULED = "rescheduled", "Rescheduled"


# Statuses that occupy the instructor's and the student's time.
ACTIVE_STATUSES = (
    BookingStatus.HELD,
    BookingStatus.REQUESTED,
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
UPCOMING_STATUSES = (BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class Party(models.TextChoices):
    STUDENT = "student", "Student"
    INSTRUCTOR = "instructor", "Instructor"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class TsTzRange(Func):
    function = "TSTZRANGE"
    template = "%(function)s(%(expressions)s, '[)')"
    output_field = models.DateTimeField()


def _check(rule: str, condition: Q) -> models.CheckConstraint:
    return models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{rule}")


def _choice_check(field: str, choices, name: str, *, nullable: bool = False) -> models.CheckConstraint:
    condition = Q(**{f"{field}__in": [value for value, _ in choices]})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def _no_overlap(party_field: str, name: str) -> ExclusionConstraint:
    return ExclusionConstraint(
        name=name,
        expressions=[(TsTzRange("start_at", "end_at"), RangeOperators.OVERLAPS), (party_field, RangeOperators.EQUAL)],
        condition=Q(status__in=ACTIVE_STATUSES),
    )


class Booking(TimeStampedModel):
    """A lesson: a time range on an instructor's calendar, in their local time and in UTC."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    instructor = models.ForeignKey(InstructorProfile, on_delete=models.PROTECT, related_name="bookings")
    # PROTECT: an offering with bookings is deactivated, never deleted (instructors.services).
    offering = models.ForeignKey(InstructorService, on_delete=models.PROTECT, related_name="bookings")
    service_name = models.CharField(max_length=80)  # snapshot for receipts and history

    # The instructor's local wall-clock time, and the instants it denotes.
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    instructor_timezone = models.CharField(max_length=64)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()

    hourly_rate_cents = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()

    location_type = models.CharField(max_length=32, choices=LocationType.choices)
    location_address = models.CharField(max_length=300, blank=True)
    student_note = models.TextField(max_length=1000, blank=True)

    status = models.CharField(max_length=20, choices=BookingStatus.choices, default=BookingStatus.HELD)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    request_deadline = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=20, choices=Party.choices, blank=True)
    cancellation_reason = models.CharField(max_length=300, blank=True)

    # A double-clicked Book makes one booking: one key per student per attempt.
    idempotency_key = models.CharField(max_length=64)

    class Meta:
        ordering = ["start_at"]
        indexes = [
            models.Index(fields=["instructor", "start_at"], name="bookings_instructor_start_idx"),
            models.Index(fields=["student", "start_at"], name="bookings_student_start_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="bookings_status_hold_idx"),
            models.Index(fields=["status", "end_at"], name="bookings_status_end_idx"),
        ]
        constraints = [
            _no_overlap("instructor", "%(app_label)s_%(class)s_no_instructor_overlap"),
            _no_overlap("student", "%(app_label)s_%(class)s_no_student_overlap"),
            models.UniqueConstraint(
                fields=["student", "idempotency_key"], name="%(app_label)s_%(class)s_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=Q(end_at__gt=F("start_at")), name="%(app_label)s_%(class)s_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gte=15), name="%(app_label)s_%(class)s_duration_min"),
            _choice_check("status", BookingStatus.choices, "%(app_label)s_%(class)s_status_valid"),
            _choice_check("location_type", LocationType.choices, "%(app_label)s_%(class)s_location_type_valid"),
            models.CheckConstraint(
                condition=Q(cancelled_by="") | Q(cancelled_by__in=Party.values),
                name="%(app_label)s_%(class)s_cancelled_by_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.HELD) | Q(hold_expires_at__isnull=False),
                name="%(app_label)s_%(class)s_hold_has_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.REQUESTED) | Q(request_deadline__isnull=False),
                name="%(app_label)s_%(class)s_request_has_deadline",
            ),
        ]
        permissions = [
            ("manage_any_booking", "Can cancel or change any booking"),
            ("resolve_no_shows", "Can resolve no-show reports"),
        ]

    def __str__(self) -> str:
        return f"{self.service_name} {self.start_at:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING_STATUSES


class Satellite(TimeStampedModel):
    """Base of the 1:1 lifecycle tables; created on demand by bookings.satellites.ensure_*."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name.capitalize()} of booking {self.booking_id}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Not yet authorized"
    ACTION_REQUIRED = "action_required", "Needs the student's action"
    AUTHORIZED = "authorized", "Authorized"
    CAPTURED = "captured", "Charged"
    RELEASED = "released", "Released"
    REFUNDED = "refunded", "Refunded"
    FAILED = "failed", "Failed"
    NOT_CHARGED = "not_charged", "Not charged"


class Settlement(models.TextChoices):
    UNDECIDED = "", "Not decided yet"
    CHARGE = "charge", "Charge the lesson and pay the instructor"
    RELEASE = "release", "Give everything back"


class BookingPayment(Satellite):
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="payment")
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount_cents = models.PositiveIntegerField()  # the lesson price
    credit_applied_cents = models.PositiveIntegerField(default=0)  # paid from platform credit at checkout
    credit_returned_cents = models.PositiveIntegerField(default=0)  # given back to the ledger
    payment_method_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # authorization attempts (idempotency keys)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # backoff after a transient failure
    pay_by = models.DateTimeField(null=True, blank=True)  # deadline to fix a failed authorization
    settlement = models.CharField(max_length=10, choices=Settlement.choices, blank=True)
    authorized_at = models.DateTimeField(null=True, blank=True)
    authorized_cents = models.PositiveIntegerField(default=0)
    captured_at = models.DateTimeField(null=True, blank=True)
    captured_cents = models.PositiveIntegerField(default=0)
    released_cents = models.PositiveIntegerField(default=0)
    refunded_cents = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            _choice_check("status", PaymentStatus.choices, "%(app_label)s_%(class)s_status_valid"),
            models.CheckConstraint(
                condition=Q(captured_cents__lte=F("authorized_cents")) | Q(authorized_cents=0),
                name="%(app_label)s_%(class)s_capture_within_authorization",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=F("captured_cents")),
                name="%(app_label)s_%(class)s_refund_within_capture",
            ),
            _check("credit_within_price", Q(credit_applied_cents__lte=F("amount_cents"))),
            _check("settlement_valid", Q(settlement__in=Settlement.values)),
            _check("credit_return_within_applied", Q(credit_returned_cents__lte=F("credit_applied_cents"))),
        ]

    @property
    def card_cents(self) -> int:
        """What the card is asked for: the price less the credit used."""
        return self.amount_cents - self.credit_applied_cents


class BookingTransfer(Satellite):
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="transfer")
    transfer_id = models.CharField(max_length=255, blank=True)
    payout_cents = models.PositiveIntegerField(default=0)
    platform_fee_cents = models.PositiveIntegerField(default=0)
    transferred_at = models.DateTimeField(null=True, blank=True)
    on_hold_reason = models.CharField(max_length=300, blank=True)
    reversal_id = models.CharField(max_length=255, blank=True)
    reversed_cents = models.PositiveIntegerField(default=0)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reversed_cents__lte=F("payout_cents")),
                name="%(app_label)s_%(class)s_reversal_within_payout",
            ),
        ]


class DisputeStatus(models.TextChoices):
    NEEDS_RESPONSE = "needs_response", "Needs response"
    UNDER_REVIEW = "under_review", "Under review"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class BookingDispute(Satellite):
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="dispute")
    dispute_id = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.NEEDS_RESPONSE)
    reason = models.CharField(max_length=100, blank=True)
    amount_cents = models.PositiveIntegerField(default=0)
    evidence_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [_choice_check("status", DisputeStatus.choices, "%(app_label)s_%(class)s_status_valid")]


class NoShowType(models.TextChoices):
    STUDENT = "student", "The student did not come"
    INSTRUCTOR = "instructor", "The instructor did not come"


class NoShowResolution(models.TextChoices):
    UPHELD = "upheld", "Upheld: it was a no-show"
    DISMISSED = "dismissed", "Dismissed: the lesson happened"


class BookingNoShow(Satellite):
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="no_show")
    no_show_type = models.CharField(max_length=20, choices=NoShowType.choices)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_note = models.CharField(max_length=500, blank=True)
    resolution = models.CharField(max_length=20, choices=NoShowResolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        constraints = [
            _choice_check("no_show_type", NoShowType.choices, "%(app_label)s_%(class)s_type_valid"),
            models.CheckConstraint(
                condition=Q(resolution="", resolved_at__isnull=True)
                | Q(resolution__in=NoShowResolution.values, resolved_at__isnull=False),
                name="%(app_label)s_%(class)s_resolution_valid",
            ),
        ]


class LockResolution(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID_TO_INSTRUCTOR = "paid_to_instructor", "Paid to the instructor"
    REFUNDED = "refunded", "Refunded to the student"


class BookingLock(Satellite):
    """Funds captured and held after a late reschedule, until the new lesson resolves."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="lock")
    locked_at = models.DateTimeField()
    amount_cents = models.PositiveIntegerField()
    resolution = models.CharField(max_length=20, choices=LockResolution.choices, default=LockResolution.PENDING)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [_choice_check("resolution", LockResolution.choices, "%(app_label)s_%(class)s_resolution_valid")]


class BookingReschedule(Satellite):
    """On the original booking: where it moved to, and how many moves the chain has had."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="reschedule")
    rescheduled_to = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="rescheduled_from")
    count = models.PositiveSmallIntegerField()
    original_start_at = models.DateTimeField()
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=1), name="%(app_label)s_%(class)s_count_positive"),
            models.CheckConstraint(
                condition=~Q(rescheduled_to=F("booking")), name="%(app_label)s_%(class)s_not_to_itself"
            ),
        ]
