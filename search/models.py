"""Search history (one row per person and normalized query, kept by an UPSERT) and the
analytics trail: each search, and what the searcher did with its results."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel, ULIDModel

QUERY_MAX_LENGTH = 200
VISITOR_ID_LENGTH = 26  # a ULID, from the anonymous visitor's cookie


class SearchHistory(TimeStampedModel):
    """A person's past searches. Owned by a signed-in user or, before sign-in, by an anonymous
    visitor's cookie id; merged into the user's rows when the visitor signs in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="search_history"
    )
    visitor_id = models.CharField(max_length=VISITOR_ID_LENGTH, blank=True, default="")
    query = models.CharField(max_length=QUERY_MAX_LENGTH, help_text="The words as last typed.")
    normalized_query = models.CharField(max_length=QUERY_MAX_LENGTH)
    search_count = models.PositiveIntegerField(default=1)
    last_searched_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_searched_at"]
        verbose_name_plural = "search history"
        indexes = [
            models.Index(fields=["user", "-last_searched_at"], name="search_history_user_idx"),
            models.Index(fields=["visitor_id", "-last_searched_at"], name="search_history_visitor_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "normalized_query"],
                condition=Q(user__isnull=False),
                name="%(app_label)s_%(class)s_user_query_unique",
            ),
            models.UniqueConstraint(
                fields=["visitor_id", "normalized_query"],
                condition=Q(user__isnull=True),
                name="%(app_label)s_%(class)s_visitor_query_unique",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(visitor_id=""), name="%(app_label)s_%(class)s_has_owner"
            ),
            models.CheckConstraint(condition=Q(search_count__gte=1), name="%(app_label)s_%(class)s_count_positive"),
            models.CheckConstraint(condition=~Q(normalized_query=""), name="%(app_label)s_%(class)s_query_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.query} ×{self.search_count}"


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Phone"
    TABLET = "tablet", "Tablet"
    BOT = "bot", "Bot"
    UNKNOWN = "unknown", "Unknown"


class SearchChannel(models.TextChoices):
    PAGE = "page", "Search page"
    API = "api", "API"


class SearchEvent(ULIDModel):
    """One search someone ran, recorded by a Celery task after the page was answered. The id is
    made while serving the request, so result links can carry it and a retried task inserts once."""

    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor_id = models.CharField(max_length=VISITOR_ID_LENGTH, blank=True, default="")
    channel = models.CharField(max_length=8, choices=SearchChannel.choices, default=SearchChannel.PAGE)
    query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True)
    normalized_query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True, db_index=True)
    understood = models.JSONField(default=list, blank=True, help_text="The chips the parser understood.")
    result_count = models.PositiveIntegerField(default=0)
    ip_hash = models.CharField(max_length=64, blank=True, help_text="HMAC of the client address; never the address.")
    device_type = models.CharField(max_length=8, choices=DeviceType.choices, default=DeviceType.UNKNOWN)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(device_type__in=DeviceType.values), name="%(app_label)s_%(class)s_device_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=SearchChannel.values), name="%(app_label)s_%(class)s_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.query!r} → {self.result_count}"


class InteractionKind(models.TextChoices):
    RESULT_CLICKED = "result_clicked", "Result clicked"
    PROFILE_VIEWED = "profile_viewed", "Profile viewed"
    BOOKING_STARTED = "booking_started", "Booking started"
    BOOKED = "booked", "Booked"


class SearchInteraction(ULIDModel):
    """What a searcher did after a search: one row per (search, kind, instructor), so the funnel
    counts people's steps, not page reloads."""

    search = models.ForeignKey(SearchEvent, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    instructor = models.ForeignKey("instructors.InstructorProfile", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1-based rank on the results page.")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["search", "kind", "instructor"], name="%(app_label)s_%(class)s_one_per_step"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InteractionKind.values), name="%(app_label)s_%(class)s_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.instructor_id}"
