"""The instructor's calendar: the week availability editor, its tools (copy forward, weekly
template, vacation blocks) and the booking rules page. Every write goes through
``availability.services``; every page acts on the signed-in instructor's own profile only.

Layer independence shows here too: lessons are drawn over the grid for information, and
nothing on these pages changes or cancels them.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import require_permission
from core.exceptions import DomainError, InvalidInput
from core.forms import apply_domain_error, form_data, submit
from core.timeutil import local_today, zone
from instructors import services as instructor_services

from . import bitmaps, overlays, selectors, services
from .forms import (
    DAY_END_DEFAULT,
    DAY_START_DEFAULT,
    ApplyTemplateForm,
    BlockDaysForm,
    BookingRulesForm,
    CopyForwardForm,
    SaveTemplateForm,
    WeekForm,
    day_field,
    format_minute,
    format_ranges,
)

TEACH = "instructors.teach"
WEEKS_BACK = 104  # how far the editor navigates from today, either way (about two years)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _profile(request):
    return instructor_services.ensure_profile(request.user)


def _today(request) -> dt.date:
    return local_today(request.user.timezone)


def _in_range(week_start: dt.date | None, today: dt.date) -> bool:
    return week_start is not None and abs((week_start - today).days) <= WEEKS_BACK * 7


def _requested_week(value: str | None, today: dt.date) -> dt.date:
    """The Monday of ``?week=`` (any date of the week), else the instructor's current week."""
    try:
        week_start = selectors.week_start_of(dt.date.fromisoformat((value or "").strip()))
    except ValueError:
        week_start = None
    return week_start if _in_range(week_start, today) else selectors.week_start_of(today)


def week_url(week_start: dt.date, **params) -> str:
    return f"{reverse('availability:week')}?{urlencode({'week': week_start.isoformat(), **params})}"


def _week_title(week_start: dt.date) -> str:
    end = week_start + dt.timedelta(days=6)
    if week_start.year != end.year:
        return f"{week_start:%b} {week_start.day}, {week_start.year} – {end:%b} {end.day}, {end.year}"
    if week_start.month != end.month:
        return f"{week_start:%b} {week_start.day} – {end:%b} {end.day}, {end.year}"
    return f"{week_start:%B} {week_start.day} – {end.day}, {end.year}"


def _clock(minute: int) -> str:
    """12-hour clock for people: 9:00 AM, 12:30 PM, 12:00 AM (midnight)."""
    hour, mins = divmod(minute % bitmaps.MINUTES_PER_DAY, 60)
    return f"{hour % 12 or 12}:{mins:02d} {'AM' if hour < 12 else 'PM'}"


# --- lessons over the grid -------------------------------------------------------------------


@dataclass
class Lesson:
    date: dt.date
    day_index: int
    start: int  # wall-clock minutes in the instructor's CURRENT zone
    end: int
    service: str
    student: str
    status: str
    status_label: str

    @property
    def times(self) -> str:
        return f"{_clock(self.start)} – {_clock(self.end)}"

    def as_json(self) -> dict:
        return {
            "day": self.day_index,
            "start": self.start,
            "end": self.end,
            "label": f"{self.service} · {self.student}",
            "title": f"{self.times}: {self.service} with {self.student} ({self.status_label})",
            "status": self.status,
        }


def _week_lessons(profile, week_start: dt.date, tz_name: str) -> list[Lesson]:
    """Lessons overlapping the week (overlays: the bookings app's reader, one query). Placed by
    their UTC instants in the instructor's current zone, so a lesson booked before a zone change
    still lands right."""
    first = bitmaps.local_minute_to_utc(week_start, 0, tz_name)
    last = bitmaps.local_minute_to_utc(week_start + dt.timedelta(days=7), 0, tz_name)
    tz = zone(tz_name)
    lessons = []
    for claim in overlays.claims_between(profile, first, last):
        start, end = claim.start_at.astimezone(tz), claim.end_at.astimezone(tz)
        day_index = (start.date() - week_start).days
        start_minute = start.hour * 60 + start.minute
        end_minute = end.hour * 60 + end.minute if end.date() == start.date() else bitmaps.MINUTES_PER_DAY
        if day_index < 0:  # began before the week (after a zone change): show its part on Monday
            day_index, start_minute = 0, 0
        if day_index > 6 or end_minute <= start_minute:
            continue
        lessons.append(
            Lesson(
                date=week_start + dt.timedelta(days=day_index),
                day_index=day_index,
                start=start_minute,
                end=end_minute,
                service=claim.service,
                student=claim.student,
                status=claim.status,
                status_label=claim.status_label,
            )
        )
    return lessons


