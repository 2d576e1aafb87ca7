"""Every booking state change: one function per transition, each atomic, each checking that
its transition is allowed. Nothing else assigns Booking.status.

What a person may do to a lesson is answered by one policy, `policies.lesson_actions`; every
transition here enforces it (`_require`), and pages, the API and the admin only read it
(`actions_for`).

Locks: a transition locks the booking row first and, when it records a money decision, the
booking's payment row after it (booking before payment, everywhere: payments' own steps and
webhooks lock only the payment row). A booking attempt also locks the instructor's profile row
so the friendly checks (buffer, lessons per day) see a settled calendar; the exclusion
constraints on bookings are the guarantee underneath, also across instructors for one student.
Side effects run on commit: `booking_event` for people (messaging), `booking_changed` for the
payments app, which moves the money in a task.
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
from core import ratelimit
from core.cache import bump_namespace
from core.exceptions import Forbidden
from core.money import cents_for_minutes
from core.services import record_audit
from core.timeutil import now as current_time
from instructors.models import InstructorProfile, InstructorService, LocationType

from . import notices, payment_seam, policies, selectors
from .errors import (
    DayFull,
    HoldExpired,
    InvalidOption,
    InvalidTransition,
    OutsideAvailability,
    OutsideBookingWindow,
    PaymentNotSecured,
    PolicyViolation,
    SlotUnavailable,
    StudentBusy,
)
from .models import (
    ACTIVE_STATUSES,
    Booking,
    BookingNoShow,
    BookingPayment,
    BookingStatus,
    NoShowResolution,
    NoShowType,
    Party,
)
from .openings import SLOT_STEP_MINUTES
from .satellites import ensure_lock, ensure_no_show, ensure_reschedule
from .signals import booking_changed, booking_event

log = logging.getLogger("bookings")

ADDRESS_REQUIRED = {LocationType.STUDENT_LOCATION}
UPCOMING_FOR_CANCEL = [BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED]
UNPAID_CANCELLATION_REASON = "The payment didn't go through."
# A refusal from the policy becomes the domain error every channel answers with.
REFUSALS = {
    "forbidden": Forbidden,
    "hold_expired": HoldExpired,
    "invalid_transition": InvalidTransition,
    "lesson_started": PolicyViolation,
    "policy_violation": PolicyViolation,
}
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


def _changed(booking: Booking) -> None:
    """Tell the payments app once the change commits: it moves the money in a task."""
    booking_id = booking.pk
    transaction.on_commit(lambda: booking_changed.send(sender=Booking, booking_id=booking_id))


def _set_status(booking: Booking, to: str, *, allowed_from, extra_fields=()) -> None:
    if booking.status not in allowed_from:
        raise InvalidTransition(
            f"A {booking.get_status_display().lower()} booking can't become {BookingStatus(to).label.lower()}.",
            current_status=booking.status,
        )
    booking.status = to
    booking.save(update_fields=["status", "updated_at", *extra_fields])
    _changed(booking)


def _end(
    booking: Booking, to: str, *, by: str, reason: str, event: str | None, allowed_from=UPCOMING_FOR_CANCEL
) -> None:
    """A lesson that will not happen (cancelled or declined): who ended it, why, and who is told.
    The caller records what happens to the money (its seam hook)."""
    booking.cancelled_at = current_time()
    booking.cancelled_by = by
    booking.cancellation_reason = reason.strip()[:300]
    _set_status(
        booking,
        to,
        allowed_from=allowed_from,
        extra_fields=["cancelled_at", "cancelled_by", "cancellation_reason"],
    )
    if event:
        _announce(booking, event)
    _calendar_changed(booking)


def _locked(booking: Booking) -> Booking:
    """Re-read a booking under a row lock: transitions decide on settled state."""
    return Booking.objects.select_for_update().select_related("instructor__user", "student").get(pk=booking.pk)


def party_of(booking: Booking, user: User) -> str:
    """Party.STUDENT, INSTRUCTOR or STAFF (who may manage any booking); anyone else: Forbidden."""
    if user.pk == booking.student_id:
        return Party.STUDENT
    if user.pk == booking.instructor.user_id:
        return Party.INSTRUCTOR
    if user.has_perm("bookings.manage_any_booking"):
        return Party.STAFF
    raise Forbidden("This is not your booking.")


def lesson_facts(booking: Booking) -> policies.LessonFacts:
    """What the policy reads about a booking (its no-show and reschedule satellites are loaded
    with it by the selectors)."""
    no_show = selectors.satellite(booking, "no_show")
    reported_by = ""
    if no_show is not None:
        reported_by = Party.INSTRUCTOR if no_show.no_show_type == NoShowType.STUDENT else Party.STUDENT
    return policies.LessonFacts(
        status=booking.status,
        start_at=booking.start_at,
        end_at=booking.end_at,
        price_cents=booking.price_cents,
        hold_expires_at=booking.hold_expires_at,
        request_deadline=booking.request_deadline,
        reschedule_count=reschedule_count(booking),
        no_show_reported_by=reported_by,
        no_show_disputed=bool(no_show and no_show.disputed_at),
        no_show_resolved=bool(no_show and no_show.resolved_at),
    )


def actions_for(booking: Booking, user: User, *, now: dt.datetime | None = None) -> policies.LessonActions:
    """What `user` may do to this booking now (Forbidden when it is not theirs)."""
    return policies.lesson_actions(lesson_facts(booking), party=party_of(booking, user), now=now or current_time())


def require(action: policies.Action) -> None:
    """Raise the refusal of an action the policy does not allow, as every channel answers it."""
    if not action.allowed:
        raise REFUSALS.get(action.code, InvalidTransition)(action.reason, code=action.code or None)


def _audit_staff(booking: Booking, user: User, party: str, action: str, *, before: str, reason: str = "") -> None:
    """Every staff action on a lesson leaves an audit row."""
    if party == Party.STAFF:
        record_audit(
            actor=user,
            action=action,
            target=booking,
            reason=reason,
            before={"status": before},
            after={"status": booking.status},
        )


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
    if start_minute % SLOT_STEP_MINUTES:
        raise OutsideAvailability(
            f"Lessons start on the instructor's {SLOT_STEP_MINUTES}-minute grid: pick one of the times offered.",
            fields={"start_at": "Not one of the times offered."},
        )
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
    ratelimit.enforce_money_path("booking_hold", student)  # a replay above is free
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
            payment_seam.on_hold(booking)
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
    *, booking: Booking, student: User, location_type: str, address: str = "", note: str = ""
) -> Booking:
    """Finish checkout once the payment is planned (payments' checkout does that first): choose
    where, then confirm, or send a request when the instructor confirms bookings themselves.
    Refused while a lesson inside the authorization window has no authorized card: nothing says
    "booked" before the money is secured. Confirming twice returns the booking as it is."""
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
            require(policies.lesson_actions(lesson_facts(booking), party=Party.STUDENT, now=now).finish_checkout)
            check_checkout_choices(booking, location_type=location_type, address=address)
            _require_payment_secured(booking, now)
            _finish_checkout(booking, location_type=location_type, address=address, note=note, now=now)
    if hold_ran_out:
        raise HoldExpired()
    return booking


def check_checkout_choices(booking: Booking, *, location_type: str, address: str) -> None:
    """The checkout form's choices, checked before anything is paid (InvalidOption)."""
    if location_type not in booking.offering.location_types:
        raise InvalidOption(
            "Choose one of the places this lesson is offered.", fields={"location_type": "Not offered."}
        )
    if location_type in ADDRESS_REQUIRED and not address.strip():
        raise InvalidOption("Tell your instructor the address for the lesson.", fields={"address": "Required."})


def _require_payment_secured(booking: Booking, now: dt.datetime) -> None:
    payment = BookingPayment.objects.select_for_update().filter(booking=booking).first()
    if payment is None or not payment_seam.payment_ready(payment, lesson_start=booking.start_at, now=now):
        raise PaymentNotSecured()


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
    address = address.strip()
    booking.location_type = location_type
    booking.location_address = address[:300] if location_type != LocationType.ONLINE else ""


def cancel_unpaid_lessons(*, now: dt.datetime | None = None) -> int:
    """Beat task: confirmed lessons whose failed payment was not fixed by its deadline are
    cancelled by the system, and both people are told. Safe to run twice or concurrently."""
    now = now or current_time()
    cancelled = 0
    for booking_id in selectors.unpaid_past_deadline(now):
        with transaction.atomic():
            booking = Booking.objects.select_for_update(skip_locked=True).filter(pk=booking_id).first()
            if booking is None:
                continue
            payment = BookingPayment.objects.select_for_update().get(booking=booking)  # booking before payment
            if not selectors.is_unpaid_past_deadline(booking, payment, now):
                continue  # fixed, cancelled or moved since the read above
            _end(
                booking,
                BookingStatus.CANCELLED,
                by=Party.SYSTEM,
                reason=UNPAID_CANCELLATION_REASON,
                event="cancelled",
                allowed_from=[BookingStatus.CONFIRMED],
            )
            payment_seam.on_unpaid_cancellation(booking)
            transaction.on_commit(lambda booking_id=booking.pk: notices.email_unpaid_cancellation(booking_id))
            cancelled += 1
    return cancelled


# --- requests ------------------------------------------------------------------------------


@transaction.atomic
def accept_request(*, booking: Booking, instructor_user: User) -> Booking:
    booking = _locked(booking)
    _require_instructor(booking, instructor_user)
    require(actions_for(booking, instructor_user).accept)
    booking.confirmed_at = current_time()
    _set_status(booking, BookingStatus.CONFIRMED, allowed_from=[BookingStatus.REQUESTED], extra_fields=["confirmed_at"])
    _announce(booking, "confirmed")
    return booking


@transaction.atomic
def decline_request(*, booking: Booking, instructor_user: User, reason: str = "") -> Booking:
    booking = _locked(booking)
    _require_instructor(booking, instructor_user)
    require(actions_for(booking, instructor_user).decline)
    _end(
        booking,
        BookingStatus.DECLINED,
        by=Party.INSTRUCTOR,
        reason=reason,
        event="declined",
        allowed_from=[BookingStatus.REQUESTED],
    )
    payment_seam.on_booking_released(booking)
    return booking


def _require_instructor(booking: Booking, user: User) -> None:
    if booking.instructor.user_id != user.pk:
        raise Forbidden("Only the lesson's instructor can do that.")


def _expire(booking: Booking) -> None:
    was_request = booking.status == BookingStatus.REQUESTED
    _set_status(booking, BookingStatus.EXPIRED, allowed_from=[BookingStatus.HELD, BookingStatus.REQUESTED])
    payment_seam.on_booking_released(booking)
    if was_request:  # an abandoned checkout tells nobody; an unanswered request tells both
        _announce(booking, "expired")
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


@transaction.atomic
def cancel_booking(*, booking: Booking, user: User, reason: str = "") -> policies.CancellationOutcome:
    """Cancel (or withdraw) a lesson, as the policy allows `user` now, at the cost it states."""
    booking = _locked(booking)
    party = party_of(booking, user)
    actions = actions_for(booking, user)
    require(actions.cancel)
    outcome = actions.cancellation
    before = booking.status
    abandoned_checkout = booking.status == BookingStatus.HELD  # nothing the other side ever saw
    _end(booking, BookingStatus.CANCELLED, by=party, reason=reason, event=None if abandoned_checkout else "cancelled")
    payment_seam.on_booking_cancelled(booking, charge_cents=outcome.charge_cents)
    _audit_staff(booking, user, party, "cancel_booking", before=before, reason=booking.cancellation_reason)
    return outcome


def reschedule_count(booking: Booking) -> int:
    """How many times the chain ending at this booking has been moved."""
    previous = getattr(booking, "rescheduled_from", None)
    return previous.count if previous is not None else 0


@dataclass(frozen=True)
class RescheduleTerms:
    """What moving a lesson to a new time changes, for the confirmation step."""

    new_start_at: dt.datetime
    new_end_at: dt.datetime
    outcome: policies.RescheduleOutcome  # what the move itself costs
    cancel_after_move: policies.CancellationOutcome  # cancelling right after the move, counted from the new time
    free_cancel_until: dt.datetime | None  # free cancellation of the moved lesson ends then (None: never free)


def reschedule_terms(*, booking: Booking, user: User, start_at: dt.datetime) -> RescheduleTerms:
    """What moving this lesson to `start_at` would do, checked as the move checks it (the policy,
    the grid, the instructor's openings, both calendars) but holding nothing."""
    actions = actions_for(booking, user)
    require(actions.reschedule)
    start_at = start_at.astimezone(dt.UTC)
    if start_at == booking.start_at:
        raise InvalidOption("That is the lesson's time already: pick another time.", fields={"start_at": "Same time."})
    now = current_time()
    _validate_request(
        student=user, offering=booking.offering, start_at=start_at, duration=booking.duration_minutes, now=now
    )
    slot = _lesson_slot(booking.instructor, start_at, booking.duration_minutes)
    _check_calendar(booking.instructor, student=user, slot=slot, ignore_pk=booking.pk)
    free_until = policies.free_cancellation_deadline(lesson_start=slot.start_at)
    return RescheduleTerms(
        new_start_at=slot.start_at,
        new_end_at=slot.end_at,
        outcome=actions.rescheduling,
        cancel_after_move=policies.cancellation_outcome(
            cancelled_by=policies.STUDENT, lesson_start=slot.start_at, now=now, price_cents=booking.price_cents
        ),
        free_cancel_until=free_until if free_until > now else None,
    )


@transaction.atomic
def reschedule_booking(*, booking: Booking, user: User, start_at: dt.datetime, idempotency_key: str) -> Booking:
    """Move a confirmed lesson to a new time (same service, length and place). The old
    booking becomes 'rescheduled' and points at the new one; all or nothing."""
    existing = Booking.objects.filter(student=user, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    booking = _locked(booking)
    actions = actions_for(booking, user)
    require(actions.reschedule)
    outcome = actions.rescheduling
    start_at = start_at.astimezone(dt.UTC)
    if start_at == booking.start_at:
        raise InvalidOption("That is the lesson's time already: pick another time.", fields={"start_at": "Same time."})
    now = current_time()
    slot = _claim_slot(
        student=user,
        offering=booking.offering,
        start_at=start_at,
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
    paid_upstream = payment_seam.paid_upstream(booking)
    lock_funds = outcome.lock_funds and not paid_upstream  # already locked on the lesson it moved from
    if lock_funds:
        ensure_lock(booking, locked_at=now, amount_cents=booking.price_cents)
    payment_seam.on_booking_rescheduled(booking, new, lock_funds=lock_funds, paid_upstream=paid_upstream)
    _changed(new)
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
    party = party_of(booking, user)
    require(actions_for(booking, user).report_no_show)
    no_show_type = NoShowType.INSTRUCTOR if party == Party.STUDENT else NoShowType.STUDENT
    _set_status(booking, BookingStatus.NO_SHOW, allowed_from=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED])
    return ensure_no_show(
        booking, no_show_type=no_show_type, reported_by=user, reported_at=current_time(), note=note.strip()[:500]
    )


@transaction.atomic
def dispute_no_show(*, booking: Booking, user: User, note: str) -> BookingNoShow:
    booking = _locked(booking)
    require(actions_for(booking, user).dispute_no_show)
    if not note.strip():
        raise InvalidOption("Say what happened.", fields={"note": "Required."})
    no_show = BookingNoShow.objects.select_for_update().get(booking=booking)
    no_show.disputed_at = current_time()
    no_show.dispute_note = note.strip()[:500]
    no_show.save(update_fields=["disputed_at", "dispute_note", "updated_at"])
    return no_show


@transaction.atomic
def resolve_no_show(*, booking: Booking, staff_user: User, resolution: str, reason: str = "") -> BookingNoShow:
    """Staff decide: upheld keeps the no-show; dismissed means the lesson happened. Audited."""
    if not staff_user.has_perm("bookings.resolve_no_shows"):
        raise Forbidden("You can't resolve no-show reports.")
    if resolution not in NoShowResolution.values:
        raise InvalidOption("Choose upheld or dismissed.")
    booking = _locked(booking)
    require(policies.lesson_actions(lesson_facts(booking), party=Party.STAFF, now=current_time()).resolve_no_show)
    no_show = BookingNoShow.objects.select_for_update().get(booking=booking)
    before = {"status": booking.status, "resolution": no_show.resolution}
    no_show.resolution = resolution
    no_show.resolved_at = current_time()
    no_show.resolved_by = staff_user
    no_show.save(update_fields=["resolution", "resolved_at", "resolved_by", "updated_at"])
    if resolution == NoShowResolution.DISMISSED:
        booking.completed_at = booking.completed_at or current_time()
        _set_status(
            booking, BookingStatus.COMPLETED, allowed_from=[BookingStatus.NO_SHOW], extra_fields=["completed_at"]
        )
    else:
        _changed(booking)  # the money can be settled now
    record_audit(
        actor=staff_user,
        action="resolve_no_show",
        target=booking,
        reason=reason,
        before=before,
        after={"status": booking.status, "resolution": resolution},
    )
    return no_show


def forget_student_details(student: User) -> int:
    """Erasure: the addresses and notes a student gave on their lessons are blanked (the lessons
    themselves stay, for the payment records). Returns how many lessons changed."""
    return (
        Booking.objects.filter(student=student)
        .exclude(location_address="", student_note="")
        .update(location_address="", student_note="", updated_at=current_time())
    )
