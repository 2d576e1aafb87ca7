"""Every booking state change: one function per transition, each atomic, each checking
that its transition is allowed. Nothing else assigns Booking.status.

Concurrency: a booking attempt locks the instructor's profile row (select_for_update) so
the friendly checks (buffer, lessons per day) see a settled calendar; the exclusion
constraints on bookings are the guarantee underneath, also across instructors for one
student. Side effects run on commit.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from availability import bitmaps
from availability.selectors import day_bits
from availability.services import availability_namespace
from core.cache import bump_namespace
from core.exceptions import Forbidden
from core.money import cents_for_minutes
from core.timeutil import now as current_time
from instructors.models import InstructorProfile, InstructorService, LocationType

from . import payment_seam, policies
from .errors import (
    DayFull,
    HoldExpired,
    InvalidOption,
    InvalidTransition,
    OutsideAvailability,
    OutsideBookingWindow,
    PolicyViolation,
    SlotUnavailable,
    StudentBusy,
)
from .models import ACTIVE_STATUSES, Booking, BookingNoShow, BookingStatus, NoShowResolution, NoShowType, Party
from .satellites import ensure_lock, ensure_no_show, ensure_reschedule
from .signals import booking_event

log = logging.getLogger("bookings")

ADDRESS_REQUIRED = {LocationType.STUDENT_LOCATION}
UPCOMING_FOR_CANCEL = [BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED]
EXCLUSION_CONSTRAINTS = {
    "bookings_booking_no_instructor_overlap": SlotUnavailable,
    "bookings_booking_no_student_overlap": StudentBusy,
}


# --- helpers ------------------------------------------------------------------------------


def _calendar_changed(booking: Booking) -> None:
    """Public availability shows booked time as taken: refresh it after commit."""
    transaction.on_commit(lambda: bump_namespace(availability_namespace(booking.instructor_id)))


def _announce(booking: Booking, event: str) -> None:
    """Tell decoupled listeners (messaging) once the change commits."""
    booking_id = booking.pk
    transaction.on_commit(lambda: booking_event.send(sender=Booking, booking_id=booking_id, event=event))


def _set_status(booking: Booking, to: str, *, allowed_from, extra_fields=()) -> None:
    if booking.status not in allowed_from:
        raise InvalidTransition(
            f"A {booking.get_status_display().lower()} booking can't become {BookingStatus(to).label.lower()}.",
            current_status=booking.status,
        )
    booking.status = to
    booking.save(update_fields=["status", "updated_at", *extra_fields])


def _locked(booking: Booking) -> Booking:
    """Re-read a booking under a row lock: transitions decide on settled state."""
    return Booking.objects.select_for_update().select_related("instructor__user", "student").get(pk=booking.pk)


def _party(booking: Booking, user: User) -> str:
    if user.pk == booking.student_id:
        return Party.STUDENT
    if user.pk == booking.instructor.user_id:
        return Party.INSTRUCTOR
    if user.has_perm("bookings.manage_any_booking"):
        return Party.STAFF
    raise Forbidden("This is not your booking.")


# --- booking a lesson ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A lesson's place on the instructor's calendar: local date and minutes, and UTC instants."""

    local_date: dt.date
    start_minute: int
    end_minute: int
    start_at: dt.datetime
    end_at: dt.datetime


def _lesson_slot(profile: InstructorProfile, start_at: dt.datetime, duration: int) -> Slot:
    """Where a lesson falls in the instructor's zone; it must start at a real clock time and
    end on the same local day."""
    tz_name = profile.user.timezone
    local_date, start_minute = bitmaps.utc_to_local_minute(start_at, tz_name)
    end_minute = start_minute + duration
    if (
        end_minute > bitmaps.MINUTES_PER_DAY
        or bitmaps.local_minute_to_utc(local_date, start_minute, tz_name) != start_at
    ):
        raise OutsideAvailability("Lessons start and end on the same day, at a time that exists on the clock.")
    end_at = bitmaps.local_minute_to_utc(local_date, end_minute, tz_name)
    return Slot(local_date, start_minute, end_minute, start_at, end_at)