# --- the week page -----------------------------------------------------------------------------


@dataclass
class DayColumn:
    date: dt.date
    field: object  # the day's BoundField in the week form
    is_today: bool
    is_past: bool
    lessons: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # wall-clock ranges that don't exist (spring forward)
    repeated: list = field(default_factory=list)  # wall-clock ranges that happen twice (fall back)

    @property
    def name(self) -> str:
        return WEEKDAYS[self.date.weekday()]

    @property
    def missing_text(self) -> str:
        return ", ".join(f"{format_minute(s)}–{format_minute(e)}" for s, e in self.missing)

    @property
    def repeated_text(self) -> str:
        return ", ".join(f"{format_minute(s)}–{format_minute(e)}" for s, e in self.repeated)


def _template_summary(template: dict[int, bytes]) -> list[tuple[str, str]]:
    return [(WEEKDAYS[weekday], format_ranges(bits)) for weekday, bits in sorted(template.items())]


def _render_week(request, profile, week_start: dt.date, *, week_form=None, tool_forms=None, status=200):
    tz_name = request.user.timezone
    today = _today(request)
    dates = services.week_dates(week_start)
    saved = selectors.days_between(profile, dates[0], dates[-1])
    if week_form is None:
        texts = {day_field(day): format_ranges(saved.get(day, bitmaps.EMPTY)) for day in dates}
        week_form = WeekForm(initial={"week": week_start, **texts}, week_start=week_start)
    lessons = _week_lessons(profile, week_start, tz_name)
    template = selectors.weekly_template(profile)

    columns = [
        DayColumn(
            date=day,
            field=week_form[day_field(day)],
            is_today=day == today,
            is_past=day < today,
            missing=bitmaps.nonexistent_minutes(day, tz_name),
            repeated=bitmaps.repeated_minutes(day, tz_name),
        )
        for day in dates
    ]
    for lesson in lessons:
        columns[lesson.day_index].lessons.append(lesson)

    ranges = {day: bitmaps.to_ranges(bits) for day, bits in saved.items()}
    starts = [s for day in ranges.values() for s, _ in day] + [lesson.start for lesson in lessons]
    ends = [e for day in ranges.values() for _, e in day] + [lesson.end for lesson in lessons]
    full_day = min(starts, default=DAY_START_DEFAULT) < DAY_START_DEFAULT or max(ends, default=0) > DAY_END_DEFAULT
    grid = {
        "days": [
            {
                "date": column.date.isoformat(),
                "field": day_field(column.date),
                "name": column.name,
                "short": f"{column.date:%a}",
                "number": column.date.day,
                "label": f"{column.name}, {column.date:%B} {column.date.day}",
                "today": column.is_today,
                "past": column.is_past,
                "ranges": ranges.get(column.date, []),
                "missing": column.missing,
            }
            for column in columns
        ],
        "lessons": [lesson.as_json() for lesson in lessons],
        "dayStart": DAY_START_DEFAULT,
        "dayEnd": DAY_END_DEFAULT,
        "fullDay": full_day,
    }
    tools = {
        "copy_form": CopyForwardForm(initial={"week": week_start, "weeks": 4}, auto_id="copy_%s"),
        "template_form": SaveTemplateForm(initial={"week": week_start}, auto_id="template_%s"),
        "apply_form": ApplyTemplateForm(
            initial={"week": week_start, "weeks": 4, "starting": 1}, week_start=week_start, auto_id="apply_%s"
        ),
        "block_form": BlockDaysForm(initial={"week": week_start}, auto_id="block_%s"),
        **(tool_forms or {}),
    }
    this_week = selectors.week_start_of(today)
    context = {
        "profile": profile,
        "week_start": week_start,
        "week_end": dates[-1],
        "week_title": _week_title(week_start),
        "is_this_week": week_start == this_week,
        "prev_url": week_url(week_start - dt.timedelta(weeks=1)),
        "next_url": week_url(week_start + dt.timedelta(weeks=1)),
        "this_week_url": week_url(this_week),
        "prev_allowed": _in_range(week_start - dt.timedelta(weeks=1), today),
        "next_allowed": _in_range(week_start + dt.timedelta(weeks=1), today),
        "tz_name": tz_name,
        "form": week_form,
        "columns": columns,
        "lessons": lessons,
        "grid": grid,
        "template_summary": _template_summary(template),
        **tools,
    }
    return render(request, "availability/week.html", context, status=status)


