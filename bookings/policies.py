"""Booking policies (DESIGN.md §4): pure rules, table-tested.

No I/O and no ORM here. Every function takes plain values (aware datetimes, integer cents)
and returns a plain value or a small frozen dataclass, so services and views can ask
"what would happen?" before anything is changed, and tests can state the rules as tables.

Time: every comparison is made on UTC instants. Inputs may be in any zone (a lesson's
``start_at`` in the instructor's zone, ``timezone.now()`` in UTC); they are converted to UTC
before any arithmetic. This matters: Python subtracts two datetimes that share a tzinfo
(two ``America/New_York`` times) on the wall clock and ignores a DST change in between, so
"24 hours before" would be 23 or 25 real hours around the clock changes. Naive datetimes
are rejected with ``ValueError``. Datetimes returned are aware and in UTC.

Boundaries: "at least N hours before" is inclusive (exactly 24h00m00s before is free, one
second less is late). A lesson has started at its start instant: from then on it can no
longer be cancelled or rescheduled.

Constants are Django settings (see the "Booking policies" block in settings.py), read at
call time so ops can tune them per environment and tests can override them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from core.money import format_cents

from .models import BookingStatus, NoShowResolution, NoShowType, PaymentStatus, Settlement

# Fallbacks only for a settings module without the policy block; settings.py is the source.
DEFAULTS = {
    "BOOKING_FREE_CANCELLATION_HOURS": 24,
    "BOOKING_FREE_RESCHEDULE_HOURS": 24,
    "BOOKING_MAX_RESCHEDULES": 2,
    "BOOKING_NO_SHOW_REPORT_HOURS": 24,
    "BOOKING_HOLD_MINUTES": 10,
    "BOOKING_REQUEST_RESPONSE_HOURS": 24,
    "PLATFORM_FEE_PERCENT": 15,
    "PAYMENT_AUTHORIZE_HOURS": 24,
    "PAYMENT_CAPTURE_HOURS": 24,
    "PAYMENT_UNPAID_CANCEL_HOURS": 12,
    "PAYMENT_FIX_MINUTES": 120,
}

# An instructor must answer a booking request at least this long before the lesson starts.
REQUEST_DECISION_CUTOFF = dt.timedelta(hours=1)

STUDENT = "student"
INSTRUCTOR = "instructor"
STAFF = "staff"
CANCELLERS = (STUDENT, INSTRUCTOR, STAFF)


class PolicyViolation(Exception):
    """The rules forbid the action outright. The services layer maps it to a domain error."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CancellationOutcome:
    charge_cents: int  # what the student ends up paying for this lesson
    refund_cents: int  # what is released or refunded to the student (price - charge)
    instructor_paid: bool  # the instructor is paid for the lesson anyway
    reason: str  # one sentence shown to the person cancelling before they confirm
    late: bool  # inside the free-cancellation window (whoever cancels); charges follow charge_cents


@dataclass(frozen=True)
class RescheduleOutcome:
    allowed: bool
    late: bool  # inside the free-reschedule window
    lock_funds: bool  # capture the original payment now and lock it until the new lesson resolves
    reason: str  # one sentence shown to the student before they confirm (or why it is refused)


# --- helpers ---------------------------------------------------------------------------


def _setting(name: str) -> int:
    value = getattr(settings, name, DEFAULTS[name])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"settings.{name} must be a non-negative integer, not {value!r}")
    return value


