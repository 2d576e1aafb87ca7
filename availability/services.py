"""Every change to availability. Layer independence: nothing here reads or changes
bookings — clearing time never touches a booked lesson (the rug and the person)."""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction

from core.cache import bump_namespace
from core.exceptions import InvalidInput
from instructors.models import (
    MAX_BUFFER_MINUTES,
    MAX_HORIZON_DAYS,
    MAX_LESSONS_PER_DAY,
    MAX_NOTICE_MINUTES,
    InstructorProfile,
)

from . import bitmaps
from .models import AvailabilityDay, WeeklyTemplateDay

Ranges = Iterable[tuple[int, int]]
CELL_MINUTES = 15  # the week editor's grid
MAX_WEEKS_AHEAD = 52


def availability_namespace(profile_id: str) -> str:
    return f"availability:{profile_id}"


def _availability_changed(profile: InstructorProfile) -> None:
    transaction.on_commit(lambda: bump_namespace(availability_namespace(profile.pk)))


def week_dates(week_start: dt.date) -> list[dt.date]:
    return [week_start + dt.timedelta(days=offset) for offset in range(7)]


def _grid_bits(ranges: Ranges, *, field: str) -> bytes:
    """Bits for ranges on the editor's 15-minute grid; errors name `field`."""
    ranges = list(ranges)
    if any(start % CELL_MINUTES or end % CELL_MINUTES for start, end in ranges):
        raise InvalidInput(f"Times must be on {CELL_MINUTES}-minute steps.", fields={field: "Use 15-minute steps."})
    try:
        return bitmaps.from_ranges(ranges)
    except ValueError as error:
        raise InvalidInput(str(error), fields={field: str(error)}) from error


def _day_bits(ranges: Ranges, *, local_date: dt.date, tz_name: str) -> bytes:
    return bitmaps.clear_nonexistent(_grid_bits(ranges, field=str(local_date)), local_date, tz_name)


def _template_bits(weekday: int, ranges: Ranges) -> bytes:
    return _grid_bits(ranges, field=f"weekday-{weekday}")


@transaction.atomic
def save_week(*, profile: InstructorProfile, week_start: dt.date, days: Mapping[dt.date, Ranges]) -> None:
    """Replace the 7 days starting at week_start with `days` (missing dates: closed).
    All seven rows change together or not at all."""
    dates = week_dates(week_start)
    unknown = set(days) - set(dates)
    if unknown:
        raise InvalidInput("Some days are not in that week.", fields={str(d): "Not in this week." for d in unknown})
    tz_name = profile.user.timezone
    new_bits = {day: _day_bits(days.get(day, ()), local_date=day, tz_name=tz_name) for day in dates}
    _replace_days(profile, new_bits)
    _availability_changed(profile)


def _replace_days(profile: InstructorProfile, new_bits: Mapping[dt.date, bytes]) -> None:
    AvailabilityDay.objects.filter(instructor=profile, date__in=list(new_bits)).delete()
    AvailabilityDay.objects.bulk_create(
        AvailabilityDay(instructor=profile, date=day, bits=bits)
        for day, bits in sorted(new_bits.items())
        if bits != bitmaps.EMPTY
    )


@transaction.atomic
def copy_week_forward(*, profile: InstructorProfile, week_start: dt.date, weeks: int) -> int:
    """Copy one week onto the next `weeks` weeks (replacing them). Returns weeks written."""
    _check_weeks(weeks)
    source = dict(
        AvailabilityDay.objects.filter(instructor=profile, date__in=week_dates(week_start)).values_list("date", "bits")
    )
    tz_name = profile.user.timezone
    for week in range(1, weeks + 1):
        shift = dt.timedelta(weeks=week)
        target = {
            day + shift: bitmaps.clear_nonexistent(bytes(source.get(day, bitmaps.EMPTY)), day + shift, tz_name)
            for day in week_dates(week_start)
        }
        _replace_days(profile, target)
    _availability_changed(profile)
    return weeks


