from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from core.models import TimeStampedModel, ULIDModel


class LocationType(models.TextChoices):
    STUDENT_LOCATION = "student_location", "At the student's location"
    INSTRUCTOR_LOCATION = "instructor_location", "At the instructor's location"
    ONLINE = "online", "Online"
    NEUTRAL_LOCATION = "neutral_location", "At a neutral location"


LESSON_DURATIONS = (30, 45, 60, 90, 120)  # minutes an instructor may offer
MIN_HOURLY_RATE_CENTS = 10_00
MAX_HOURLY_RATE_CENTS = 1_000_00
MAX_YEARS_EXPERIENCE = 70
MAX_NOTICE_MINUTES = 7 * 24 * 60
MAX_HORIZON_DAYS = 365
MAX_BUFFER_MINUTES = 120
MAX_LESSONS_PER_DAY = 24


class Category(ULIDModel):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Service(ULIDModel):
    """A kind of lesson in the catalog (Piano, SAT Prep, ...)."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    keywords = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    # Lower-cased name, keywords and category, so one indexed column answers the search box.
    search_text = models.TextField(editable=False, default="")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category__position", "position", "name"]
        indexes = [GinIndex(name="instructors_svc_search_trgm", fields=["search_text"], opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name

    def build_search_text(self) -> str:
        return " ".join([self.name, *self.keywords, self.category.name]).lower()


class Borough(ULIDModel):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Neighborhood(ULIDModel):
    """A service area: instructors list the neighborhoods they travel to or teach in."""

    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="neighborhoods")
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["borough__position", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.borough.name}"


class InstructorProfile(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_profile")
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(max_length=3000, blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    service_areas = models.ManyToManyField(Neighborhood, blank=True, related_name="instructors")
    # Booking rules (DESIGN.md §4): sensible defaults, each bounded by a CHECK below.
    min_notice_minutes = models.PositiveIntegerField(
        default=120, help_text="How long before a lesson students must book it."
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=60, help_text="How far ahead students may book, in days."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Free time kept between lessons (travel, a breather)."
    )
    max_lessons_per_day = models.PositiveSmallIntegerField(default=6)
    requires_confirmation = models.BooleanField(
        default=False, help_text="Booking requests wait for the instructor to accept them."
    )
    # Derived by services.refresh_listing_status from the onboarding checklist; stored so
    # public listings filter on an index instead of re-deriving completeness per row.
    is_live = models.BooleanField(default=False)
    went_live_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["is_live", "-years_experience"], name="instructors_profile_live_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(years_experience__lte=MAX_YEARS_EXPERIENCE),
                name="%(app_label)s_%(class)s_years_experience_range",
            ),
            models.CheckConstraint(
                condition=models.Q(is_live=False) | models.Q(went_live_at__isnull=False),
                name="%(app_label)s_%(class)s_live_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(min_notice_minutes__lte=MAX_NOTICE_MINUTES),
                name="%(app_label)s_%(class)s_min_notice_range",
            ),
            models.CheckConstraint(
                condition=models.Q(booking_horizon_days__gte=1, booking_horizon_days__lte=MAX_HORIZON_DAYS),
                name="%(app_label)s_%(class)s_horizon_range",
            ),
            models.CheckConstraint(
                condition=models.Q(buffer_minutes__lte=MAX_BUFFER_MINUTES),
                name="%(app_label)s_%(class)s_buffer_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_lessons_per_day__gte=1, max_lessons_per_day__lte=MAX_LESSONS_PER_DAY),
                name="%(app_label)s_%(class)s_max_lessons_range",
            ),
        ]
        permissions = [
            ("teach", "Can publish an instructor profile and offer lessons"),
            ("review_instructors", "Can review instructor profiles"),
        ]

    def __str__(self) -> str:
        return f"{self.user.public_name} ({self.user.email})"


class AgeGroup(models.TextChoices):
    KIDS = "kids", "Kids"
    TEENS = "teens", "Teens"
    ADULTS = "adults", "Adults"


class SkillLevel(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


def all_age_groups() -> list[str]:
    return list(AgeGroup.values)


def all_levels() -> list[str]:
    return list(SkillLevel.values)


class InstructorService(TimeStampedModel):
    """A service an instructor offers, with their rate, durations and lesson locations."""

    instructor = models.ForeignKey(InstructorProfile, on_delete=models.CASCADE, related_name="offerings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="offerings")
    hourly_rate_cents = models.PositiveIntegerField()
    durations = ArrayField(models.PositiveSmallIntegerField())
    location_types = ArrayField(models.CharField(max_length=32, choices=LocationType.choices))
    description = models.TextField(max_length=1000, blank=True)
    # Who the lessons are for; search filters on age group and ranks on level.
    age_groups = ArrayField(models.CharField(max_length=16, choices=AgeGroup.choices), default=all_age_groups)
    levels = ArrayField(models.CharField(max_length=16, choices=SkillLevel.choices), default=all_levels)
    # Soft delete: a removed offering that has bookings stays, inactive, so bookings keep their service.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service__name"]
        indexes = [
            models.Index(fields=["service", "is_active", "hourly_rate_cents"], name="instructors_offering_price_idx"),
            models.Index(fields=["instructor", "is_active"], name="instructors_offering_owner_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "service"],
                condition=models.Q(is_active=True),
                name="%(app_label)s_%(class)s_active_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate_cents__gte=MIN_HOURLY_RATE_CENTS)
                & models.Q(hourly_rate_cents__lte=MAX_HOURLY_RATE_CENTS),
                name="%(app_label)s_%(class)s_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(durations__contained_by=list(LESSON_DURATIONS)) & models.Q(durations__len__gte=1),
                name="%(app_label)s_%(class)s_durations_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(location_types__contained_by=LocationType.values)
                & models.Q(location_types__len__gte=1),
                name="%(app_label)s_%(class)s_location_types_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(age_groups__contained_by=AgeGroup.values) & models.Q(age_groups__len__gte=1),
                name="%(app_label)s_%(class)s_age_groups_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(levels__contained_by=SkillLevel.values) & models.Q(levels__len__gte=1),
                name="%(app_label)s_%(class)s_levels_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.name} by {self.instructor.user.public_name}"

    def location_labels(self) -> list[str]:
        labels = dict(LocationType.choices)
        return [labels[value] for value in self.location_types]