def _utc(name: str, value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (got naive {value.isoformat()})")
    return value.astimezone(dt.UTC)


def _cents(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be integer cents, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative (got {value})")
    return value


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _hours(count: int) -> str:
    return _plural(count, "hour")


def _notice(minutes: int) -> str:
    """The possessive used before "notice": 2 hours', 1 hour's, 90 minutes'."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour's" if hours == 1 else f"{hours} hours'"
    return "1 minute's" if minutes == 1 else f"{minutes} minutes'"


# --- deadlines -------------------------------------------------------------------------


def free_hours() -> int:
    """BOOKING_FREE_CANCELLATION_HOURS, for pages that state the policy."""
    return _setting("BOOKING_FREE_CANCELLATION_HOURS")


def free_cancellation_deadline(*, lesson_start: dt.datetime) -> dt.datetime:
    """Last instant a student can cancel for free (inclusive)."""
    return _utc("lesson_start", lesson_start) - dt.timedelta(hours=_setting("BOOKING_FREE_CANCELLATION_HOURS"))


def free_reschedule_deadline(*, lesson_start: dt.datetime) -> dt.datetime:
    """Last instant a student can reschedule for free (inclusive)."""
    return _utc("lesson_start", lesson_start) - dt.timedelta(hours=_setting("BOOKING_FREE_RESCHEDULE_HOURS"))


# --- cancelling ------------------------------------------------------------------------


def cancellation_outcome(
    *, cancelled_by: str, lesson_start: dt.datetime, now: dt.datetime, price_cents: int, confirmed: bool = True
) -> CancellationOutcome:
    """What cancelling now costs whom.

    A booking that was never confirmed (still in checkout, or a request the instructor has
    not accepted) is withdrawn for free: there was no lesson to charge for.
    Student at least BOOKING_FREE_CANCELLATION_HOURS before the start: nothing charged.
    Student later than that: the lesson is charged in full and the instructor is paid.
    Instructor or staff: the student pays nothing, whenever it happens.
    Nobody can cancel once the lesson has started (``PolicyViolation("lesson_started")``);
    what happens after the start is a no-show report or a staff refund, not a cancellation.
    """
    if cancelled_by not in CANCELLERS:
        raise ValueError(f"cancelled_by must be one of {', '.join(CANCELLERS)}, not {cancelled_by!r}")
    start = _utc("lesson_start", lesson_start)
    current = _utc("now", now)
    price = _cents("price_cents", price_cents)
    if current >= start:
        raise PolicyViolation("lesson_started", "The lesson has already started, so it can't be cancelled.")

    free_hours = _setting("BOOKING_FREE_CANCELLATION_HOURS")
    late = start - current < dt.timedelta(hours=free_hours)

    if not confirmed:
        reason = "Nothing is charged: this lesson was not confirmed yet."
        return CancellationOutcome(charge_cents=0, refund_cents=price, instructor_paid=False, reason=reason, late=late)
    if cancelled_by == INSTRUCTOR:
        reason = "The student pays nothing: any payment for this lesson is released or refunded."
        return CancellationOutcome(charge_cents=0, refund_cents=price, instructor_paid=False, reason=reason, late=late)
    if cancelled_by == STAFF:
        reason = "Cancelled by staff: the student pays nothing and any payment is released or refunded."
        return CancellationOutcome(charge_cents=0, refund_cents=price, instructor_paid=False, reason=reason, late=late)
    if not late:
        reason = f"Free cancellation: the lesson is at least {_hours(free_hours)} away."
        return CancellationOutcome(charge_cents=0, refund_cents=price, instructor_paid=False, reason=reason, late=False)
    reason = (
        f"Less than {_hours(free_hours)} before the lesson: "
        f"the full {format_cents(price)} is charged and your instructor is paid."
    )
    return CancellationOutcome(charge_cents=price, refund_cents=0, instructor_paid=True, reason=reason, late=True)


# --- rescheduling ----------------------------------------------------------------------


def reschedule_outcome(
    *, lesson_start: dt.datetime, now: dt.datetime, reschedule_count: int, price_cents: int
) -> RescheduleOutcome:
    """Whether the student may move this lesson now, and what happens to the payment.

    ``reschedule_count`` is how many times the booking chain has already been rescheduled.
    At least BOOKING_FREE_RESCHEDULE_HOURS before: free, the payment moves to the new booking.
    Later: allowed, but the original payment is captured and locked until the new lesson
    resolves. Refused once the lesson has started or after BOOKING_MAX_RESCHEDULES moves.
    """
    start = _utc("lesson_start", lesson_start)
    current = _utc("now", now)
    price = _cents("price_cents", price_cents)
    if isinstance(reschedule_count, bool) or not isinstance(reschedule_count, int) or reschedule_count < 0:
        raise ValueError(f"reschedule_count must be a non-negative integer, not {reschedule_count!r}")

    free_hours = _setting("BOOKING_FREE_RESCHEDULE_HOURS")
    max_reschedules = _setting("BOOKING_MAX_RESCHEDULES")
    late = start - current < dt.timedelta(hours=free_hours)

    if current >= start:
        reason = "The lesson has already started, so it can't be rescheduled."
        return RescheduleOutcome(allowed=False, late=True, lock_funds=False, reason=reason)
    if reschedule_count >= max_reschedules:
        if max_reschedules == 0:
            reason = "Lessons can't be rescheduled; cancel and book a new time instead."
        else:
            reason = (
                f"This lesson has already been rescheduled {_plural(reschedule_count, 'time')}; "
                f"a booking can be moved at most {_plural(max_reschedules, 'time')}."
            )
        return RescheduleOutcome(allowed=False, late=late, lock_funds=False, reason=reason)
    if not late:
        reason = (
            f"Free reschedule: the lesson is at least {_hours(free_hours)} away, "
            "and your payment moves to the new time."
        )
        return RescheduleOutcome(allowed=True, late=False, lock_funds=False, reason=reason)
    reason = (
        f"Less than {_hours(free_hours)} before the lesson: your {format_cents(price)} is charged now "
        "and held until your new lesson is done."
    )
    return RescheduleOutcome(allowed=True, late=True, lock_funds=True, reason=reason)


# --- no-shows --------------------------------------------------------------------------


def no_show_report_deadline(*, lesson_end: dt.datetime) -> dt.datetime:
    """Last instant a no-show can be reported (inclusive)."""
    return _utc("lesson_end", lesson_end) + dt.timedelta(hours=_setting("BOOKING_NO_SHOW_REPORT_HOURS"))


def no_show_report_window(*, lesson_start: dt.datetime, lesson_end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(opens_at, closes_at), both inclusive: from the lesson start until
    BOOKING_NO_SHOW_REPORT_HOURS after its end."""
    opens_at = _utc("lesson_start", lesson_start)
    end = _utc("lesson_end", lesson_end)
    if end < opens_at:
        raise ValueError("lesson_end must not be before lesson_start")
    return opens_at, no_show_report_deadline(lesson_end=end)


def can_report_no_show(*, lesson_start: dt.datetime, lesson_end: dt.datetime, now: dt.datetime) -> bool:
    opens_at, closes_at = no_show_report_window(lesson_start=lesson_start, lesson_end=lesson_end)
    return opens_at <= _utc("now", now) <= closes_at


# --- holds and requests ----------------------------------------------------------------


def hold_expires_at(*, now: dt.datetime) -> dt.datetime:
    """When a checkout hold taken now lapses (its slot is released after this instant)."""
    return _utc("now", now) + dt.timedelta(minutes=_setting("BOOKING_HOLD_MINUTES"))


def request_deadline(*, now: dt.datetime, lesson_start: dt.datetime) -> dt.datetime:
    """When an unanswered booking request expires.

    ``now + BOOKING_REQUEST_RESPONSE_HOURS``, but never later than one hour
    (REQUEST_DECISION_CUTOFF) before the lesson start. If that cutoff has already passed
    (a request for a lesson less than an hour away), the deadline is ``now``: there is no
    time to wait for an answer, so the request is expired at once. Services should not offer
    request-to-book in that case (``request_deadline(...) <= now`` tells them so).
    """
    current = _utc("now", now)
    start = _utc("lesson_start", lesson_start)
    deadline = min(
        current + dt.timedelta(hours=_setting("BOOKING_REQUEST_RESPONSE_HOURS")),
        start - REQUEST_DECISION_CUTOFF,
    )
    return max(deadline, current)


# --- money -----------------------------------------------------------------------------


def platform_fee_cents(price_cents: int) -> int:
    """PLATFORM_FEE_PERCENT of the price, in integer arithmetic, rounded half up to the cent."""
    price = _cents("price_cents", price_cents)
    percent = _setting("PLATFORM_FEE_PERCENT")
    if percent > 100:
        raise ValueError(f"settings.PLATFORM_FEE_PERCENT must be at most 100, not {percent}")
    return (price * percent + 50) // 100


def instructor_payout_cents(price_cents: int) -> int:
    """The instructor's share: price minus the platform fee (so the two always add up)."""
    return _cents("price_cents", price_cents) - platform_fee_cents(price_cents)


# --- booking window --------------------------------------------------------------------


def booking_window_problem(
    *, start: dt.datetime, now: dt.datetime, min_notice_minutes: int, horizon_days: int
) -> str | None:
    """None when a lesson starting at ``start`` can be booked now, else why not.

    Both limits are inclusive: exactly ``min_notice_minutes`` ahead and exactly
    ``horizon_days`` (x 24 real hours) ahead are bookable. A start at ``now`` has passed.
    """
    begin = _utc("start", start)
    current = _utc("now", now)
    for name, value in (("min_notice_minutes", min_notice_minutes), ("horizon_days", horizon_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    if begin <= current:
        return "That time has passed."
    if begin - current < dt.timedelta(minutes=min_notice_minutes):
        return f"Lessons need at least {_notice(min_notice_minutes)} notice."
    if begin - current > dt.timedelta(days=horizon_days):
        return f"You can book up to {_plural(horizon_days, 'day')} ahead."
    return None


# --- paying for a lesson ---------------------------------------------------------------


def authorization_due(*, lesson_start: dt.datetime, now: dt.datetime) -> bool:
    """The card is authorized PAYMENT_AUTHORIZE_HOURS before the lesson: at checkout (with the
    student there to answer their bank) when the lesson is already that close."""
    return _utc("now", now) >= _utc("lesson_start", lesson_start) - dt.timedelta(
        hours=_setting("PAYMENT_AUTHORIZE_HOURS")
    )


def capture_due(*, lesson_end: dt.datetime, now: dt.datetime) -> bool:
    """A completed lesson is charged PAYMENT_CAPTURE_HOURS after it ends (the window to report a
    no-show or dispute it)."""
    return _utc("now", now) >= _utc("lesson_end", lesson_end) + dt.timedelta(hours=_setting("PAYMENT_CAPTURE_HOURS"))


def unpaid_deadline(*, lesson_start: dt.datetime, failed_at: dt.datetime) -> dt.datetime | None:
    """Until when a student may fix a failed authorization before the lesson is cancelled.

    PAYMENT_UNPAID_CANCEL_HOURS before the lesson, but never sooner than PAYMENT_FIX_MINUTES after
    the failure (the student always has time to act) and never after the lesson starts (a lesson
    is not cancelled while it happens). None when the lesson had already started: then nothing is
    cancelled, and the charge is tried again when the lesson is settled."""
    start = _utc("lesson_start", lesson_start)
    failed = _utc("failed_at", failed_at)
    if failed >= start:
        return None
    fix_by = min(failed + dt.timedelta(minutes=_setting("PAYMENT_FIX_MINUTES")), start)
    return max(start - dt.timedelta(hours=_setting("PAYMENT_UNPAID_CANCEL_HOURS")), fix_by)


def settlement_due(
    *, status: str, lesson_end: dt.datetime, now: dt.datetime, no_show_type: str = "", no_show_resolution: str = ""
) -> str:
    """What a finished booking's money does, once that is known: Settlement.CHARGE, RELEASE or
    "" (not known yet). Cancellations record their own (`cancellation_outcome`)."""
    if status == BookingStatus.COMPLETED:
        return Settlement.CHARGE if capture_due(lesson_end=lesson_end, now=now) else ""
    if status == BookingStatus.NO_SHOW and no_show_resolution == NoShowResolution.UPHELD:
        return Settlement.CHARGE if no_show_type == NoShowType.STUDENT else Settlement.RELEASE
    if status in (BookingStatus.DECLINED, BookingStatus.EXPIRED):
        return Settlement.RELEASE
    return ""


def locked_funds_outcome(
    *, status: str, cancelled_by: str = "", no_show_type: str = "", no_show_resolution: str = ""
) -> str:
    """Money locked by a late reschedule follows the lesson it moved to (`status` and the rest
    describe that lesson): paid to the instructor once it happens or the student drops it;
    refunded when the instructor's side fails it. "" while that lesson is still open."""
    if status == BookingStatus.COMPLETED:
        return "paid_to_instructor"
    if status == BookingStatus.CANCELLED:
        return "paid_to_instructor" if cancelled_by == STUDENT else "refunded"
    if status in (BookingStatus.DECLINED, BookingStatus.EXPIRED):
        return "refunded"
    if status == BookingStatus.NO_SHOW and no_show_resolution == NoShowResolution.UPHELD:
        return "paid_to_instructor" if no_show_type == NoShowType.STUDENT else "refunded"
    return ""


def payment_fixable(*, booking_status: str, payment_status: str, settlement: str) -> bool:
    """Whether the student can still fix a failed authorization: while the lesson is on (confirmed,
    or done and not settled yet), or at any time while money is owed for it (a charged cancellation,
    an upheld no-show of the student)."""
    if payment_status not in (PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED):
        return False
    if settlement == Settlement.CHARGE:
        return True
    if settlement == Settlement.RELEASE:
        return False
    return booking_status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


# --- what each party may do to a lesson now ----------------------------------------------


@dataclass(frozen=True)
class LessonFacts:
    """What the rules need to know about a lesson (bookings.services.lesson_facts reads them)."""

    status: str
    start_at: dt.datetime
    end_at: dt.datetime
    price_cents: int
    hold_expires_at: dt.datetime | None = None
    request_deadline: dt.datetime | None = None
    reschedule_count: int = 0
    no_show_reported_by: str = ""  # STUDENT or INSTRUCTOR, when a no-show report exists
    no_show_disputed: bool = False
    no_show_resolved: bool = False


@dataclass(frozen=True)
class Action:
    allowed: bool
    reason: str = ""  # refused: why (shown as is); allowed: what it costs, when the action has a cost
    code: str = ""  # refused: the error code every channel answers with


@dataclass(frozen=True)
class LessonActions:
    """Every action on one lesson for one party, now. Services enforce it; pages, the API and the
    admin only read it."""

    cancel: Action
    cancellation: CancellationOutcome | None
    reschedule: Action
    rescheduling: RescheduleOutcome | None
    report_no_show: Action
    dispute_no_show: Action
    accept: Action
    decline: Action
    finish_checkout: Action
    resolve_no_show: Action

    @property
    def any_allowed(self) -> bool:
        return any(getattr(self, name).allowed for name in ACTION_NAMES)


ACTION_NAMES = (
    "cancel",
    "reschedule",
    "report_no_show",
    "dispute_no_show",
    "accept",
    "decline",
    "finish_checkout",
    "resolve_no_show",
)
PARTIES = (STUDENT, INSTRUCTOR, STAFF)
FORBIDDEN = "forbidden"
INVALID = "invalid_transition"


def _yes(reason: str = "") -> Action:
    return Action(True, reason)


def _no(reason: str, code: str = INVALID) -> Action:
    return Action(False, reason, code)


def _status_words(status: str) -> str:
    return BookingStatus(status).label.lower()


def lesson_actions(facts: LessonFacts, *, party: str, now: dt.datetime) -> LessonActions:
    """What `party` (STUDENT, INSTRUCTOR or STAFF) may do to this lesson at `now`, and at what cost."""
    if party not in PARTIES:
        raise ValueError(f"party must be one of {', '.join(PARTIES)}, not {party!r}")
    current = _utc("now", now)
    cancel, cancellation = _cancel(facts, party, current)
    reschedule, rescheduling = _reschedule(facts, party, current)
    answer = _answer_request(facts, party, current)
    return LessonActions(
        cancel=cancel,
        cancellation=cancellation,
        reschedule=reschedule,
        rescheduling=rescheduling,
        report_no_show=_report_no_show(facts, party, current),
        dispute_no_show=_dispute_no_show(facts, party),
        accept=answer,
        decline=answer,
        finish_checkout=_finish_checkout(facts, party, current),
        resolve_no_show=_resolve_no_show(facts, party),
    )


def _hold_live(facts: LessonFacts, now: dt.datetime) -> bool:
    return facts.status == BookingStatus.HELD and facts.hold_expires_at is not None and facts.hold_expires_at > now


def _request_open(facts: LessonFacts, now: dt.datetime) -> bool:
    return (
        facts.status == BookingStatus.REQUESTED and facts.request_deadline is not None and facts.request_deadline > now
    )


def _cancel(facts: LessonFacts, party: str, now: dt.datetime) -> tuple[Action, CancellationOutcome | None]:
    status = facts.status
    if status == BookingStatus.HELD and not _hold_live(facts, now):
        return _no("This checkout has timed out: there is nothing to cancel."), None
    if status == BookingStatus.REQUESTED and not _request_open(facts, now):
        return _no("This request has expired: there is nothing to cancel."), None
    if status not in (BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
        return _no(f"This lesson is {_status_words(status)}: there is nothing to cancel."), None
    if party == INSTRUCTOR and status == BookingStatus.HELD:
        return _no("A student is still checking out: this is not a lesson yet.", FORBIDDEN), None
    if party == INSTRUCTOR and status == BookingStatus.REQUESTED:
        return _no("This is a request: decline it instead of cancelling."), None
    try:
        outcome = cancellation_outcome(
            cancelled_by=party,
            lesson_start=facts.start_at,
            now=now,
            price_cents=facts.price_cents,
            confirmed=status == BookingStatus.CONFIRMED,
        )
    except PolicyViolation as violation:
        return _no(violation.message, violation.code), None
    return _yes(outcome.reason), outcome


def _reschedule(facts: LessonFacts, party: str, now: dt.datetime) -> tuple[Action, RescheduleOutcome | None]:
    if party != STUDENT:
        return _no("Only the student can reschedule; instructors can cancel instead.", FORBIDDEN), None
    if facts.status == BookingStatus.REQUESTED:
        return _no("Your instructor has not accepted this request yet: cancel it and request another time."), None
    if facts.status != BookingStatus.CONFIRMED:
        return _no(f"This lesson is {_status_words(facts.status)}, so it can't be moved."), None
    outcome = reschedule_outcome(
        lesson_start=facts.start_at, now=now, reschedule_count=facts.reschedule_count, price_cents=facts.price_cents
    )
    if not outcome.allowed:
        code = "lesson_started" if now >= _utc("start_at", facts.start_at) else "policy_violation"
        return _no(outcome.reason, code), outcome
    return _yes(outcome.reason), outcome


def _report_no_show(facts: LessonFacts, party: str, now: dt.datetime) -> Action:
    if party == STAFF:
        return _no("Only the student or the instructor can report a no-show.", FORBIDDEN)
    if facts.status == BookingStatus.NO_SHOW:
        return _no("A no-show has already been reported for this lesson.")
    if facts.status not in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
        return _no(f"This lesson is {_status_words(facts.status)}: there is nothing to report.")
    if now < _utc("start_at", facts.start_at):
        return _no("You can report a no-show once the lesson has started.", "policy_violation")
    if not can_report_no_show(lesson_start=facts.start_at, lesson_end=facts.end_at, now=now):
        hours = _setting("BOOKING_NO_SHOW_REPORT_HOURS")
        return _no(f"No-shows can be reported until {_hours(hours)} after the lesson ends.", "policy_violation")
    return _yes()


def _dispute_no_show(facts: LessonFacts, party: str) -> Action:
    if facts.status != BookingStatus.NO_SHOW or not facts.no_show_reported_by:
        return _no("There is no no-show report on this lesson.")
    if party == STAFF:
        return _no("Only the person reported can dispute a no-show; staff resolve it.", FORBIDDEN)
    if party == facts.no_show_reported_by:
        return _no("You made this report; the other person can dispute it.", FORBIDDEN)
    if facts.no_show_disputed or facts.no_show_resolved:
        return _no("This report has already been disputed or decided.")
    return _yes()


def _answer_request(facts: LessonFacts, party: str, now: dt.datetime) -> Action:
    if party != INSTRUCTOR:
        return _no("Only the lesson's instructor can answer a request.", FORBIDDEN)
    if facts.status != BookingStatus.REQUESTED:
        return _no(f"This lesson is {_status_words(facts.status)}: there is no request to answer.")
    if not _request_open(facts, now):
        return _no("This request has expired.")
    return _yes()


def _finish_checkout(facts: LessonFacts, party: str, now: dt.datetime) -> Action:
    if party != STUDENT:
        return _no("Only the student can check out.", FORBIDDEN)
    if facts.status == BookingStatus.HELD and not _hold_live(facts, now):
        return _no("Your hold on this time ran out. Please pick the time again.", "hold_expired")
    if facts.status != BookingStatus.HELD:
        return _no(f"This lesson is {_status_words(facts.status)}: checkout is over.")
    return _yes()


def _resolve_no_show(facts: LessonFacts, party: str) -> Action:
    if party != STAFF:
        return _no("Staff resolve no-show reports.", FORBIDDEN)
    if facts.status != BookingStatus.NO_SHOW or not facts.no_show_reported_by or facts.no_show_resolved:
        return _no("There is no open no-show report on this lesson.")
    return _yes()