def _validate_request(
    *, student: User, offering: InstructorService, start_at: dt.datetime, duration: int, now: dt.datetime
) -> None:
    profile = offering.instructor
    if not student.has_perm("accounts.book_lessons"):
        raise Forbidden("Only student accounts can book lessons.")
    if student.pk == profile.user_id:
        raise InvalidOption("You can't book a lesson with yourself.")
    if not offering.is_active or not profile.is_live:
        raise InvalidOption("This service is no longer offered.")
    if duration not in offering.durations:
        offered = ", ".join(str(d) for d in offering.durations)
        raise InvalidOption(
            f"Choose a lesson length this service offers ({offered} minutes).", fields={"duration": "Not offered."}
        )
    if start_at.tzinfo is None:
        raise InvalidOption("Start times need a time zone.")
    problem = policies.booking_window_problem(
        start=start_at,
        now=now,
        min_notice_minutes=profile.min_notice_minutes,
        horizon_days=profile.booking_horizon_days,
    )
    if problem:
        raise OutsideBookingWindow(problem, fields={"start_at": problem})


def _check_calendar(profile: InstructorProfile, *, student: User, slot: Slot, ignore_pk=None) -> None:
    """The friendly checks; the exclusion constraints are the guarantee behind them."""
    if not bitmaps.is_range_open(day_bits(profile, slot.local_date), slot.start_minute, slot.end_minute):
        raise OutsideAvailability()
    buffer = dt.timedelta(minutes=profile.buffer_minutes)
    active = Booking.objects.filter(status__in=ACTIVE_STATUSES).exclude(pk=ignore_pk)
    if active.filter(instructor=profile, start_at__lt=slot.end_at + buffer, end_at__gt=slot.start_at - buffer).exists():
        raise SlotUnavailable()
    if active.filter(student=student, start_at__lt=slot.end_at, end_at__gt=slot.start_at).exists():
        raise StudentBusy()
    if active.filter(instructor=profile, date=slot.local_date).count() >= profile.max_lessons_per_day:
        raise DayFull()


def _claim_slot(
    *,
    student: User,
    offering: InstructorService,
    start_at: dt.datetime,
    duration: int,
    now: dt.datetime,
    ignore_pk=None,
) -> Slot:
    """Check a requested lesson time and lock the instructor's calendar until the caller's
    transaction ends, so the checks still hold when the booking is written."""
    _validate_request(student=student, offering=offering, start_at=start_at, duration=duration, now=now)
    profile = offering.instructor
    slot = _lesson_slot(profile, start_at, duration)
    InstructorProfile.objects.select_for_update().get(pk=profile.pk)
    _release_stale_holds(profile, student, now)
    _check_calendar(profile, student=student, slot=slot, ignore_pk=ignore_pk)
    return slot


def _release_stale_holds(profile: InstructorProfile, student: User, now: dt.datetime) -> None:
    """Holds past their expiry never block anyone, even before the beat task sweeps them."""
    stale = Booking.objects.filter(
        Q(instructor=profile) | Q(student=student), status=BookingStatus.HELD, hold_expires_at__lte=now
    )
    for booking in stale.select_for_update(skip_locked=True):
        _expire(booking)


def _insert(booking: Booking) -> Booking:
    try:
        with transaction.atomic():
            booking.save(force_insert=True)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
        raise EXCLUSION_CONSTRAINTS.get(constraint, SlotUnavailable)() from error
    return booking


