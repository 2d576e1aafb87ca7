"""Booking policies as tables (DESIGN.md §4). Pure functions: no database needed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bookings.policies import (
    REQUEST_DECISION_CUTOFF,
    CancellationOutcome,
    PolicyViolation,
    RescheduleOutcome,
    booking_window_problem,
    can_report_no_show,
    cancellation_outcome,
    free_cancellation_deadline,
    free_reschedule_deadline,
    hold_expires_at,
    instructor_payout_cents,
    no_show_report_deadline,
    no_show_report_window,
    platform_fee_cents,
    request_deadline,
    reschedule_outcome,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
START = dt.datetime(2026, 6, 15, 18, 0, tzinfo=UTC)
END = START + dt.timedelta(hours=1)
PRICE = 4500


def before(hours=0, minutes=0, seconds=0):
    return START - dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def after(when, hours=0, minutes=0, seconds=0):
    return when + dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


# --- cancellation ----------------------------------------------------------------------

FREE = CancellationOutcome(
    charge_cents=0,
    refund_cents=PRICE,
    instructor_paid=False,
    reason="Free cancellation: the lesson is at least 24 hours away.",
    late=False,
)
LATE = CancellationOutcome(
    charge_cents=PRICE,
    refund_cents=0,
    instructor_paid=True,
    reason="Less than 24 hours before the lesson: the full $45 is charged and your instructor is paid.",
    late=True,
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (before(hours=24 * 30), FREE),
        (before(hours=25), FREE),
        (before(hours=24, seconds=1), FREE),
        (before(hours=24), FREE),  # exactly 24h00m00s: still free
        (before(hours=23, minutes=59, seconds=59), LATE),  # one second later: late
        (before(hours=1), LATE),
        (before(seconds=1), LATE),
    ],
)
def test_student_cancellation_by_time_before_the_lesson(now, expected):
    assert cancellation_outcome(cancelled_by="student", lesson_start=START, now=now, price_cents=PRICE) == expected


@pytest.mark.parametrize("cancelled_by", ["student", "instructor", "staff"])
@pytest.mark.parametrize(
    "now",
    [START, after(START, seconds=1), after(START, minutes=30), after(END, hours=2)],
    ids=["at-start", "1s-after-start", "mid-lesson", "after-end"],
)
def test_nobody_cancels_once_the_lesson_has_started(cancelled_by, now):
    with pytest.raises(PolicyViolation) as excinfo:
        cancellation_outcome(cancelled_by=cancelled_by, lesson_start=START, now=now, price_cents=PRICE)
    assert excinfo.value.code == "lesson_started"
    assert "already started" in excinfo.value.message
    assert str(excinfo.value) == excinfo.value.message


@pytest.mark.parametrize("cancelled_by", ["instructor", "staff"])
@pytest.mark.parametrize(
    ("now", "late"),
    [
        (before(hours=24 * 30), False),
        (before(hours=24), False),
        (before(hours=23, minutes=59, seconds=59), True),
        (before(seconds=1), True),
    ],
)
def test_instructor_or_staff_cancellation_is_always_free_for_the_student(cancelled_by, now, late):
    outcome = cancellation_outcome(cancelled_by=cancelled_by, lesson_start=START, now=now, price_cents=PRICE)
    assert (outcome.charge_cents, outcome.refund_cents, outcome.instructor_paid) == (0, PRICE, False)
    assert outcome.late is late  # the timing fact, e.g. for instructor reliability; charges never follow it
    assert "pays nothing" in outcome.reason


def test_charge_and_refund_always_add_up_to_the_price():
    for cancelled_by in ("student", "instructor", "staff"):
        for hours in (48, 24, 23, 1):
            outcome = cancellation_outcome(
                cancelled_by=cancelled_by, lesson_start=START, now=before(hours=hours), price_cents=4999
            )
            assert outcome.charge_cents + outcome.refund_cents == 4999
            assert outcome.instructor_paid == (outcome.charge_cents > 0)


def test_late_reason_shows_cents_when_the_price_has_them():
    outcome = cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=2), price_cents=4550)
    assert outcome.reason == (
        "Less than 24 hours before the lesson: the full $45.50 is charged and your instructor is paid."
    )


@pytest.mark.parametrize("cancelled_by", ["", "system", "Student", None])
def test_unknown_canceller_is_rejected(cancelled_by):
    with pytest.raises(ValueError, match="cancelled_by"):
        cancellation_outcome(cancelled_by=cancelled_by, lesson_start=START, now=before(hours=48), price_cents=PRICE)


@pytest.mark.parametrize(
    ("price", "error"), [(-1, ValueError), (45.0, TypeError), ("4500", TypeError), (True, TypeError)]
)
def test_price_must_be_non_negative_integer_cents(price, error):
    with pytest.raises(error):
        cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=48), price_cents=price)


def test_outcomes_are_frozen():
    outcome = cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=2), price_cents=PRICE)
    with pytest.raises(AttributeError):
        outcome.charge_cents = 0


# --- DST: the 24-hour rule counts real hours --------------------------------------------


def ny(*args):
    return dt.datetime(*args, tzinfo=NEW_YORK)


def wall_clock_gap(later, earlier):
    """What naive wall-clock arithmetic would say (Python does this for a shared tzinfo)."""
    return later.replace(tzinfo=None) - earlier.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("lesson", "cancel_at", "wall_gap", "real_gap", "late"),
    [
        # Clocks fall back at 02:00 on Sunday 2026-11-01. From 10:00 on 11-01 (already EST) to
        # 10:00 on 11-02 is 24 wall hours and 24 real hours: on the boundary, free.
        (ny(2026, 11, 2, 10), ny(2026, 11, 1, 10), 24, 24, False),
        # Across the fall-back night a wall-clock day is 25 real hours: free.
        (ny(2026, 11, 1, 10), ny(2026, 10, 31, 10), 24, 25, False),
        # 23.5 wall hours but 24.5 real hours: free (wall-clock arithmetic would say late).
        (ny(2026, 11, 1, 10), ny(2026, 10, 31, 10, 30), 23.5, 24.5, False),
        # Clocks spring forward at 02:00 on Sunday 2026-03-08: a wall-clock day is 23 real
        # hours, so cancelling at 10:00 the day before a 10:00 lesson is late.
        (ny(2026, 3, 8, 10), ny(2026, 3, 7, 10), 24, 23, True),
        # One real hour earlier is exactly 24 real hours: free.
        (ny(2026, 3, 8, 10), ny(2026, 3, 7, 9), 25, 24, False),
    ],
)
def test_cancellation_window_counts_real_hours_across_dst(lesson, cancel_at, wall_gap, real_gap, late):
    assert wall_clock_gap(lesson, cancel_at) == dt.timedelta(hours=wall_gap)
    assert lesson.astimezone(UTC) - cancel_at.astimezone(UTC) == dt.timedelta(hours=real_gap)
    outcome = cancellation_outcome(cancelled_by="student", lesson_start=lesson, now=cancel_at, price_cents=PRICE)
    assert outcome.late is late
    assert outcome.charge_cents == (PRICE if late else 0)
    # ...and the same answer whichever zone "now" arrives in.
    same = cancellation_outcome(
        cancelled_by="student", lesson_start=lesson, now=cancel_at.astimezone(UTC), price_cents=PRICE
    )
    assert same == outcome


def test_reschedule_window_counts_real_hours_across_dst():
    outcome = reschedule_outcome(
        lesson_start=ny(2026, 3, 8, 10), now=ny(2026, 3, 7, 10), reschedule_count=0, price_cents=PRICE
    )
    assert (outcome.allowed, outcome.late, outcome.lock_funds) == (True, True, True)


def test_deadlines_are_real_hours_and_in_utc():
    # 24 real hours before 10:00 EDT on 2026-03-08 is 09:00 EST on 03-07 (14:00 UTC).
    deadline = free_cancellation_deadline(lesson_start=ny(2026, 3, 8, 10))
    assert deadline == dt.datetime(2026, 3, 7, 14, tzinfo=UTC)
    assert deadline.tzinfo is UTC
    assert deadline.astimezone(NEW_YORK) == ny(2026, 3, 7, 9)
    assert free_reschedule_deadline(lesson_start=ny(2026, 3, 8, 10)) == deadline


# --- naive datetimes are rejected -------------------------------------------------------

NAIVE = dt.datetime(2026, 6, 15, 18, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cancellation_outcome(cancelled_by="student", lesson_start=NAIVE, now=before(hours=2), price_cents=1),
        lambda: cancellation_outcome(cancelled_by="student", lesson_start=START, now=NAIVE, price_cents=1),
        lambda: reschedule_outcome(lesson_start=NAIVE, now=before(hours=2), reschedule_count=0, price_cents=1),
        lambda: reschedule_outcome(lesson_start=START, now=NAIVE, reschedule_count=0, price_cents=1),
        lambda: no_show_report_window(lesson_start=NAIVE, lesson_end=END),
        lambda: no_show_report_window(lesson_start=START, lesson_end=NAIVE),
        lambda: no_show_report_deadline(lesson_end=NAIVE),
        lambda: can_report_no_show(lesson_start=START, lesson_end=END, now=NAIVE),
        lambda: hold_expires_at(now=NAIVE),
        lambda: request_deadline(now=NAIVE, lesson_start=START),
        lambda: request_deadline(now=before(hours=48), lesson_start=NAIVE),
        lambda: booking_window_problem(start=NAIVE, now=before(hours=48), min_notice_minutes=0, horizon_days=60),
        lambda: booking_window_problem(start=START, now=NAIVE, min_notice_minutes=0, horizon_days=60),
        lambda: free_cancellation_deadline(lesson_start=NAIVE),
        lambda: free_reschedule_deadline(lesson_start=NAIVE),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="aware"):
        call()


def test_dates_are_not_datetimes():
    with pytest.raises(TypeError):
        hold_expires_at(now=dt.date(2026, 6, 15))


# --- rescheduling ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "count", "allowed", "late", "lock_funds", "reason"),
    [
        (before(hours=48), 0, True, False, False, "Free reschedule"),
        (before(hours=24), 0, True, False, False, "Free reschedule"),  # exactly 24h: free
        (before(hours=24), 1, True, False, False, "Free reschedule"),
        (before(hours=23, minutes=59, seconds=59), 0, True, True, True, "charged now and held"),
        (before(seconds=1), 1, True, True, True, "charged now and held"),
        (before(hours=48), 2, False, False, False, "at most 2 times"),  # the limit, early
        (before(hours=2), 2, False, True, False, "at most 2 times"),  # the limit, late
        (before(hours=48), 5, False, False, False, "at most 2 times"),
        (START, 0, False, True, False, "already started"),
        (after(START, minutes=10), 0, False, True, False, "already started"),
    ],
)
def test_reschedule_outcome(now, count, allowed, late, lock_funds, reason):
    outcome = reschedule_outcome(lesson_start=START, now=now, reschedule_count=count, price_cents=PRICE)
    assert (outcome.allowed, outcome.late, outcome.lock_funds) == (allowed, late, lock_funds)
    assert reason in outcome.reason


def test_reschedule_reasons_read_well():
    free = reschedule_outcome(lesson_start=START, now=before(hours=30), reschedule_count=0, price_cents=PRICE)
    assert free == RescheduleOutcome(
        allowed=True,
        late=False,
        lock_funds=False,
        reason="Free reschedule: the lesson is at least 24 hours away, and your payment moves to the new time.",
    )
    late = reschedule_outcome(lesson_start=START, now=before(hours=3), reschedule_count=1, price_cents=PRICE)
    assert late.reason == (
        "Less than 24 hours before the lesson: your $45 is charged now and held until your new lesson is done."
    )
    refused = reschedule_outcome(lesson_start=START, now=before(hours=30), reschedule_count=2, price_cents=PRICE)
    assert refused.reason == "This lesson has already been rescheduled 2 times; a booking can be moved at most 2 times."


@pytest.mark.parametrize("count", [-1, True, 1.0, None])
def test_reschedule_count_must_be_a_non_negative_int(count):
    with pytest.raises(ValueError, match="reschedule_count"):
        reschedule_outcome(lesson_start=START, now=before(hours=48), reschedule_count=count, price_cents=PRICE)


# --- no-shows --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "can_report"),
    [
        (before(hours=1), False),
        (before(seconds=1), False),
        (START, True),  # opens at the lesson start
        (after(START, minutes=15), True),
        (END, True),
        (after(END, hours=23, minutes=59, seconds=59), True),
        (after(END, hours=24), True),  # closes 24h after the end, inclusive
        (after(END, hours=24, seconds=1), False),
        (after(END, hours=72), False),
    ],
)
def test_can_report_no_show(now, can_report):
    assert can_report_no_show(lesson_start=START, lesson_end=END, now=now) is can_report


def test_no_show_report_window():
    assert no_show_report_window(lesson_start=START, lesson_end=END) == (START, after(END, hours=24))
    assert no_show_report_deadline(lesson_end=END) == after(END, hours=24)


def test_no_show_window_rejects_an_end_before_the_start():
    with pytest.raises(ValueError, match="lesson_end"):
        no_show_report_window(lesson_start=END, lesson_end=START)


# --- holds and requests ----------------------------------------------------------------


def test_hold_expires_after_the_hold_minutes():
    assert hold_expires_at(now=START) == after(START, minutes=10)
    # Any zone in, UTC out.
    expires = hold_expires_at(now=ny(2026, 6, 15, 14))
    assert expires == after(START, minutes=10)
    assert expires.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "deadline"),
    [
        (before(hours=24 * 7), before(hours=24 * 6)),  # far away: now + 24h
        (before(hours=25), before(hours=1)),  # now + 24h is exactly start - 1h
        (before(hours=24, minutes=59), before(hours=1)),  # capped at start - 1h
        (before(hours=12), before(hours=1)),  # capped
        (before(hours=1, seconds=1), before(hours=1)),  # one second to answer
        (before(hours=1), before(hours=1)),  # cutoff reached: deadline is now
        (before(minutes=30), before(minutes=30)),  # cutoff passed: deadline is now
        (after(START, minutes=5), after(START, minutes=5)),  # even after the start: now
    ],
)
def test_request_deadline_is_capped_before_the_start(now, deadline):
    assert request_deadline(now=now, lesson_start=START) == deadline
    assert request_deadline(now=now, lesson_start=START) >= now
    assert REQUEST_DECISION_CUTOFF.total_seconds() == 3600


# --- money -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "fee", "payout"),
    [
        (0, 0, 0),
        (1, 0, 1),  # 0.15 cent rounds down
        (3, 0, 3),  # 0.45 cent rounds down
        (4, 1, 3),  # 0.60 cent rounds up
        (10, 2, 8),  # exactly 1.5 cents: half up, not to even
        (30, 5, 25),  # exactly 4.5 cents: half up, not to even (banker's would give 4)
        (4500, 675, 3825),
        (4999, 750, 4249),  # 749.85 cents
        (4990, 749, 4241),  # exactly 748.5 cents: half up
        (4997, 750, 4247),  # 749.55 cents
        (4996, 749, 4247),  # 749.40 cents
        (10000, 1500, 8500),
        (123_456_789, 18_518_518, 104_938_271),  # 18518518.35, exact in integers
    ],
)
def test_platform_fee_rounds_half_up_and_payout_is_the_rest(price, fee, payout):
    assert platform_fee_cents(price) == fee
    assert instructor_payout_cents(price) == payout
    assert platform_fee_cents(price) + instructor_payout_cents(price) == price


@pytest.mark.parametrize(("price", "error"), [(-1, ValueError), (49.99, TypeError), (True, TypeError)])
def test_fee_needs_non_negative_integer_cents(price, error):
    with pytest.raises(error):
        platform_fee_cents(price)
    with pytest.raises(error):
        instructor_payout_cents(price)


# --- booking window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "notice", "horizon", "problem"),
    [
        (after(START, hours=3), 120, 60, None),
        (after(START, hours=2), 120, 60, None),  # exactly the minimum notice: fine
        (after(START, hours=1, minutes=59, seconds=59), 120, 60, "Lessons need at least 2 hours' notice."),
        (after(START, minutes=30), 60, 60, "Lessons need at least 1 hour's notice."),
        (after(START, minutes=30), 90, 60, "Lessons need at least 90 minutes' notice."),
        (after(START, seconds=30), 1, 60, "Lessons need at least 1 minute's notice."),
        (after(START, seconds=1), 0, 60, None),  # no notice needed
        (after(START, hours=24 * 60), 120, 60, None),  # exactly the horizon: fine
        (after(START, hours=24 * 60, seconds=1), 120, 60, "You can book up to 60 days ahead."),
        (after(START, hours=48), 120, 1, "You can book up to 1 day ahead."),
        (START, 0, 60, "That time has passed."),  # starting right now
        (before(minutes=1), 120, 60, "That time has passed."),
        (before(hours=24 * 400), 120, 60, "That time has passed."),
    ],
)
def test_booking_window_problem(start, notice, horizon, problem):
    # "now" is START here; the lesson start varies.
    assert booking_window_problem(start=start, now=START, min_notice_minutes=notice, horizon_days=horizon) == problem


def test_booking_horizon_counts_real_days_across_dst():
    now = ny(2026, 3, 1, 10)  # EST
    # 10:00 EDT a week later is 7 days minus one real hour away: within a 7-day horizon.
    assert booking_window_problem(start=ny(2026, 3, 8, 10), now=now, min_notice_minutes=0, horizon_days=7) is None
    # 11:00 EDT is exactly 7 real days away: still fine; one second more is not.
    assert booking_window_problem(start=ny(2026, 3, 8, 11), now=now, min_notice_minutes=0, horizon_days=7) is None
    assert (
        booking_window_problem(start=ny(2026, 3, 8, 11, 0, 1), now=now, min_notice_minutes=0, horizon_days=7)
        == "You can book up to 7 days ahead."
    )


@pytest.mark.parametrize(("notice", "horizon"), [(-1, 60), (120, -1), (True, 60), (120, 1.5)])
def test_booking_window_rejects_bad_rules(notice, horizon):
    with pytest.raises(ValueError):
        booking_window_problem(start=START, now=before(hours=48), min_notice_minutes=notice, horizon_days=horizon)


# --- settings overrides ----------------------------------------------------------------


def test_defaults_come_from_settings():
    from django.conf import settings as django_settings

    assert django_settings.BOOKING_FREE_CANCELLATION_HOURS == 24
    assert django_settings.BOOKING_FREE_RESCHEDULE_HOURS == 24
    assert django_settings.BOOKING_MAX_RESCHEDULES == 2
    assert django_settings.BOOKING_NO_SHOW_REPORT_HOURS == 24
    assert django_settings.BOOKING_HOLD_MINUTES == 10
    assert django_settings.BOOKING_REQUEST_RESPONSE_HOURS == 24
    assert django_settings.PLATFORM_FEE_PERCENT == 15


def test_free_cancellation_hours_override(settings):
    settings.BOOKING_FREE_CANCELLATION_HOURS = 48
    late = cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=30), price_cents=PRICE)
    assert (late.late, late.charge_cents) == (True, PRICE)
    assert late.reason.startswith("Less than 48 hours before the lesson")
    free = cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=48), price_cents=PRICE)
    assert free.reason == "Free cancellation: the lesson is at least 48 hours away."
    assert free_cancellation_deadline(lesson_start=START) == before(hours=48)

    settings.BOOKING_FREE_CANCELLATION_HOURS = 1
    outcome = cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=1), price_cents=PRICE)
    assert outcome.reason == "Free cancellation: the lesson is at least 1 hour away."


def test_reschedule_overrides(settings):
    settings.BOOKING_FREE_RESCHEDULE_HOURS = 12
    settings.BOOKING_MAX_RESCHEDULES = 1
    ok = reschedule_outcome(lesson_start=START, now=before(hours=12), reschedule_count=0, price_cents=PRICE)
    assert (ok.allowed, ok.late, ok.lock_funds) == (True, False, False)
    refused = reschedule_outcome(lesson_start=START, now=before(hours=48), reschedule_count=1, price_cents=PRICE)
    assert not refused.allowed
    assert refused.reason == "This lesson has already been rescheduled 1 time; a booking can be moved at most 1 time."

    settings.BOOKING_MAX_RESCHEDULES = 0
    never = reschedule_outcome(lesson_start=START, now=before(hours=48), reschedule_count=0, price_cents=PRICE)
    assert not never.allowed
    assert "can't be rescheduled" in never.reason


def test_no_show_hold_request_and_fee_overrides(settings):
    settings.BOOKING_NO_SHOW_REPORT_HOURS = 48
    settings.BOOKING_HOLD_MINUTES = 15
    settings.BOOKING_REQUEST_RESPONSE_HOURS = 2
    settings.PLATFORM_FEE_PERCENT = 20
    assert can_report_no_show(lesson_start=START, lesson_end=END, now=after(END, hours=47))
    assert no_show_report_window(lesson_start=START, lesson_end=END)[1] == after(END, hours=48)
    assert hold_expires_at(now=START) == after(START, minutes=15)
    assert request_deadline(now=before(hours=48), lesson_start=START) == before(hours=46)
    assert platform_fee_cents(4999) == 1000  # 999.8
    assert instructor_payout_cents(4999) == 3999


@pytest.mark.parametrize("bad", [-1, "24", 1.5, None])
def test_bad_setting_values_fail_loudly(settings, bad):
    settings.BOOKING_FREE_CANCELLATION_HOURS = bad
    with pytest.raises(ValueError, match="BOOKING_FREE_CANCELLATION_HOURS"):
        cancellation_outcome(cancelled_by="student", lesson_start=START, now=before(hours=2), price_cents=PRICE)


def test_fee_percent_above_100_fails_loudly(settings):
    settings.PLATFORM_FEE_PERCENT = 101
    with pytest.raises(ValueError, match="PLATFORM_FEE_PERCENT"):
        platform_fee_cents(100)


def test_withdrawing_an_unconfirmed_booking_is_always_free():
    start = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
    outcome = cancellation_outcome(
        cancelled_by="student",
        lesson_start=start,
        now=start - dt.timedelta(hours=1),
        price_cents=60_00,
        confirmed=False,
    )
    assert (outcome.charge_cents, outcome.refund_cents, outcome.instructor_paid) == (0, 60_00, False)
    assert "not confirmed" in outcome.reason
