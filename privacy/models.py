"""A person's request for a copy of everything we hold about them (GDPR "download my data")."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import ULIDModel
from core.timeutil import now


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    BUILDING = "building", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


UNFINISHED_STATUSES = (ExportStatus.REQUESTED, ExportStatus.BUILDING)


class ExportRequest(ULIDModel):
    """One export: asked for on the site or the API, built by a Celery task, downloadable by its
    owner until `expires_at`, after which the sweep drops the archive."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=12, choices=ExportStatus.choices, default=ExportStatus.REQUESTED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    # The zip lives in the database, not on disk: the web process and the Celery worker may run
    # on different machines with no shared file system. Exports are small and short-lived.
    archive = models.BinaryField(null=True, blank=True, editable=False)
    archive_size = models.PositiveIntegerField(default=0)  # bytes, so lists never load the archive
    created_at = models.DateTimeField(default=now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="privacy_export_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="%(app_label)s_%(class)s_progress_range"
            ),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.READY) | Q(archive__isnull=False, expires_at__isnull=False),
                name="%(app_label)s_%(class)s_ready_has_archive",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=UNFINISHED_STATUSES),
                name="%(app_label)s_%(class)s_one_unfinished_per_user",
            ),
        ]
        verbose_name = "data export"

    def __str__(self) -> str:
        return f"data export {self.pk} ({self.status})"

    @property
    def is_unfinished(self) -> bool:
        return self.status in UNFINISHED_STATUSES

    def is_downloadable(self, at) -> bool:
        return self.status == ExportStatus.READY and self.expires_at is not None and at < self.expires_at

    def shown_status(self, at) -> str:
        """The status a person sees: a ready export past its expiry is expired, even before the
        sweep has caught up with it."""
        if self.status == ExportStatus.READY and not self.is_downloadable(at):
            return ExportStatus.EXPIRED
        return self.status
