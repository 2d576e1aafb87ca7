"""Availability in the operations console: read-only (instructors paint it in their editor,
through availability.services). Open time is shown as ranges of the instructor's local day."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from . import bitmaps
from .models import AvailabilityDay, WeeklyTemplateDay

PRIVATE_DETAILS = "accounts.view_private_details"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_open_hours(bits) -> str:
    """'09:00–12:00, 13:00–17:00" (24:00 is the end of the day); "closed" when nothing is open."""
    ranges = bitmaps.to_ranges(bits)
    if not ranges:
        return "closed"
    return ", ".join(f"{_clock(start)}–{_clock(end)}" for start, end in ranges)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class ReadOnlyAvailabilityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_select_related = ("instructor__user",)
    search_fields = ("instructor__user__email",)
    readonly_fields = (
        "instructor_private",
        "instructor_public",
        "open_hours",
        "open_minutes",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instructor__user")

    def _who(self, request) -> str:
        return "private" if request.user.has_perm(PRIVATE_DETAILS) else "public"

    @admin.display(description="Instructor", ordering="instructor__user__first_name")
    def instructor_private(self, row):
        return f"{row.instructor.user.public_name} ({row.instructor.user.email})"

    @admin.display(description="Instructor", ordering="instructor__user__first_name")
    def instructor_public(self, row):
        return row.instructor.user.public_name

    @admin.display(description="Open hours (instructor's local time)")
    def open_hours(self, row):
        return format_open_hours(row.bits)

    @admin.display(description="Open minutes")
    def open_minutes(self, row):
        return bitmaps.count_open(row.bits)


@admin.register(AvailabilityDay)
class AvailabilityDayAdmin(ReadOnlyAvailabilityAdmin):
    list_filter = ("date",)
    date_hierarchy = "date"
    ordering = ("-date", "instructor_id")

    def get_list_display(self, request):
        return (f"instructor_{self._who(request)}", "date", "open_hours", "open_minutes")

    def get_fields(self, request, obj=None):
        return (f"instructor_{self._who(request)}", "date", "open_hours", "open_minutes", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "date")


class WeekdayFilter(admin.SimpleListFilter):
    title = "weekday"
    parameter_name = "weekday"

    def lookups(self, request, model_admin):
        return [(str(number), name) for number, name in enumerate(WEEKDAYS)]

    def queryset(self, request, queryset):
        return (
            queryset.filter(weekday=int(self.value()))
            if self.value() in {"0", "1", "2", "3", "4", "5", "6"}
            else queryset
        )


@admin.register(WeeklyTemplateDay)
class WeeklyTemplateDayAdmin(ReadOnlyAvailabilityAdmin):
    list_filter = (WeekdayFilter,)
    ordering = ("instructor_id", "weekday")

    def get_list_display(self, request):
        return (f"instructor_{self._who(request)}", "weekday_name", "open_hours", "open_minutes")

    def get_fields(self, request, obj=None):
        return (
            f"instructor_{self._who(request)}",
            "weekday_name",
            "open_hours",
            "open_minutes",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "weekday_name")

    @admin.display(description="Weekday", ordering="weekday")
    def weekday_name(self, row):
        return WEEKDAYS[row.weekday]
