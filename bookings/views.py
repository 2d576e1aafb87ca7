"""Booking pages: the time picker, the lesson page, cancelling, rescheduling (with a confirmation
step), no-shows, My Lessons and the instructor's bookings. (Checkout is a payments page.)

Views parse input, call a service or selector, and render; every state change is a POST to a
service, and someone else's booking is a 404. What a page offers comes from the one policy
(`services.actions_for`), the same the services enforce and the API reports; an action the
policy refuses answers 409 with its reason. A domain error from a service becomes the site's
problem page with its status (core.middleware.DomainErrorMiddleware)."""

import datetime as dt
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require_permission
from core.forms import form_data, submit
from core.money import cents_for_minutes
from core.timeutil import local_today, to_local
from core.timeutil import now as current_time
from instructors import selectors as instructor_selectors
from instructors.models import InstructorProfile

from . import openings, policies, selectors, services, signals
from .forms import CancelForm, DisputeNoShowForm, NoShowForm, PickTimeForm, RescheduleForm
from .models import Booking, BookingStatus, Party

BOOK_LESSONS = "accounts.book_lessons"
TEACH = "instructors.teach"
TIMES_TARGET = "booking-times"
WIDGET_TARGET = "booking-widget"
DEFAULT_DURATION = 60  # preselected when the service offers it


def _new_key() -> str:
    """A fresh idempotency key for each rendered picker: a double-clicked time holds once."""
    return secrets.token_urlsafe(16)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _viewer_timezone(request, profile: InstructorProfile) -> str:
    """Signed-in people see times in their own zone; visitors in the instructor's."""
    user = request.user
    if user.is_authenticated and user.timezone:
        return user.timezone
    return profile.user.timezone


def _partial_vary(response):
    # The same URL answers with a whole page or an htmx fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- the time picker -----------------------------------------------------------------------


@dataclass
class TimesDay:
    date: dt.date  # in the viewer's zone
    times: list[dt.datetime]


@dataclass
class TimesPanel:
    """One week of free start times, grouped by the viewer's local days."""

    days: list[TimesDay]
    week: int
    first_day: dt.date
    last_day: dt.date
    prev_url: str | None
    next_url: str | None
    action_url: str
    hidden: dict
    key: str
    viewer_tz: str
    instructor_tz: str
    current_start: dt.datetime | None = None
    count: int = field(default=0)
    method: str = "post"  # "get": picking a time opens a confirmation step first


