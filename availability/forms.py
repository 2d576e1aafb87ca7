"""Forms of the instructor's calendar pages.

The week editor posts ONE form for the whole week, with one text field per date:

    week=2026-03-09                          (any date of the week; the Monday is used)
    day-2026-03-09=09:00-12:00, 13:00-17:00  (one field per date of that week, all seven)
    day-2026-03-10=                          (empty: closed all day)
    ...

A day's value is a list of time ranges separated by commas, semicolons or new lines. A range
is ``start-end`` (hyphen, en dash or "to"), each time ``H``, ``HH:MM`` or with am/pm
(``9am``, ``1:30 pm``). Times fall on quarter hours; an end of ``24:00`` (or ``00:00``/``12am``)
is the midnight that ends the day. The week grid's JavaScript writes exactly this format
(``HH:MM-HH:MM, ...``) into the same fields, so both paths hit the same parser and service.
"""

import datetime as dt
import re

from django import forms

from . import bitmaps
from .services import CELL_MINUTES, MAX_WEEKS_AHEAD, week_dates

DAY_FIELD_PREFIX = "day-"
DAY_START_DEFAULT = 6 * 60  # the grid shows 06:00-23:00 unless asked for the whole day
DAY_END_DEFAULT = 23 * 60

_SPLIT = re.compile(r"[,;\n]+")
_RANGE = re.compile(
    r"^(?P<start>\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m?\.?)?)\s*(?:-|–|—|to)\s*(?P<end>\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m?\.?)?)$",
    re.IGNORECASE,
)
_TIME = re.compile(r"^(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?:\s*(?P<half>[ap])\.?m?\.?)?$", re.IGNORECASE)


def day_field(day: dt.date) -> str:
    return f"{DAY_FIELD_PREFIX}{day.isoformat()}"


def format_minute(minute: int) -> str:
    """24-hour ``HH:MM``; 1440 is written ``24:00``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_ranges(bits: bytes) -> str:
    """A day's bitmap as the editor's text: ``09:00-12:00, 13:00-17:00`` (empty when closed)."""
    return ", ".join(f"{format_minute(start)}-{format_minute(end)}" for start, end in bitmaps.to_ranges(bits))


def _parse_time(text: str, *, is_end: bool) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"“{text.strip()}” is not a time like 09:00 or 9am.")
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"“{text.strip()}”: with am/pm the hour runs from 1 to 12.")
        hour = hour % 12 + (12 if half == "p" else 0)
    if minute >= 60 or hour > 24 or (hour == 24 and minute):
        raise ValueError(f"“{text.strip()}” is not a time of day.")
    total = hour * 60 + minute
    if is_end and total == 0:
        total = bitmaps.MINUTES_PER_DAY  # 00:00 / 12am as an end: the midnight that ends the day
    if total == bitmaps.MINUTES_PER_DAY and not is_end:
        raise ValueError("A range can't start at 24:00.")
    if total % CELL_MINUTES:
        raise ValueError(f"“{text.strip()}”: use quarter hours (:00, :15, :30 or :45).")
    return total


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """``"9:00-12:00, 13:00-17:00"`` -> ``[(540, 720), (780, 1020)]``; ValueError says what is wrong."""
    ranges = []
    for part in _SPLIT.split(text or ""):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"“{part}” is not a range like 09:00-12:00.")
        start = _parse_time(match["start"], is_end=False)
        end = _parse_time(match["end"], is_end=True)
        if end <= start:
            raise ValueError(f"“{part}” ends before it starts (a range can't run past midnight; stop at 24:00).")
        ranges.append((start, end))
    return ranges


class TimeRangesField(forms.CharField):
    """One day of the week form; cleans to a list of (start, end) minute pairs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return parse_ranges(text)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid_range") from error


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class WeekForm(forms.Form):
    """The whole week in one POST (see the module docstring for the format)."""

    week = forms.DateField(widget=forms.HiddenInput)

    def __init__(self, *args, week_start: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.week_start = week_start
        self.dates = week_dates(week_start)
        for day in self.dates:
            self.fields[day_field(day)] = TimeRangesField(
                label=f"{day:%A, %B} {day.day}",
                help_text="Open times, e.g. 09:00-12:00, 13:00-17:00. Leave empty for a closed day.",
            )

    @classmethod
    def week_of(cls, data) -> dt.date | None:
        """The Monday of the posted ``week`` value, or None when it is missing or not a date."""
        try:
            return _week_start(dt.date.fromisoformat(str(data.get("week", "")).strip()))
        except ValueError:
            return None

    def clean(self):
        cleaned = super().clean()
        if self.data is not None:
            missing = [name for name in self.fields if name.startswith(DAY_FIELD_PREFIX) and name not in self.data]
            extra = [name for name in self.data if name.startswith(DAY_FIELD_PREFIX) and name not in self.fields]
            if missing or extra:
                raise forms.ValidationError(
                    "This form doesn't match the week shown (every day of the week must be sent, no other days). "
                    "Reload the page and try again.",
                    code="wrong_days",
                )
        return cleaned

    def day_fields(self):
        return [self[day_field(day)] for day in self.dates]

    def days(self) -> dict[dt.date, list[tuple[int, int]]]:
        return {day: self.cleaned_data[day_field(day)] for day in self.dates}


class _WeekToolForm(forms.Form):
    week = forms.DateField(widget=forms.HiddenInput)

    def clean_week(self):
        return _week_start(self.cleaned_data["week"])


def _weeks_field(label: str, initial: int) -> forms.IntegerField:
    # Bounds are the service's rule (InvalidInput on "weeks"); the attributes only help browsers.
    return forms.IntegerField(
        label=label,
        initial=initial,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_WEEKS_AHEAD, "inputmode": "numeric"}),
        help_text=f"1 to {MAX_WEEKS_AHEAD}.",
    )