def _show_error(form, error: DomainError) -> None:
    """A service error on a tool form: when it names one field, its full message goes there."""
    fields = error.extra.get("fields") or {}
    if len(fields) == 1 and next(iter(fields)) in form.fields:
        form.add_error(next(iter(fields)), error.message)
    else:
        apply_domain_error(form, error)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _week_errors(form: WeekForm, error: DomainError) -> None:
    """A service error names dates ("2026-03-09"); show it on that day's field."""
    fields = error.extra.get("fields") or {}
    for name, message in fields.items():
        target = day_field(dt.date.fromisoformat(name)) if _is_iso_date(name) else None
        form.add_error(target if target in form.fields else None, message)
    if not fields:
        form.add_error(None, error.message)


def _is_iso_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _json_errors(form: WeekForm) -> JsonResponse:
    errors = form.errors.get_json_data()
    first = next((item["message"] for items in errors.values() for item in items), "Please check the times.")
    return JsonResponse(
        {
            "error": {
                "code": "invalid",
                "message": first,
                "fields": {name: [item["message"] for item in items] for name, items in errors.items()},
            }
        },
        status=400,
    )


def _save_week(request, profile):
    today = _today(request)
    week_start = WeekForm.week_of(request.POST)
    if not _in_range(week_start, today):
        message = "That week can't be edited here. Reload the page and try again."
        if _wants_json(request):
            return JsonResponse({"error": {"code": "invalid", "message": message}}, status=400)
        messages.error(request, message)
        return redirect(week_url(selectors.week_start_of(today)))
    form = WeekForm(request.POST, week_start=week_start)
    if form.is_valid():
        saved_week = submit(
            form,
            lambda: services.save_week(profile=profile, week_start=week_start, days=form.days()),
            show=_week_errors,
        )
        if saved_week.ok:
            message = f"Saved your availability for {_week_title(week_start)}."
            if _wants_json(request):
                saved = selectors.days_between(profile, week_start, week_start + dt.timedelta(days=6))
                days = {day_field(day): format_ranges(saved.get(day, bitmaps.EMPTY)) for day in form.dates}
                return JsonResponse({"saved": True, "message": message, "days": days})
            messages.success(request, message)
            return redirect(week_url(week_start))
    if _wants_json(request):
        return _json_errors(form)
    return _render_week(request, profile, week_start, week_form=form)


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def week(request):
    """The week editor. GET shows a week (``?week=`` any date in it); POST saves all 7 days."""
    profile = _profile(request)
    if request.method == "POST":
        return _save_week(request, profile)
    return _render_week(request, profile, _requested_week(request.GET.get("week"), _today(request)))


def _posted_week(request) -> dt.date:
    """The week a tool form came from (to show again), defaulting to the current week."""
    return _requested_week(str(request.POST.get("week", "")), _today(request))


def _check_tool_week(form, request) -> bool:
    if form.is_valid() and not _in_range(form.cleaned_data["week"], _today(request)):
        form.add_error(None, "That week can't be changed here. Reload the page and try again.")
    return form.is_valid()


