"""Booking pages: the time picker, checkout, the booking page, My Lessons and the
instructor's bookings. Views parse input, call a service or selector, and render; every
state change is a POST to a service, and someone else's booking is a 404."""

import datetime as dt
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
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
from core.exceptions import DomainError
from core.forms import apply_domain_error, form_data
from core.money import cents_for_minutes
from core.timeutil import local_today, to_local
from core.timeutil import now as current_time
from instructors import selectors as instructor_selectors
from instructors.models import InstructorProfile
from payments import credits as payment_credits
from payments.gateway import in_test_mode
from payments.models import SavedCard

from . import openings, policies, selectors, services
from .errors import HoldExpired
from .forms import CancelForm, CheckoutForm, DisputeNoShowForm, NoShowForm, PickTimeForm, RescheduleForm
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
    try:
        booking = services.hold_booking(
            student=request.user,
            offering=offering,
            start_at=start_at,
            duration=duration,
            idempotency_key=_attempt_key(form.cleaned_data["key"], offering.pk, duration, start_at),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    return redirect("bookings:checkout", booking_id=booking.pk)


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


@dataclass
class LessonUI:
    role: str  # Party.STUDENT or Party.INSTRUCTOR: who is looking
    status_text: str
    status_class: str
    other_name: str
    other_timezone: str
    in_progress: bool = False
    ended: bool = False
    can_cancel: bool = False
    can_reschedule: bool = False
    can_report_no_show: bool = False
    can_answer: bool = False
    finish_checkout: bool = False
    free_cancel_until: dt.datetime | None = None
    no_show_until: dt.datetime | None = None


def lesson_ui(booking: Booking, user, now: dt.datetime) -> LessonUI:
    role = Party.STUDENT if booking.student_id == user.pk else Party.INSTRUCTOR
    student_side = role == Party.STUDENT
    status = booking.status
    started = now >= booking.start_at
    text = STATUS_TEXT.get(status, booking.get_status_display())
    if status == BookingStatus.CANCELLED:
        who = {Party.STUDENT: "the student", Party.INSTRUCTOR: "the instructor", Party.STAFF: "staff"}
        me = Party.STUDENT if student_side else Party.INSTRUCTOR
        text = (
            "Cancelled by you"
            if booking.cancelled_by == me
            else f"Cancelled by {who.get(booking.cancelled_by, 'staff')}"
        )
    if status == BookingStatus.REQUESTED and not student_side:
        text = "Needs your answer"
    if status == BookingStatus.HELD and booking.hold_expires_at <= now:
        text = "Checkout timed out"
    ui = LessonUI(
        role=role,
        status_text=text,
        status_class=f"status-{status}",
        other_name=(booking.instructor.user.public_name if student_side else booking.student.public_name),
        other_timezone=(booking.instructor_timezone if student_side else booking.student.timezone),
    )
    ui.ended = now >= booking.end_at
    if status == BookingStatus.CONFIRMED and started and not ui.ended:
        ui.in_progress = True
        ui.status_text = "In progress"
    if status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED) and policies.can_report_no_show(
        lesson_start=booking.start_at, lesson_end=booking.end_at, now=now
    ):
        ui.can_report_no_show = True
        ui.no_show_until = policies.no_show_report_deadline(lesson_end=booking.end_at)
    if not started:
        if student_side:
            ui.can_cancel = status in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
            ui.can_reschedule = status == BookingStatus.CONFIRMED
            ui.finish_checkout = status == BookingStatus.HELD and booking.hold_expires_at > now
        else:
            ui.can_cancel = status == BookingStatus.CONFIRMED
            ui.can_answer = status == BookingStatus.REQUESTED and booking.request_deadline > now
        deadline = policies.free_cancellation_deadline(lesson_start=booking.start_at)
        if ui.can_cancel and deadline > now:
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


