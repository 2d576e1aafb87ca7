"""Payments: Stripe customers and saved cards, instructors' Connect accounts, received
webhook events, and the platform-credit ledger. A booking's own money state lives on its
payment and transfer satellites (bookings.models)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from bookings.models import BookingDispute, BookingPayment, BookingTransfer
from core.models import TimeStampedModel
from instructors.models import InstructorProfile


class StripeCustomer(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer")
    customer_id = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.customer_id


class SavedCard(TimeStampedModel):
    """A card saved for off-session use (SetupIntent usage=off_session), verified by the bank when
    it was saved. One row per card: saving the same card again (same fingerprint) updates it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_cards")
    payment_method_id = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64, blank=True)  # Stripe's: one per card number
    brand = models.CharField(max_length=32)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    # The last authorization on this card failed: it is marked, and never preselected at checkout.
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="%(app_label)s_%(class)s_one_default"
            ),
            models.UniqueConstraint(
                fields=["user", "fingerprint"],
                condition=~Q(fingerprint=""),
                name="%(app_label)s_%(class)s_one_row_per_card",
            ),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12), name="%(app_label)s_%(class)s_exp_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand.title()} ending {self.last4}"

    @property
    def failed_last_time(self) -> bool:
        return self.last_failed_at is not None


class ConnectStatus(models.TextChoices):
    PENDING = "pending", "Onboarding not finished"
    ENABLED = "enabled", "Ready for payouts"
    RESTRICTED = "restricted", "Restricted by Stripe"


class ConnectAccount(TimeStampedModel):
    """An instructor's Stripe Connect Express account, kept in sync from account.updated."""

    instructor = models.OneToOneField(InstructorProfile, on_delete=models.CASCADE, related_name="connect_account")
    account_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=ConnectStatus.choices, default=ConnectStatus.PENDING)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    disabled_reason = models.CharField(max_length=255, blank=True)
    currently_due = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ConnectStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.status})"

    @property
    def ready_for_payouts(self) -> bool:
        return self.status == ConnectStatus.ENABLED


class AuthorizationChannel(models.TextChoices):
    CHECKOUT = "checkout", "At checkout"
    SCHEDULED = "scheduled", "Scheduled (24 h before the lesson)"
    STUDENT_FIX = "student_fix", "The student's fix"
    STAFF_RETRY = "staff_retry", "Staff retry"
    WEBHOOK = "webhook", "Reported by Stripe"


class FailedAuthorization(TimeStampedModel):
    """Every authorization that failed (declined, or the bank asked the cardholder to confirm),
    kept whatever happened to the lesson afterwards: the finance console's history of failures."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="failed_authorizations")
    channel = models.CharField(max_length=20, choices=AuthorizationChannel.choices)
    amount_cents = models.PositiveIntegerField()
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_label = models.CharField(max_length=80, blank=True)  # "Visa ending 0341", as it was then
    intent_id = models.CharField(max_length=255, blank=True)
    needs_authentication = models.BooleanField(default=False)
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=AuthorizationChannel.values), name="%(app_label)s_%(class)s_channel_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="payments_failed_auth_idx")]

    def __str__(self) -> str:
        return f"{self.code or 'failed'} on booking {self.booking_id} ({self.channel})"


class WebhookOutcome(models.TextChoices):
    PENDING = "pending", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    FLAGGED = "flagged", "Flagged for staff"


class WebhookEvent(TimeStampedModel):
    """Every Stripe event, stored once by its id; processing is idempotent."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    outcome = models.CharField(max_length=20, choices=WebhookOutcome.choices, default=WebhookOutcome.PENDING)
    note = models.CharField(max_length=500, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the payload lost its personal fields (retention: settings.RETENTION_DAYS["webhook_payloads"]).
    scrubbed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=WebhookOutcome.values), name="%(app_label)s_%(class)s_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class CreditReason(models.TextChoices):
    REFUND = "refund", "Refund as credit"
    REFERRAL = "referral", "Referral reward"
    APPLIED = "applied", "Used for a lesson"
    RETURNED = "returned", "Returned from a cancelled lesson"
    ADJUSTMENT = "adjustment", "Adjustment by staff"


class CreditEntry(TimeStampedModel):
    """One signed line of a user's platform-credit ledger. A balance is a sum, never stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_entries")
    amount_cents = models.IntegerField()
    reason = models.CharField(max_length=20, choices=CreditReason.choices)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="credit_entries", null=True, blank=True
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit entries"
        permissions = [
            ("issue_refunds", "Can refund lessons and grant credit"),
            ("view_finance", "Can see payments, payouts, disputes and reconciliation"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="%(app_label)s_%(class)s_not_zero"),
            models.CheckConstraint(
                condition=Q(reason__in=CreditReason.values), name="%(app_label)s_%(class)s_reason_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="payments_credit_user_idx")]

    def __str__(self) -> str:
        return f"{self.amount_cents:+d}¢ {self.reason}"


# --- the finance console (payments/admin.py): the bookings' money satellites, seen from Payments ---


class Payment(BookingPayment):
    """Every lesson's payment, for refunds and the reconciliation report."""

    class Meta:
        proxy = True
        verbose_name = "lesson payment"
        verbose_name_plural = "lesson payments"


class FailedPayment(BookingPayment):
    """The payments that need attention now: declined or waiting on the student (until fixed or
    settled), or retrying after a transient error. Every failure ever is in FailedAuthorization."""

    class Meta:
        proxy = True
        verbose_name = "failed payment"
        verbose_name_plural = "failed payments"


class HeldPayout(BookingTransfer):
    """Instructor payouts waiting, with the reason."""

    class Meta:
        proxy = True
        verbose_name = "payout on hold"
        verbose_name_plural = "payouts on hold"


class Dispute(BookingDispute):
    """Card disputes (chargebacks), soonest evidence deadline first."""

    class Meta:
        proxy = True
        verbose_name = "card dispute"
        verbose_name_plural = "card disputes"