def times_panel(
    request,
    profile: InstructorProfile,
    *,
    duration: int,
    week: int,
    page_url: str,
    params: dict,
    action_url: str,
    hidden: dict,
    exclude_booking: Booking | None = None,
    method: str = "post",
) -> TimesPanel:
    """Free start times for one week (week 0 starts today in the viewer's zone)."""
    now = current_time()
    viewer_tz = _viewer_timezone(request, profile)
    today = local_today(viewer_tz)
    latest_day = to_local(openings.booking_limits(profile, now)[1], viewer_tz).date()
    last_week = max(0, (latest_day - today).days // 7)
    week = min(max(week, 0), last_week)
    first_day = today + dt.timedelta(days=7 * week)
    last_day = first_day + dt.timedelta(days=6)
    # Time zones are at most ~26 hours apart: two instructor days either side cover the week.
    starts = openings.start_times(
        profile,
        duration=duration,
        first=first_day - dt.timedelta(days=2),
        days=11,
        now=now,
        exclude_booking_id=exclude_booking.pk if exclude_booking else None,
    )
    by_day: dict[dt.date, list[dt.datetime]] = {}
    for start in starts:
        local = to_local(start.start_at, viewer_tz)
        if first_day <= local.date() <= last_day:
            by_day.setdefault(local.date(), []).append(local)
    days = [TimesDay(day, times) for day, times in sorted(by_day.items())]

    def week_url(number: int) -> str:
        return f"{page_url}?{urlencode({**params, 'week': number})}"

    return TimesPanel(
        days=days,
        week=week,
        first_day=first_day,
        last_day=last_day,
        prev_url=week_url(week - 1) if week > 0 else None,
        next_url=week_url(week + 1) if week < last_week else None,
        action_url=action_url,
        hidden=hidden,
        key=_new_key(),
        viewer_tz=viewer_tz,
        instructor_tz=profile.user.timezone,
        current_start=exclude_booking.start_at if exclude_booking else None,
        count=sum(len(day.times) for day in days),
        method=method,
    )


def _live_profile_or_404(profile_id: str) -> InstructorProfile:
    profile = instructor_selectors.public_profile(profile_id)
    if profile is None:
        raise Http404("No such instructor")
    return profile


def _widget_context(request, profile: InstructorProfile, params) -> dict:
    offerings = profile.active_offerings
    context = {"profile": profile, "offerings": offerings}
    if not offerings:
        return context
    offering = next((o for o in offerings if o.pk == params.get("offering")), offerings[0])
    duration = _int(params.get("duration"))
    if duration not in offering.durations:
        duration = DEFAULT_DURATION if DEFAULT_DURATION in offering.durations else offering.durations[0]
    book_url = reverse("bookings:book", args=[profile.pk])
    selection = {"offering": offering.pk, "duration": duration}
    context.update(
        offering=offering,
        duration=duration,
        durations=[(minutes, cents_for_minutes(offering.hourly_rate_cents, minutes)) for minutes in offering.durations],
        price_cents=cents_for_minutes(offering.hourly_rate_cents, duration),
        panel=times_panel(
            request,
            profile,
            duration=duration,
            week=_int(params.get("week"), 0),
            page_url=book_url,
            params=selection,
            action_url=book_url,
            hidden=selection,
        ),
        can_book=not request.user.is_authenticated or request.user.has_perm(BOOK_LESSONS),
    )
    return context


@require_http_methods(["GET", "POST"])
def book(request, profile_id):
    """GET: the booking widget (service, length, a week of times). POST: hold a time."""
    profile = _live_profile_or_404(profile_id)
    if request.method == "POST":
        return _hold(request, profile)
    context = _widget_context(request, profile, request.GET)
    if request.htmx and request.htmx.target == TIMES_TARGET:
        return _partial_vary(render(request, "bookings/_times.html", context))
    if request.htmx and request.htmx.target == WIDGET_TARGET:
        return _partial_vary(render(request, "bookings/_widget.html", context))
    return _partial_vary(render(request, "bookings/book.html", context))


def _attempt_key(page_key: str, offering_id: str, duration: int, start_at: dt.datetime) -> str:
    """One booking attempt = this rendered page x this time: a double click holds once, and a
    page brought back with the Back button can still hold a different time."""
    return f"{page_key[:30]}:{offering_id[-8:]}:{duration}:{int(start_at.timestamp())}"


def _hold(request, profile: InstructorProfile):
    form = PickTimeForm(request.POST)
    params = {name: request.POST.get(name, "") for name in ("offering", "duration", "week")}
    back = f"{reverse('bookings:book', args=[profile.pk])}?{urlencode(params)}"
    if not request.user.is_authenticated:
        messages.info(request, "Log in or sign up to book: your lesson times will be waiting.")
        return redirect_to_login(back)
    if not request.user.has_perm(BOOK_LESSONS):
        messages.error(request, "Only student accounts can book lessons.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, "Please pick a time from the list.")
        return redirect(back)
    offering = next((o for o in profile.active_offerings if o.pk == form.cleaned_data["offering"]), None)
    if offering is None:
        messages.error(request, "This service is no longer offered.")
        return redirect(back)
    start_at, duration = form.cleaned_data["start_at"], form.cleaned_data["duration"]
    request.back_url = back  # a refusal (the time was just taken) offers the picker again
    booking = services.hold_booking(
        student=request.user,
        offering=offering,
        start_at=start_at,
        duration=duration,
        idempotency_key=_attempt_key(form.cleaned_data["key"], offering.pk, duration, start_at),
    )
    signals.booking_started.send(sender=InstructorProfile, request=request, profile_id=profile.pk)
    return redirect("payments:checkout", booking_id=booking.pk)


# --- what a page may offer for one booking ----------------------------------------------------

STATUS_TEXT = {
    BookingStatus.HELD: "Held for you",
    BookingStatus.REQUESTED: "Request sent",
    BookingStatus.CONFIRMED: "Confirmed",
    BookingStatus.COMPLETED: "Completed",
    BookingStatus.NO_SHOW: "No-show reported",
    BookingStatus.DECLINED: "Declined",
    BookingStatus.EXPIRED: "Request expired",
    BookingStatus.RESCHEDULED: "Moved to another time",
}
CANCELLED_BY = {
    Party.STUDENT: "Cancelled by the student",
    Party.INSTRUCTOR: "Cancelled by the instructor",
    Party.STAFF: "Cancelled by staff",
    Party.SYSTEM: "Cancelled automatically: the payment didn't go through",
}


@dataclass
class LessonUI:
    """What one person sees of one lesson: the words, and the actions the policy allows them."""

    role: str  # Party.STUDENT or Party.INSTRUCTOR: who is looking
    actions: policies.LessonActions
    status_text: str
    status_class: str
    other_name: str
    other_timezone: str
    in_progress: bool = False
    ended: bool = False
    free_cancel_until: dt.datetime | None = None
    no_show_until: dt.datetime | None = None

    @property
    def can_cancel(self) -> bool:
        return self.actions.cancel.allowed

    @property
    def can_reschedule(self) -> bool:
        return self.actions.reschedule.allowed

    @property
    def can_report_no_show(self) -> bool:
        return self.actions.report_no_show.allowed

    @property
    def can_dispute_no_show(self) -> bool:
        return self.actions.dispute_no_show.allowed

    @property
    def can_answer(self) -> bool:
        return self.actions.accept.allowed

    @property
    def finish_checkout(self) -> bool:
        return self.actions.finish_checkout.allowed


def _status_text(booking: Booking, role: str, now: dt.datetime) -> str:
    status = booking.status
    if status == BookingStatus.CANCELLED:
        if booking.cancelled_by == role:
            return "Cancelled by you"
        return CANCELLED_BY.get(booking.cancelled_by, "Cancelled")
    if status == BookingStatus.REQUESTED and role == Party.INSTRUCTOR:
        return "Needs your answer"
    if status == BookingStatus.HELD and booking.hold_expires_at <= now:
        return "Checkout timed out"
    if status == BookingStatus.CONFIRMED and booking.start_at <= now < booking.end_at:
        return "In progress"
    return STATUS_TEXT.get(status, booking.get_status_display())


def lesson_ui(booking: Booking, user, now: dt.datetime) -> LessonUI:
    actions = services.actions_for(booking, user, now=now)
    role = Party.STUDENT if booking.student_id == user.pk else Party.INSTRUCTOR
    student_side = role == Party.STUDENT
    ui = LessonUI(
        role=role,
        actions=actions,
        status_text=_status_text(booking, role, now),
        status_class=f"status-{booking.status}",
        other_name=(booking.instructor.user.public_name if student_side else booking.student.public_name),
        other_timezone=(booking.instructor_timezone if student_side else booking.student.timezone),
        ended=now >= booking.end_at,
    )
    ui.in_progress = booking.status == BookingStatus.CONFIRMED and booking.start_at <= now < booking.end_at
    if actions.report_no_show.allowed:
        ui.no_show_until = policies.no_show_report_deadline(lesson_end=booking.end_at)
    deadline = policies.free_cancellation_deadline(lesson_start=booking.start_at)
    if actions.cancel.allowed and deadline > now:
        ui.free_cancel_until = deadline
    return ui


def _with_ui(bookings, user, now):
    for booking in bookings:
        booking.ui = lesson_ui(booking, user, now)
    return bookings


def _list_url_for(booking: Booking, user) -> str:
    if booking.student_id == user.pk:
        return reverse("bookings:my_lessons")
    return reverse("bookings:instructor_bookings")


def _refused(action: policies.Action) -> int:
    """The status a page answers with: 200 when the action is allowed, else its error's 4xx."""
    if action.allowed:
        return 200
    return services.REFUSALS.get(action.code, services.InvalidTransition).status


# --- one booking --------------------------------------------------------------------------------


def _party_booking_or_404(request, booking_id) -> Booking:
    booking = selectors.booking_for_party(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    return booking


def _student_booking_or_404(request, booking_id) -> Booking:
    booking = selectors.booking_for_student(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    return booking


@login_required
@require_GET
def detail(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    now = current_time()
    booking.ui = lesson_ui(booking, request.user, now)
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "ui": booking.ui,
            "moved_to": selectors.satellite(booking, "reschedule")
            if booking.status == BookingStatus.RESCHEDULED
            else None,
            "no_show": selectors.satellite(booking, "no_show"),
            "moved_from": selectors.satellite(booking, "rescheduled_from"),
            "payment": selectors.satellite(booking, "payment"),
            "free_hours": policies.free_hours(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    ui = lesson_ui(booking, request.user, current_time())
    action = ui.actions.cancel
    form = CancelForm(form_data(request))
    if request.method == "POST" and action.allowed and form.is_valid():
        outcome = services.cancel_booking(booking=booking, user=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"Lesson cancelled. {outcome.reason}")
        return redirect(_list_url_for(booking, request.user))
    context = {
        "booking": booking,
        "ui": ui,
        "preview": ui.actions.cancellation,
        "problem": None if action.allowed else action.reason,
        "form": form,
    }
    return render(request, "bookings/cancel.html", context, status=_refused(action))


@login_required
@require_GET
def reschedule(request, booking_id):
    """Step 1: pick a new time (each time opens the confirmation step)."""
    booking = _student_booking_or_404(request, booking_id)
    actions = services.actions_for(booking, request.user)
    context = {
        "booking": booking,
        "outcome": actions.rescheduling,
        "problem": None if actions.reschedule.allowed else actions.reschedule.reason,
    }
    if actions.reschedule.allowed:
        page_url = reverse("bookings:reschedule", args=[booking.pk])
        context["panel"] = times_panel(
            request,
            booking.instructor,
            duration=booking.duration_minutes,
            week=_int(request.GET.get("week"), 0),
            page_url=page_url,
            params={},
            action_url=reverse("bookings:reschedule_confirm", args=[booking.pk]),
            hidden={},
            exclude_booking=booking,
            method="get",
        )
        if request.htmx and request.htmx.target == TIMES_TARGET:
            return _partial_vary(render(request, "bookings/_times.html", context))
    return _partial_vary(render(request, "bookings/reschedule.html", context, status=_refused(actions.reschedule)))


@login_required
@require_http_methods(["GET", "POST"])
def reschedule_confirm(request, booking_id):
    """Step 2: what the move changes (the new time in both zones, and what cancelling costs
    afterwards, counted from the new time); POST moves the lesson."""
    booking = _student_booking_or_404(request, booking_id)
    form = RescheduleForm(request.POST if request.method == "POST" else request.GET)
    back = reverse("bookings:reschedule", args=[booking.pk])
    request.back_url = back
    if not form.is_valid():
        messages.error(request, "Please pick a time from the list.")
        return redirect(back)
    start_at = form.cleaned_data["start_at"]
    terms = services.reschedule_terms(booking=booking, user=request.user, start_at=start_at)
    if request.method == "POST":
        new = services.reschedule_booking(
            booking=booking,
            user=request.user,
            start_at=start_at,
            idempotency_key=form.cleaned_data["key"] or _new_key(),
        )
        messages.success(
            request, f"Lesson moved. {terms.outcome.reason}" if terms.outcome.lock_funds else "Lesson moved."
        )
        return redirect("bookings:detail", booking_id=new.pk)
    return render(
        request,
        "bookings/reschedule_confirm.html",
        {
            "booking": booking,
            "terms": terms,
            "start_value": start_at.isoformat(),
            "key": _new_key(),
            "back_url": back,
            "free_hours": policies.free_hours(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_no_show(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    ui = lesson_ui(booking, request.user, current_time())
    action = ui.actions.report_no_show
    form = NoShowForm(form_data(request))
    if request.method == "POST" and action.allowed and form.is_valid():
        done = submit(
            form, lambda: services.report_no_show(booking=booking, user=request.user, note=form.cleaned_data["note"])
        )
        if done.ok:
            messages.success(request, "No-show reported. Staff will look at it if it is disputed.")
            return redirect("bookings:detail", booking_id=booking.pk)
    context = {"booking": booking, "ui": ui, "problem": None if action.allowed else action.reason, "form": form}
    return render(request, "bookings/no_show.html", context, status=_refused(action))


@login_required
@require_http_methods(["GET", "POST"])
def dispute_no_show(request, booking_id):
    """The person reported as a no-show says what happened; staff then decide."""
    booking = _party_booking_or_404(request, booking_id)
    ui = lesson_ui(booking, request.user, current_time())
    action = ui.actions.dispute_no_show
    form = DisputeNoShowForm(form_data(request))
    if request.method == "POST" and action.allowed and form.is_valid():
        note = form.cleaned_data["note"]
        done = submit(form, lambda: services.dispute_no_show(booking=booking, user=request.user, note=note))
        if done.ok:
            messages.success(request, "Thanks: staff will look at both sides and decide.")
            return redirect("bookings:detail", booking_id=booking.pk)
    context = {"booking": booking, "ui": ui, "problem": None if action.allowed else action.reason, "form": form}
    return render(request, "bookings/dispute_no_show.html", context, status=_refused(action))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _instructor_booking_or_404(request, booking_id) -> Booking:
    booking = selectors.booking_for_instructor(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    return booking


@require_permission(TEACH)
@require_POST
def accept(request, booking_id):
    booking = _instructor_booking_or_404(request, booking_id)
    request.back_url = _safe_next(request, reverse("bookings:instructor_bookings"))
    services.accept_request(booking=booking, instructor_user=request.user)
    messages.success(request, f"Accepted: {booking.student.public_name}'s lesson is confirmed.")
    return redirect(request.back_url)


@require_permission(TEACH)
@require_POST
def decline(request, booking_id):
    booking = _instructor_booking_or_404(request, booking_id)
    request.back_url = _safe_next(request, reverse("bookings:instructor_bookings"))
    services.decline_request(booking=booking, instructor_user=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, f"Declined. {booking.student.public_name} is told and pays nothing.")
    return redirect(request.back_url)


# --- lists ------------------------------------------------------------------------------------


@require_permission(BOOK_LESSONS)
@require_GET
def my_lessons(request):
    now = current_time()
    lessons = selectors.student_lessons(request.user, now=now)
    for group in (lessons.upcoming, lessons.past, lessons.cancelled):
        _with_ui(group, request.user, now)
    return render(
        request,
        "bookings/my_lessons.html",
        {"lessons": lessons, "past_limit": selectors.PAST_LIMIT, "now_year": localtime(now).year},
    )


@require_permission(TEACH)
@require_GET
def instructor_bookings(request):
    now = current_time()
    profile = selectors.instructor_profile(request.user)
    lessons = selectors.instructor_lessons(request.user, now=now) if profile else selectors.InstructorLessons()
    for group in (lessons.requests, lessons.upcoming, lessons.past, lessons.cancelled):
        _with_ui(group, request.user, now)
    return render(
        request,
        "bookings/instructor_bookings.html",
        {"lessons": lessons, "profile": profile, "past_limit": selectors.PAST_LIMIT, "now_year": localtime(now).year},
    )
