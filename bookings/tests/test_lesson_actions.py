"""The one rulebook of a lesson (policies.lesson_actions) and the payment timing rules, as tables.
Pure functions: no database."""

import datetime as dt

import pytest

from bookings.models import BookingStatus, NoShowResolution, NoShowType, PaymentStatus, Settlement
from bookings.policies import (
    ACTION_NAMES,
    INSTRUCTOR,
    STAFF,
    STUDENT,
    LessonFacts,
    authorization_due,
    capture_due,
    lesson_actions,
    locked_funds_outcome,
    payment_fixable,
    settlement_due,
    unpaid_deadline,
)

UTC = dt.UTC
START = dt.datetime(2026, 6, 15, 18, 0, tzinfo=UTC)
END = START + dt.timedelta(hours=1)
H = dt.timedelta(hours=1)


def facts(status, **extra) -> LessonFacts:
    defaults = {
        "start_at": START,
        "end_at": END,
        "price_cents": 60_00,
        "hold_expires_at": START - 47 * H if status == BookingStatus.HELD else None,
        "request_deadline": START - 2 * H if status == BookingStatus.REQUESTED else None,
    }
    return LessonFacts(status=status, **{**defaults, **extra})


def allowed(lesson: LessonFacts, party: str, now: dt.datetime) -> set[str]:
    actions = lesson_actions(lesson, party=party, now=now)
    return {name for name in ACTION_NAMES if getattr(actions, name).allowed}


REPORTED_BY_STUDENT = {"no_show_reported_by": STUDENT}

# (situation, facts, now, what the student, the instructor and staff may do)
TABLE = [
    ("live checkout hold", facts("held"), START - 48 * H, {"cancel", "finish_checkout"}, set(), {"cancel"}),
    ("timed-out hold", facts("held"), START - 46 * H, set(), set(), set()),
    ("open request", facts("requested"), START - 3 * H, {"cancel"}, {"accept", "decline"}, {"cancel"}),
    ("overdue request", facts("requested"), START - 90 * dt.timedelta(minutes=1), set(), set(), set()),
    (
        "confirmed, days ahead",
        facts("confirmed"),
        START - 48 * H,
        {"cancel", "reschedule"},
        {"cancel"},
        {"cancel"},
    ),
    ("confirmed, late", facts("confirmed"), START - 2 * H, {"cancel", "reschedule"}, {"cancel"}, {"cancel"}),
    (
        "confirmed, moved twice",
        facts("confirmed", reschedule_count=2),
        START - 48 * H,
        {"cancel"},
        {"cancel"},
        {"cancel"},
    ),
    (
        "in progress",
        facts("confirmed"),
        START + dt.timedelta(minutes=10),
        {"report_no_show"},
        {"report_no_show"},
        set(),
    ),
    ("ended, not completed yet", facts("confirmed"), END + H, {"report_no_show"}, {"report_no_show"}, set()),
    (
        "completed, inside the report window",
        facts("completed"),
        END + 23 * H,
        {"report_no_show"},
        {"report_no_show"},
        set(),
    ),
    ("completed, window closed", facts("completed"), END + 25 * H, set(), set(), set()),
    (
        "no-show reported by the student",
        facts("no_show", **REPORTED_BY_STUDENT),
        END + H,
        set(),
        {"dispute_no_show"},
        {"resolve_no_show"},
    ),
    (
        "no-show disputed",
        facts("no_show", **REPORTED_BY_STUDENT, no_show_disputed=True),
        END + H,
        set(),
        set(),
        {"resolve_no_show"},
    ),
    (
        "no-show resolved",
        facts("no_show", **REPORTED_BY_STUDENT, no_show_resolved=True),
        END + H,
        set(),
        set(),
        set(),
    ),
    ("cancelled", facts("cancelled"), START - 48 * H, set(), set(), set()),
    ("declined", facts("declined"), START - 48 * H, set(), set(), set()),
    ("expired", facts("expired"), START - 48 * H, set(), set(), set()),
    ("rescheduled", facts("rescheduled"), START - 48 * H, set(), set(), set()),
]


@pytest.mark.parametrize(("situation", "lesson", "now", "student", "instructor", "staff"), TABLE)
def test_who_may_do_what(situation, lesson, now, student, instructor, staff):
    assert allowed(lesson, STUDENT, now) == student, situation
    assert allowed(lesson, INSTRUCTOR, now) == instructor, situation
    assert allowed(lesson, STAFF, now) == staff, situation


@pytest.mark.parametrize(("situation", "lesson", "now", "student", "instructor", "staff"), TABLE)
def test_every_refusal_has_a_reason_and_a_code(situation, lesson, now, student, instructor, staff):
    for party in (STUDENT, INSTRUCTOR, STAFF):
        actions = lesson_actions(lesson, party=party, now=now)
        for name in ACTION_NAMES:
            action = getattr(actions, name)
            if not action.allowed:
                assert action.reason and action.code, (situation, party, name)


def test_cancelling_states_its_cost_for_each_party():
    late = START - 2 * H
    student = lesson_actions(facts("confirmed"), party=STUDENT, now=late)
    assert (student.cancellation.charge_cents, student.cancellation.instructor_paid) == (60_00, True)
    assert "the full $60 is charged" in student.cancel.reason
    for party in (INSTRUCTOR, STAFF):
        assert lesson_actions(facts("confirmed"), party=party, now=late).cancellation.charge_cents == 0
    withdraw = lesson_actions(facts("requested"), party=STUDENT, now=START - 3 * H).cancellation
    assert withdraw.charge_cents == 0  # a request nobody accepted is free to withdraw


