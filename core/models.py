from django.core.validators import MinValueValidator
from django.db import models

from .fields import ULIDField


class ULIDModel(models.Model):
    """Base for every InstaInstru model: a ULID primary key."""

    id = ULIDField(primary_key=True)

    class Meta:
        abstract = True


class TimeStampedModel(ULIDModel):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RateLimitRule(TimeStampedModel):
    """A runtime override of a GCRA bucket's settings, edited by staff in the admin."""

    bucket = models.SlugField(max_length=64, unique=True, help_text="Bucket name, e.g. login, signup.")
    limit = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Requests allowed per period, sustained."
    )
    period_seconds = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    burst = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Requests allowed at once before the sustained rate applies."
    )
    shadow = models.BooleanField(default=False, help_text="Log would-be blocks instead of blocking.")
    enabled = models.BooleanField(default=True, help_text="Off: the bucket never limits.")

    class Meta:
        ordering = ["bucket"]
        constraints = [
            models.CheckConstraint(condition=models.Q(limit__gte=1), name="%(app_label)s_%(class)s_limit_positive"),
            models.CheckConstraint(condition=models.Q(burst__gte=1), name="%(app_label)s_%(class)s_burst_positive"),
            models.CheckConstraint(
                condition=models.Q(period_seconds__gte=1), name="%(app_label)s_%(class)s_period_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket}: {self.limit}/{self.period_seconds}s burst {self.burst}"


class AuditLog(ULIDModel):
    """Who looked at or changed what, for every staff action (a refund, a credit grant, a staff
    cancellation, reading a private conversation...): what it was before and after, and why.
    Rows are written by core.services.record_audit and never edited."""

    actor = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=300, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