class CopyForwardForm(_WeekToolForm):
    weeks = _weeks_field("Number of weeks", 4)


class SaveTemplateForm(_WeekToolForm):
    pass


class ApplyTemplateForm(_WeekToolForm):
    starting = forms.TypedChoiceField(
        label="Starting",
        coerce=int,
        choices=[(0, "This week"), (1, "Next week")],
        initial=1,
        widget=forms.RadioSelect,
    )
    weeks = _weeks_field("Number of weeks", 4)

    def __init__(self, *args, week_start: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if week_start is not None:
            following = week_start + dt.timedelta(weeks=1)
            self.fields["starting"].choices = [
                (0, f"This week (from {week_start:%b} {week_start.day})"),
                (1, f"Next week (from {following:%b} {following.day})"),
            ]

    def first_week(self) -> dt.date:
        return self.cleaned_data["week"] + dt.timedelta(weeks=self.cleaned_data["starting"])


class BlockDaysForm(forms.Form):
    first_day = forms.DateField(label="First day off", widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(
        label="Last day off", widget=forms.DateInput(attrs={"type": "date"}), help_text="The same day for a single day."
    )
    week = forms.DateField(widget=forms.HiddenInput, required=False)  # where to come back to


# --- booking rules ---------------------------------------------------------------------------

NOTICE_CHOICES = [
    (0, "No minimum"),
    (60, "1 hour"),
    (120, "2 hours"),
    (240, "4 hours"),
    (720, "12 hours"),
    (1440, "24 hours"),
    (2880, "48 hours"),
    (4320, "3 days"),
    (10080, "1 week"),
]
BUFFER_CHOICES = [(0, "No buffer")] + [(m, f"{m} minutes") for m in (5, 10, 15, 20, 30, 45, 60, 90, 120)]


def _duration_label(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _with_current(choices, current: int | None):
    values = {value for value, _ in choices}
    if current is None or current in values:
        return choices
    return sorted([*choices, (current, f"{_duration_label(current)} (current)")])


class BookingRulesForm(forms.Form):
    """Friendly units in, the profile's fields out. Ranges are checked once, by
    ``availability.services.update_booking_rules``; its field errors land on these fields."""

    min_notice_minutes = forms.TypedChoiceField(
        label="Minimum notice",
        coerce=int,
        choices=NOTICE_CHOICES,
        help_text="How long before a lesson students must book it.",
    )
    booking_horizon_days = forms.IntegerField(
        label="How far ahead students may book (days)",
        widget=forms.NumberInput(attrs={"min": 1, "max": 365, "inputmode": "numeric"}),
        help_text="For example 30 for about a month, 90 for a season.",
    )
    buffer_minutes = forms.TypedChoiceField(
        label="Buffer between lessons",
        coerce=int,
        choices=BUFFER_CHOICES,
        help_text="Free time kept before and after each lesson, for travel or a breather.",
    )
    max_lessons_per_day = forms.IntegerField(
        label="Maximum lessons per day",
        widget=forms.NumberInput(attrs={"min": 1, "max": 24, "inputmode": "numeric"}),
    )
    requires_confirmation = forms.BooleanField(
        label="Booking requests need my confirmation",
        required=False,
        help_text="Students request a time and you accept or decline it; unanswered requests expire "
        "and the time is released.",
    )

    FIELDS = ("min_notice_minutes", "booking_horizon_days", "buffer_minutes", "max_lessons_per_day")

    def __init__(self, *args, profile, **kwargs):
        kwargs.setdefault("initial", {name: getattr(profile, name) for name in (*self.FIELDS, "requires_confirmation")})
        super().__init__(*args, **kwargs)
        self.fields["min_notice_minutes"].choices = _with_current(NOTICE_CHOICES, profile.min_notice_minutes)
        self.fields["buffer_minutes"].choices = _with_current(BUFFER_CHOICES, profile.buffer_minutes)