def hold_booking(
    *, student: User, offering: InstructorService, start_at: dt.datetime, duration: int, idempotency_key: str
) -> Booking:
    """Hold a time for a student in checkout. The same key returns the same booking."""
    existing = Booking.objects.filter(student=student, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = current_time()
    try:
        with transaction.atomic():
            slot = _claim_slot(
                student=student, offering=offering, start_at=start_at.astimezone(dt.UTC), duration=duration, now=now
            )
            booking = _new_booking(
                student=student,
                offering=offering,
                slot=slot,
                idempotency_key=idempotency_key,
                status=BookingStatus.HELD,
            )
            booking.hold_expires_at = policies.hold_expires_at(now=now)
            _insert(booking)
            payment_seam.on_booking_confirmed(booking)
            _calendar_changed(booking)
            return booking
    except (SlotUnavailable, StudentBusy):
        # A double-click racing itself: the first request's booking is the answer.
        existing = Booking.objects.filter(student=student, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        raise


def _new_booking(
    *, student: User, offering: InstructorService, slot: Slot, idempotency_key: str, status: str
) -> Booking:
    profile = offering.instructor
    duration = slot.end_minute - slot.start_minute
    return Booking(
        student=student,
        instructor=profile,
        offering=offering,
        service_name=offering.service.name,
        date=slot.local_date,
        start_time=_clock(slot.start_minute),
        end_time=_clock(slot.end_minute),
        instructor_timezone=profile.user.timezone,
        start_at=slot.start_at,
        end_at=slot.end_at,
        duration_minutes=duration,
        hourly_rate_cents=offering.hourly_rate_cents,
        price_cents=cents_for_minutes(offering.hourly_rate_cents, duration),
        location_type=offering.location_types[0],
        status=status,
        idempotency_key=idempotency_key,
    )


def _clock(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60) if minute < bitmaps.MINUTES_PER_DAY else dt.time(0, 0)


def confirm_booking(
    *,
    booking: Booking,
    student: User,
    location_type: str,
    address: str = "",
    note: str = "",
    payment_method_id: str | None = None,
    use_credit: bool = True,
) -> Booking:
    """Finish checkout: choose where, then confirm (or send a request when the instructor
    confirms bookings themselves). Confirming twice returns the booking as it is."""
    with transaction.atomic():
        booking = _locked(booking)
        if booking.student_id != student.pk:
            raise Forbidden("This is not your booking.")
        if booking.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED):
            return booking
        now = current_time()
        hold_ran_out = booking.status == BookingStatus.HELD and booking.hold_expires_at <= now
        if hold_ran_out:
            _expire(booking)  # committed: the time is free again even though we refuse
        else:
            _finish_checkout(booking, location_type=location_type, address=address, note=note, now=now)
            payment_seam.on_checkout(booking, payment_method_id=payment_method_id, use_credit=use_credit)
    if hold_ran_out:
        raise HoldExpired()
    return booking


def _finish_checkout(booking: Booking, *, location_type: str, address: str, note: str, now: dt.datetime) -> None:
    _choose_location(booking, location_type=location_type, address=address)
    booking.student_note = note.strip()[:1000]
    details = ["location_type", "location_address", "student_note"]
    if booking.instructor.requires_confirmation:
        booking.request_deadline = policies.request_deadline(now=now, lesson_start=booking.start_at)
        _set_status(
            booking,
            BookingStatus.REQUESTED,
            allowed_from=[BookingStatus.HELD],
            extra_fields=["request_deadline", *details],
        )
    else:
        booking.confirmed_at = now
        _set_status(
            booking, BookingStatus.CONFIRMED, allowed_from=[BookingStatus.HELD], extra_fields=["confirmed_at", *details]
        )
    _announce(booking, "requested" if booking.status == BookingStatus.REQUESTED else "booked")
    _calendar_changed(booking)


def _choose_location(booking: Booking, *, location_type: str, address: str) -> None:
    if location_type not in booking.offering.location_types:
        raise InvalidOption(
            "Choose one of the places this lesson is offered.", fields={"location_type": "Not offered."}
        )
    address = address.strip()
    if location_type in ADDRESS_REQUIRED and not address:
        raise InvalidOption("Tell your instructor the address for the lesson.", fields={"address": "Required."})
    booking.location_type = location_type
    booking.location_address = address[:300] if location_type != LocationType.ONLINE else ""


@transaction.atomic
def cancel_unpaid_booking(*, booking: Booking) -> Booking:
    """The payment was not completed by its deadline: the system cancels the lesson and both
    people are told (payments decides this; the seam releases the money)."""
    booking = _locked(booking)
    booking.cancelled_at = current_time()
    booking.cancelled_by = Party.SYSTEM
    booking.cancellation_reason = "The payment was not completed in time."
    _set_status(
        booking,
        BookingStatus.CANCELLED,
        allowed_from=UPCOMING_FOR_CANCEL,
        extra_fields=["cancelled_at", "cancelled_by", "cancellation_reason"],
    )
    payment_seam.on_unpaid_cancellation(booking)
    _announce(booking, "cancelled")
    _calendar_changed(booking)
    return booking


# --- requests ------------------------------------------------------------------------------


@transaction.atomic
def accept_request(*, booking: Booking, instructor_user: User) -> Booking:
    booking = _locked(booking)
    _require_instructor(booking, instructor_user)
    if booking.request_deadline and booking.request_deadline <= current_time():
        raise InvalidTransition("This request has expired.")
    booking.confirmed_at = current_time()
    _set_status(booking, BookingStatus.CONFIRMED, allowed_from=[BookingStatus.REQUESTED], extra_fields=["confirmed_at"])
    _announce(booking, "confirmed")
    return booking


@transaction.atomic
def decline_request(*, booking: Booking, instructor_user: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    _require_instructor(booking, instructor_user)
    booking.cancelled_at = current_time()
    booking.cancelled_by = Party.INSTRUCTOR
    booking.cancellation_reason = reason.strip()[:300]
    _set_status(
        booking,
        BookingStatus.DECLINED,
        allowed_from=[BookingStatus.REQUESTED],
        extra_fields=["cancelled_at", "cancelled_by", "cancellation_reason"],
    )
    payment_seam.on_booking_released(booking)
    _announce(booking, "declined")
    _calendar_changed(booking)
    return booking


def _require_instructor(booking: Booking, user: User) -> None:
    if booking.instructor.user_id != user.pk:
        raise Forbidden("Only the lesson's instructor can do that.")


def _expire(booking: Booking) -> None:
    _set_status(booking, BookingStatus.EXPIRED, allowed_from=[BookingStatus.HELD, BookingStatus.REQUESTED])
    payment_seam.on_booking_released(booking)
    _calendar_changed(booking)


def release_expired_holds(*, now: dt.datetime | None = None) -> int:
    """Beat task: free holds whose checkout time ran out. Safe to run twice or concurrently."""
    return _expire_where(Q(status=BookingStatus.HELD, hold_expires_at__lte=now or current_time()))


def expire_unanswered_requests(*, now: dt.datetime | None = None) -> int:
    """Beat task: requests the instructor did not answer in time lapse and free the time."""
    return _expire_where(Q(status=BookingStatus.REQUESTED, request_deadline__lte=now or current_time()))


def _expire_where(condition: Q) -> int:
    expired = 0
    for pk in Booking.objects.filter(condition).values_list("pk", flat=True):
        with transaction.atomic():
            booking = Booking.objects.select_for_update(skip_locked=True).filter(condition, pk=pk).first()
            if booking is not None:
                _expire(booking)
                expired += 1
    return expired


# --- cancel, reschedule, complete ------------------------------------------------------------


def cancellation_preview(*, booking: Booking, user: User) -> policies.CancellationOutcome:
    """What cancelling now would cost, to show before the user confirms."""
    if booking.status not in UPCOMING_FOR_CANCEL:
        raise InvalidTransition("Only upcoming lessons can be cancelled.", current_status=booking.status)
    try:
        return policies.cancellation_outcome(
            cancelled_by=_policy_party(_party(booking, user)),
            lesson_start=booking.start_at,
            now=current_time(),
            price_cents=booking.price_cents,
            confirmed=booking.status == BookingStatus.CONFIRMED,
        )
    except policies.PolicyViolation as violation:
        raise PolicyViolation(violation.message, code=violation.code) from violation


def _policy_party(party: str) -> str:
    return policies.STAFF if party == Party.STAFF else party


@transaction.atomic
def cancel_booking(*, booking: Booking, user: User, reason: str = "") -> policies.CancellationOutcome:
    booking = _locked(booking)
    party = _party(booking, user)
    outcome = cancellation_preview(booking=booking, user=user)
    abandoned_checkout = booking.status == BookingStatus.HELD  # nothing the other side ever saw
    booking.cancelled_at = current_time()
    booking.cancelled_by = party
    booking.cancellation_reason = reason.strip()[:300]
    _set_status(
        booking,
        BookingStatus.CANCELLED,
        allowed_from=UPCOMING_FOR_CANCEL,
        extra_fields=["cancelled_at", "cancelled_by", "cancellation_reason"],
    )
    payment_seam.on_booking_cancelled(booking, charge_cents=outcome.charge_cents)
    if not abandoned_checkout:
        _announce(booking, "cancelled")
    _calendar_changed(booking)
    return outcome


def reschedule_count(booking: Booking) -> int:
    """How many times the chain ending at this booking has been moved."""
    previous = getattr(booking, "rescheduled_from", None)
    return previous.count if previous is not None else 0


def reschedule_preview(*, booking: Booking, user: User) -> policies.RescheduleOutcome:
    if _party(booking, user) != Party.STUDENT:
        raise Forbidden("Only the student can reschedule; instructors can cancel instead.")
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition("Only confirmed lessons can be rescheduled.", current_status=booking.status)
    return policies.reschedule_outcome(
        lesson_start=booking.start_at,
        now=current_time(),
        reschedule_count=reschedule_count(booking),
        price_cents=booking.price_cents,
    )


@transaction.atomic
def reschedule_booking(*, booking: Booking, user: User, start_at: dt.datetime, idempotency_key: str) -> Booking:
    """Move a confirmed lesson to a new time (same service, length and place). The old
    booking becomes 'rescheduled' and points at the new one; all or nothing."""
    existing = Booking.objects.filter(student=user, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    booking = _locked(booking)
    outcome = reschedule_preview(booking=booking, user=user)
    if not outcome.allowed:
        raise PolicyViolation(outcome.reason)
    now = current_time()
    slot = _claim_slot(
        student=user,
        offering=booking.offering,
        start_at=start_at.astimezone(dt.UTC),
        duration=booking.duration_minutes,
        now=now,
        ignore_pk=booking.pk,
    )
    _set_status(booking, BookingStatus.RESCHEDULED, allowed_from=[BookingStatus.CONFIRMED])
    new = _new_booking(
        student=user,
        offering=booking.offering,
        slot=slot,
        idempotency_key=idempotency_key,
        status=BookingStatus.CONFIRMED,
    )
    new.hourly_rate_cents, new.price_cents = booking.hourly_rate_cents, booking.price_cents  # the price carries over
    new.location_type, new.location_address = booking.location_type, booking.location_address
    new.student_note, new.confirmed_at = booking.student_note, now
    _insert(new)
    previous = getattr(booking, "rescheduled_from", None)
    ensure_reschedule(
        booking,
        rescheduled_to=new,
        count=reschedule_count(booking) + 1,
        original_start_at=previous.original_start_at if previous else booking.start_at,
        late=outcome.late,
    )
    if outcome.lock_funds:
        ensure_lock(booking, locked_at=now, amount_cents=booking.price_cents)
    payment_seam.on_booking_rescheduled(booking, new, lock_funds=outcome.lock_funds)
    _announce(new, "rescheduled")
    _calendar_changed(booking)
    return new


def complete_finished_lessons(*, now: dt.datetime | None = None) -> int:
    """Beat task: confirmed lessons whose end has passed are completed. Idempotent."""
    condition = Q(status=BookingStatus.CONFIRMED, end_at__lte=now or current_time())
    completed = 0
    for pk in Booking.objects.filter(condition).values_list("pk", flat=True):
        with transaction.atomic():
            booking = Booking.objects.select_for_update(skip_locked=True).filter(condition, pk=pk).first()
            if booking is not None:
                booking.completed_at = now or current_time()
                _set_status(
                    booking,
                    BookingStatus.COMPLETED,
                    allowed_from=[BookingStatus.CONFIRMED],
                    extra_fields=["completed_at"],
                )
                _announce(booking, "completed")
                completed += 1
    return completed


# --- no-shows ----------------------------------------------------------------------------------


@transaction.atomic
def report_no_show(*, booking: Booking, user: User, note: str = "") -> BookingNoShow:
    """The student reports the instructor missing, or the instructor the student."""
    booking = _locked(booking)
    party = _party(booking, user)
    if party == Party.STAFF:
        raise Forbidden("Only the student or the instructor can report a no-show.")
    if not policies.can_report_no_show(lesson_start=booking.start_at, lesson_end=booking.end_at, now=current_time()):
        raise PolicyViolation("No-shows can be reported from the lesson's start until 24 hours after it ends.")
    no_show_type = NoShowType.INSTRUCTOR if party == Party.STUDENT else NoShowType.STUDENT
    _set_status(booking, BookingStatus.NO_SHOW, allowed_from=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED])
    return ensure_no_show(
        booking, no_show_type=no_show_type, reported_by=user, reported_at=current_time(), note=note.strip()[:500]
    )


@transaction.atomic
def dispute_no_show(*, booking: Booking, user: User, note: str) -> BookingNoShow:
    booking = _locked(booking)
    no_show = BookingNoShow.objects.select_for_update().filter(booking=booking).first()
    if no_show is None or booking.status != BookingStatus.NO_SHOW:
        raise InvalidTransition("There is no no-show report to dispute.")
    if no_show.reported_by_id == user.pk or _party(booking, user) == Party.STAFF:
        raise Forbidden("Only the other person can dispute a no-show report.")
    if no_show.disputed_at or no_show.resolved_at:
        raise InvalidTransition("This report has already been disputed or resolved.")
    if not note.strip():
        raise InvalidOption("Say what happened.", fields={"note": "Required."})
    no_show.disputed_at = current_time()
    no_show.dispute_note = note.strip()[:500]
    no_show.save(update_fields=["disputed_at", "dispute_note", "updated_at"])
    return no_show


@transaction.atomic
def resolve_no_show(*, booking: Booking, staff_user: User, resolution: str) -> BookingNoShow:
    """Staff decide: upheld keeps the no-show; dismissed means the lesson happened."""
    if not staff_user.has_perm("bookings.resolve_no_shows"):
        raise Forbidden("You can't resolve no-show reports.")
    if resolution not in NoShowResolution.values:
        raise InvalidOption("Choose upheld or dismissed.")
    booking = _locked(booking)
    no_show = BookingNoShow.objects.select_for_update().filter(booking=booking).first()
    if no_show is None or no_show.resolved_at:
        raise InvalidTransition("There is no open no-show report on this booking.")
    no_show.resolution = resolution
    no_show.resolved_at = current_time()
    no_show.resolved_by = staff_user
    no_show.save(update_fields=["resolution", "resolved_at", "resolved_by", "updated_at"])
    if resolution == NoShowResolution.DISMISSED:
        booking.completed_at = booking.completed_at or current_time()
        _set_status(
            booking, BookingStatus.COMPLETED, allowed_from=[BookingStatus.NO_SHOW], extra_fields=["completed_at"]
        )
    return no_show