@require_permission(TEACH)
@require_POST
def copy_week(request):
    profile = _profile(request)
    form = CopyForwardForm(request.POST, auto_id="copy_%s")
    if _check_tool_week(form, request):
        week_start, weeks = form.cleaned_data["week"], form.cleaned_data["weeks"]
        copy = partial(services.copy_week_forward, profile=profile, week_start=week_start, weeks=weeks)
        if submit(form, copy, show=_show_error).ok:
            last = week_start + dt.timedelta(weeks=weeks)
            messages.success(
                request,
                f"Copied {_week_title(week_start)} to the next {weeks} week{'s' if weeks != 1 else ''} "
                f"(through {_week_title(last)}). Lessons already booked stay booked.",
            )
            return redirect(week_url(week_start))
    return _render_week(request, profile, _posted_week(request), tool_forms={"copy_form": form})


@require_permission(TEACH)
@require_POST
def save_template(request):
    profile = _profile(request)
    form = SaveTemplateForm(request.POST, auto_id="template_%s")
    if _check_tool_week(form, request):
        week_start = form.cleaned_data["week"]
        saved = selectors.days_between(profile, week_start, week_start + dt.timedelta(days=6))
        weekdays = {day.weekday(): bitmaps.to_ranges(bits) for day, bits in saved.items()}
        if submit(form, lambda: services.save_weekly_template(profile=profile, weekdays=weekdays), show=_show_error).ok:
            if weekdays:
                messages.success(request, f"Your weekly template is now the week of {_week_title(week_start)}.")
            else:
                messages.success(request, "That week has no open time, so your weekly template is now empty.")
            return redirect(week_url(week_start))
    return _render_week(request, profile, _posted_week(request), tool_forms={"template_form": form})


@require_permission(TEACH)
@require_POST
def apply_template(request):
    profile = _profile(request)
    week_start = _posted_week(request)
    form = ApplyTemplateForm(request.POST, week_start=week_start, auto_id="apply_%s")
    if _check_tool_week(form, request):
        if not selectors.weekly_template(profile):
            form.add_error(
                None, "You have no weekly template yet: set up a week, then choose “Save as my weekly template”."
            )
        else:
            first, weeks = form.first_week(), form.cleaned_data["weeks"]
            apply = partial(services.apply_weekly_template, profile=profile, week_start=first, weeks=weeks)
            if submit(form, apply, show=_show_error).ok:
                messages.success(
                    request,
                    f"Applied your weekly template to {weeks} week{'s' if weeks != 1 else ''} from "
                    f"{first:%b} {first.day}. Lessons already booked stay booked.",
                )
                return redirect(week_url(form.cleaned_data["week"]))
    return _render_week(request, profile, week_start, tool_forms={"apply_form": form})


@require_permission(TEACH)
@require_POST
def block(request):
    profile = _profile(request)
    today = _today(request)
    form = BlockDaysForm(request.POST, auto_id="block_%s")
    back_to = _posted_week(request)
    if form.is_valid():
        first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
        if last < today:
            form.add_error("last_day", "That range is already over: choose days from today on.")
        elif (first - today).days > WEEKS_BACK * 7:
            form.add_error("first_day", "That is too far ahead.")
        else:
            try:
                cleared = services.block_days(profile=profile, first_day=first, last_day=last)
            except InvalidInput as error:
                _show_error(form, error)
            else:
                span = f"{first:%b} {first.day}" if first == last else f"{first:%b} {first.day} – {last:%b} {last.day}"
                detail = f"{cleared} day{'s' if cleared != 1 else ''} had open time" if cleared else "nothing was open"
                messages.success(
                    request,
                    f"Blocked {span}, {last.year} ({detail}). Lessons already booked stay booked.",
                )
                return redirect(week_url(back_to if form.cleaned_data.get("week") else selectors.week_start_of(first)))
    return _render_week(request, profile, back_to, tool_forms={"block_form": form})


# --- booking rules -------------------------------------------------------------------------------


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def rules(request):
    profile = _profile(request)
    form = BookingRulesForm(form_data(request), profile=profile)
    if request.method == "POST" and form.is_valid():
        done = submit(form, partial(services.update_booking_rules, profile=profile, **form.cleaned_data))
        if done.ok:
            messages.success(request, "Booking rules saved. They apply to new bookings from now on.")
            return redirect("availability:rules")
    return render(request, "availability/rules.html", {"form": form, "profile": profile})