# --- checkout ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, booking_id):
    booking = selectors.booking_for_student(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    if booking.status not in (BookingStatus.HELD, BookingStatus.EXPIRED):
        return redirect("bookings:detail", booking_id=booking.pk)  # already booked (a second click)
    now = current_time()
    expired = booking.status == BookingStatus.EXPIRED or booking.hold_expires_at <= now
    pay = _checkout_payment(request.user, booking)
    form = CheckoutForm(
        form_data(request),
        location_types=booking.offering.location_types,
        chosen=booking.location_type,
        cards=pay["cards"],
        card_needed=pay["card_cents"] > 0,
    )
    if request.method == "POST" and not expired and form.is_valid():
        try:
            booking = services.confirm_booking(
                booking=booking,
                student=request.user,
                location_type=form.cleaned_data["location_type"],
                address=form.cleaned_data.get("address", ""),
                note=form.cleaned_data["note"],
                payment_method_id=form.cleaned_data.get("payment_method") or None,
            )
        except HoldExpired:
            expired = True
        except DomainError as error:
            apply_domain_error(form, error)
            if error.extra.get("fields"):
                form.add_error(None, error.message)  # the sentence, above the field's short error
        else:
            if booking.status == BookingStatus.REQUESTED:
                messages.success(request, "Request sent. We'll let you know when your instructor answers.")
            else:
                messages.success(request, "You're booked!")
            return redirect("bookings:detail", booking_id=booking.pk)
    again_url = (
        f"{reverse('bookings:book', args=[booking.instructor_id])}?"
        f"{urlencode({'offering': booking.offering_id, 'duration': booking.duration_minutes})}"
    )
    free_until = policies.free_cancellation_deadline(lesson_start=booking.start_at)
    return render(
        request,
        "bookings/checkout.html",
        {
            "booking": booking,
            "form": form,
            "expired": expired,
            "again_url": again_url,
            "free_cancel_until": free_until if free_until > now else None,
            "free_hours": settings.BOOKING_FREE_CANCELLATION_HOURS,
            "instructor_name": booking.instructor.user.public_name,
            "requires_confirmation": booking.instructor.requires_confirmation,
            "request_hours": settings.BOOKING_REQUEST_RESPONSE_HOURS,
            "add_card_url": f"{reverse('payments:add_card')}?{urlencode({'next': request.path})}",
            **pay,
        },
    )


def _checkout_payment(user, booking: Booking) -> dict:
    """The card step: platform credit applies first (payments.services.prepare_checkout decides
    for real at confirm), the rest goes on one of the student's saved cards."""
    credit = min(payment_credits.balance(user), booking.price_cents)
    return {
        "cards": list(SavedCard.objects.filter(user=user)),
        "credit_cents": credit,
        "card_cents": booking.price_cents - credit,
        "test_mode": in_test_mode(),
    }


# --- one booking --------------------------------------------------------------------------------


def _party_booking_or_404(request, booking_id) -> Booking:
    booking = selectors.booking_for_party(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    return booking


@login_required
@require_GET
def detail(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    now = current_time()
    booking.ui = lesson_ui(booking, request.user, now)
    moved_to = None
    if booking.status == BookingStatus.RESCHEDULED:
        moved_to = getattr(booking, "reschedule", None)
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "ui": booking.ui,
            "moved_to": moved_to,
            "no_show": getattr(booking, "no_show", None),
            "moved_from": getattr(booking, "rescheduled_from", None),
            "free_hours": settings.BOOKING_FREE_CANCELLATION_HOURS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    ui = lesson_ui(booking, request.user, current_time())
    preview = problem = None
    if booking.status == BookingStatus.HELD:
        problem = "This time is only held while you check out; the hold ends by itself, nothing to cancel."
    elif ui.role == Party.INSTRUCTOR and booking.status == BookingStatus.REQUESTED:
        problem = "This is a request: decline it instead of cancelling."
    elif booking.status not in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
        problem = f"This lesson is {booking.get_status_display().lower()}: there is nothing to cancel."
    else:
        try:
            preview = services.cancellation_preview(booking=booking, user=request.user)
        except DomainError as error:
            problem = error.message
    form = CancelForm(form_data(request))
    if request.method == "POST" and preview is not None and form.is_valid():
        try:
            outcome = services.cancel_booking(booking=booking, user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("bookings:cancel", booking_id=booking.pk)
        messages.success(request, f"Lesson cancelled. {outcome.reason}")
        return redirect(_list_url_for(booking, request.user))
    return render(
        request,
        "bookings/cancel.html",
        {"booking": booking, "ui": ui, "preview": preview, "problem": problem, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request, booking_id):
    booking = selectors.booking_for_student(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    outcome = services.reschedule_preview(booking=booking, user=request.user)
    problem = None
    if booking.status == BookingStatus.REQUESTED:
        problem = "Your instructor has not accepted this request yet: cancel it and request another time instead."
    elif booking.status != BookingStatus.CONFIRMED:
        problem = f"This lesson is {booking.get_status_display().lower()}, so it can't be moved."
    elif not outcome.allowed:
        problem = outcome.reason
    page_url = reverse("bookings:reschedule", args=[booking.pk])
    week = _int(request.POST.get("week") if request.method == "POST" else request.GET.get("week"), 0)
    if request.method == "POST" and problem is None:
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Please pick a time from the list.")
            return redirect(f"{page_url}?week={week}")
        try:
            new = services.reschedule_booking(
                booking=booking,
                user=request.user,
                start_at=form.cleaned_data["start_at"],
                idempotency_key=form.cleaned_data["key"],
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(f"{page_url}?week={week}")
        messages.success(request, f"Lesson moved. {outcome.reason}" if outcome.lock_funds else "Lesson moved.")
        return redirect("bookings:detail", booking_id=new.pk)
    context = {"booking": booking, "outcome": outcome, "problem": problem}
    if problem is None:
        profile = booking.instructor
        context["panel"] = times_panel(
            request,
            profile,
            duration=booking.duration_minutes,
            week=week,
            page_url=page_url,
            params={},
            action_url=page_url,
            hidden={},
            exclude_booking=booking,
        )
        if request.htmx and request.htmx.target == TIMES_TARGET:
            return _partial_vary(render(request, "bookings/_times.html", context))
    return _partial_vary(render(request, "bookings/reschedule.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def report_no_show(request, booking_id):
    booking = _party_booking_or_404(request, booking_id)
    now = current_time()
    ui = lesson_ui(booking, request.user, now)
    problem = None
    if booking.status == BookingStatus.NO_SHOW:
        problem = "A no-show has already been reported for this lesson."
    elif not ui.can_report_no_show:
        if booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED) and now < booking.start_at:
            problem = "You can report a no-show once the lesson has started."
        elif booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
            problem = "No-shows can be reported until 24 hours after the lesson ends; that time has passed."
        else:
            problem = f"This lesson is {booking.get_status_display().lower()}: there is nothing to report."
    form = NoShowForm(form_data(request))
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            services.report_no_show(booking=booking, user=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "No-show reported. Staff will look at it if it is disputed.")
            return redirect("bookings:detail", booking_id=booking.pk)
    return render(request, "bookings/no_show.html", {"booking": booking, "ui": ui, "problem": problem, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def dispute_no_show(request, booking_id):
    """The person reported as a no-show says what happened; staff then decide."""
    booking = _party_booking_or_404(request, booking_id)
    ui = lesson_ui(booking, request.user, current_time())
    no_show = getattr(booking, "no_show", None)
    problem = _dispute_problem(booking, no_show, request.user)
    form = DisputeNoShowForm(form_data(request))
    if request.method == "POST" and problem is None and form.is_valid():
        try:
            services.dispute_no_show(booking=booking, user=request.user, note=form.cleaned_data["note"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Thanks: staff will look at both sides and decide.")
            return redirect("bookings:detail", booking_id=booking.pk)
    return render(
        request, "bookings/dispute_no_show.html", {"booking": booking, "ui": ui, "problem": problem, "form": form}
    )


def _dispute_problem(booking, no_show, user) -> str | None:
    if booking.status != BookingStatus.NO_SHOW or no_show is None:
        return "There is no no-show report on this lesson."
    if no_show.reported_by_id == user.pk:
        return "You made this report; the other person can dispute it."
    if no_show.disputed_at or no_show.resolved_at:
        return "This report has already been disputed or decided."
    return None


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_permission(TEACH)
@require_POST
def accept(request, booking_id):
    booking = selectors.booking_for_instructor(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    try:
        services.accept_request(booking=booking, instructor_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Accepted: {booking.student.public_name}'s lesson is confirmed.")
    return redirect(_safe_next(request, reverse("bookings:instructor_bookings")))


@require_permission(TEACH)
@require_POST
def decline(request, booking_id):
    booking = selectors.booking_for_instructor(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    try:
        services.decline_request(booking=booking, instructor_user=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Declined. {booking.student.public_name} is told and pays nothing.")
    return redirect(_safe_next(request, reverse("bookings:instructor_bookings")))


# --- lists ------------------------------------------------------------------------------------


@require_permission(BOOK_LESSONS)
@require_GET
def my_lessons(request):
    now = current_time()
    lessons = selectors.student_lessons(request.user, now=now)
    _with_ui(lessons.upcoming, request.user, now)
    _with_ui(lessons.past, request.user, now)
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
    lessons = selectors.instructor_lessons(profile, now=now) if profile else selectors.InstructorLessons()
    for group in (lessons.requests, lessons.upcoming, lessons.past):
        _with_ui(group, request.user, now)
    return render(
        request,
        "bookings/instructor_bookings.html",
        {"lessons": lessons, "profile": profile, "past_limit": selectors.PAST_LIMIT, "now_year": localtime(now).year},
    )