def test_refusals_name_the_right_error():
    started = lesson_actions(facts("confirmed"), party=STUDENT, now=START + H)
    assert (started.cancel.code, started.reschedule.code) == ("lesson_started", "lesson_started")
    instructor = lesson_actions(facts("confirmed"), party=INSTRUCTOR, now=START - 48 * H)
    assert instructor.reschedule.code == "forbidden" and "Only the student" in instructor.reschedule.reason
    request = lesson_actions(facts("requested"), party=INSTRUCTOR, now=START - 3 * H)
    assert not request.cancel.allowed and "decline it instead" in request.cancel.reason
    timed_out = lesson_actions(facts("held"), party=STUDENT, now=START - 46 * H)
    assert timed_out.finish_checkout.code == "hold_expired"


def test_a_party_outside_the_three_is_a_bug():
    with pytest.raises(ValueError, match="party"):
        lesson_actions(facts("confirmed"), party="system", now=START)


# --- paying ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due"),
    [(START - 25 * H, False), (START - 24 * H, True), (START - H, True), (START + H, True)],
)
def test_authorization_is_due_24_hours_before(now, due):
    assert authorization_due(lesson_start=START, now=now) is due


def test_capture_is_due_24_hours_after_the_end():
    assert not capture_due(lesson_end=END, now=END + 23 * H)
    assert capture_due(lesson_end=END, now=END + 24 * H)


@pytest.mark.parametrize(
    ("failed_at", "deadline"),
    [
        (START - 24 * H, START - 12 * H),  # the usual case: 12 hours before
        (START - 13 * H, START - 11 * H),  # never less than 2 hours to fix it
        (START - 90 * dt.timedelta(minutes=1), START),  # ...but never after the start
        (START - dt.timedelta(minutes=1), START),
        (START, None),  # a lesson under way is not cancelled: it is settled later
        (START + H, None),
    ],
)
def test_the_unpaid_deadline_is_never_now(failed_at, deadline):
    found = unpaid_deadline(lesson_start=START, failed_at=failed_at)
    assert found == deadline
    assert found is None or found > failed_at


@pytest.mark.parametrize(
    ("status", "no_show_type", "resolution", "now", "settlement"),
    [
        (BookingStatus.COMPLETED, "", "", END + 23 * H, ""),
        (BookingStatus.COMPLETED, "", "", END + 24 * H, Settlement.CHARGE),
        (BookingStatus.NO_SHOW, NoShowType.STUDENT, "", END + 48 * H, ""),  # staff have not decided
        (BookingStatus.NO_SHOW, NoShowType.STUDENT, NoShowResolution.UPHELD, END, Settlement.CHARGE),
        (BookingStatus.NO_SHOW, NoShowType.INSTRUCTOR, NoShowResolution.UPHELD, END, Settlement.RELEASE),
        (BookingStatus.DECLINED, "", "", START, Settlement.RELEASE),
        (BookingStatus.EXPIRED, "", "", START, Settlement.RELEASE),
        (BookingStatus.CONFIRMED, "", "", END + 48 * H, ""),
    ],
)
def test_when_a_finished_lesson_is_settled(status, no_show_type, resolution, now, settlement):
    found = settlement_due(
        status=status, lesson_end=END, now=now, no_show_type=no_show_type, no_show_resolution=resolution
    )
    assert found == settlement


@pytest.mark.parametrize(
    ("status", "cancelled_by", "no_show_type", "resolution", "outcome"),
    [
        (BookingStatus.COMPLETED, "", "", "", "paid_to_instructor"),
        (BookingStatus.CANCELLED, STUDENT, "", "", "paid_to_instructor"),
        (BookingStatus.CANCELLED, INSTRUCTOR, "", "", "refunded"),
        (BookingStatus.CANCELLED, "system", "", "", "refunded"),
        (BookingStatus.NO_SHOW, "", NoShowType.STUDENT, NoShowResolution.UPHELD, "paid_to_instructor"),
        (BookingStatus.NO_SHOW, "", NoShowType.INSTRUCTOR, NoShowResolution.UPHELD, "refunded"),
        (BookingStatus.NO_SHOW, "", NoShowType.STUDENT, "", ""),
        (BookingStatus.CONFIRMED, "", "", "", ""),
    ],
)
def test_locked_funds_follow_the_lesson_they_moved_to(status, cancelled_by, no_show_type, resolution, outcome):
    found = locked_funds_outcome(
        status=status, cancelled_by=cancelled_by, no_show_type=no_show_type, no_show_resolution=resolution
    )
    assert found == outcome


@pytest.mark.parametrize(
    ("booking_status", "payment_status", "settlement", "fixable"),
    [
        (BookingStatus.CONFIRMED, PaymentStatus.FAILED, "", True),
        (BookingStatus.CONFIRMED, PaymentStatus.ACTION_REQUIRED, "", True),
        (BookingStatus.COMPLETED, PaymentStatus.FAILED, "", True),
        (BookingStatus.CANCELLED, PaymentStatus.FAILED, Settlement.CHARGE, True),  # a late cancellation is owed
        (BookingStatus.CANCELLED, PaymentStatus.FAILED, Settlement.RELEASE, False),
        (BookingStatus.CONFIRMED, PaymentStatus.AUTHORIZED, "", False),
        (BookingStatus.HELD, PaymentStatus.FAILED, "", False),  # checkout handles its own
    ],
)
def test_a_failed_payment_can_be_fixed_while_it_is_payable(booking_status, payment_status, settlement, fixable):
    assert (
        payment_fixable(booking_status=booking_status, payment_status=payment_status, settlement=settlement) is fixable
    )