@transaction.atomic
def save_weekly_template(*, profile: InstructorProfile, weekdays: Mapping[int, Ranges]) -> None:
    """The recurring week (0 = Monday). Weekdays left out are closed."""
    if set(weekdays) - set(range(7)):
        raise InvalidInput("Weekdays run from 0 (Monday) to 6 (Sunday).")
    WeeklyTemplateDay.objects.filter(instructor=profile).delete()
    rows = []
    for weekday, ranges in sorted(weekdays.items()):
        bits = _template_bits(weekday, ranges)
        if bits != bitmaps.EMPTY:
            rows.append(WeeklyTemplateDay(instructor=profile, weekday=weekday, bits=bits))
    WeeklyTemplateDay.objects.bulk_create(rows)


@transaction.atomic
def apply_weekly_template(*, profile: InstructorProfile, week_start: dt.date, weeks: int) -> int:
    """Write the recurring week onto `weeks` weeks from week_start (replacing them)."""
    _check_weeks(weeks)
    template = dict(WeeklyTemplateDay.objects.filter(instructor=profile).values_list("weekday", "bits"))
    tz_name = profile.user.timezone
    for week in range(weeks):
        dates = week_dates(week_start + dt.timedelta(weeks=week))
        target = {
            day: bitmaps.clear_nonexistent(bytes(template.get(day.weekday(), bitmaps.EMPTY)), day, tz_name)
            for day in dates
        }
        _replace_days(profile, target)
    _availability_changed(profile)
    return weeks


@transaction.atomic
def block_days(*, profile: InstructorProfile, first_day: dt.date, last_day: dt.date) -> int:
    """Close every day from first_day to last_day (a vacation). Returns the days cleared."""
    if last_day < first_day:
        raise InvalidInput("The last day must not be before the first.", fields={"last_day": "Before the first day."})
    if (last_day - first_day).days > 366:
        raise InvalidInput("Block at most a year at a time.", fields={"last_day": "Too far from the first day."})
    deleted, _ = AvailabilityDay.objects.filter(instructor=profile, date__range=(first_day, last_day)).delete()
    _availability_changed(profile)
    return deleted


@transaction.atomic
def update_booking_rules(
    *,
    profile: InstructorProfile,
    min_notice_minutes: int,
    booking_horizon_days: int,
    buffer_minutes: int,
    max_lessons_per_day: int,
    requires_confirmation: bool,
) -> InstructorProfile:
    errors = {}
    if not 0 <= min_notice_minutes <= MAX_NOTICE_MINUTES:
        errors["min_notice_minutes"] = "Choose a notice of at most 7 days."
    if not 1 <= booking_horizon_days <= MAX_HORIZON_DAYS:
        errors["booking_horizon_days"] = f"Choose between 1 and {MAX_HORIZON_DAYS} days."
    if not 0 <= buffer_minutes <= MAX_BUFFER_MINUTES:
        errors["buffer_minutes"] = f"Choose at most {MAX_BUFFER_MINUTES} minutes."
    if not 1 <= max_lessons_per_day <= MAX_LESSONS_PER_DAY:
        errors["max_lessons_per_day"] = f"Choose between 1 and {MAX_LESSONS_PER_DAY}."
    if errors:
        raise InvalidInput("Some booking rules are not valid.", fields=errors)
    profile.min_notice_minutes = min_notice_minutes
    profile.booking_horizon_days = booking_horizon_days
    profile.buffer_minutes = buffer_minutes
    profile.max_lessons_per_day = max_lessons_per_day
    profile.requires_confirmation = requires_confirmation
    profile.save(
        update_fields=[
            "min_notice_minutes",
            "booking_horizon_days",
            "buffer_minutes",
            "max_lessons_per_day",
            "requires_confirmation",
            "updated_at",
        ]
    )
    _availability_changed(profile)
    return profile


def _check_weeks(weeks: int) -> None:
    if not 1 <= weeks <= MAX_WEEKS_AHEAD:
        raise InvalidInput(f"Choose between 1 and {MAX_WEEKS_AHEAD} weeks.", fields={"weeks": "Out of range."})
