from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from core.models import TimeStampedModel
from instructors.models import InstructorProfile

BYTES_PER_DAY = 180  # 1440 minutes, one bit each (availability.bitmaps)


def _bitmap_length_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Exact(Length("bits"), BYTES_PER_DAY), name=name)


class AvailabilityDay(TimeStampedModel):
    """One instructor's open minutes on one local date (their time zone). No row: closed."""

    instructor = models.ForeignKey(InstructorProfile, on_delete=models.CASCADE, related_name="availability_days")
    date = models.DateField()
    bits = models.BinaryField(max_length=BYTES_PER_DAY)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["instructor", "date"], name="%(app_label)s_%(class)s_one_per_date"),
            _bitmap_length_check("%(app_label)s_%(class)s_bits_length"),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_id} {self.date}"


class WeeklyTemplateDay(TimeStampedModel):
    """The instructor's recurring week: open minutes for each weekday (0 = Monday)."""

    instructor = models.ForeignKey(InstructorProfile, on_delete=models.CASCADE, related_name="template_days")
    weekday = models.PositiveSmallIntegerField()
    bits = models.BinaryField(max_length=BYTES_PER_DAY)

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["instructor", "weekday"], name="%(app_label)s_%(class)s_one_per_weekday"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="%(app_label)s_%(class)s_weekday_range"),
            _bitmap_length_check("%(app_label)s_%(class)s_bits_length"),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_id} weekday {self.weekday}"
