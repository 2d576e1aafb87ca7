"""availability.services: saving weeks (all or nothing), copy forward, the weekly template,
vacation blocks, booking rules, cache invalidation, and layer independence (clearing time
never touches a booking)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from availability import bitmaps, selectors, services
from availability.models import AvailabilityDay, WeeklyTemplateDay
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import book, open_instructor
from core.cache import namespace_version
from core.exceptions import InvalidInput
from instructors.tests.factories import InstructorProfileFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
WEEK = dt.date(2026, 3, 9)  # a Monday
DST_WEEK = dt.date(2026, 3, 2)  # its Sunday, 2026-03-08, springs forward at 02:00 in New York
NINE_TO_FIVE = [(9 * 60, 17 * 60)]


def days_of(week_start):
    return services.week_dates(week_start)


def saved_ranges(profile, first, last):
    return {day: bitmaps.to_ranges(bits) for day, bits in selectors.days_between(profile, first, last).items()}


def week_ranges(profile, week_start):
    return saved_ranges(profile, week_start, week_start + dt.timedelta(days=6))


@pytest.fixture
def profile():
    return InstructorProfileFactory(user__timezone="America/New_York")


@pytest.fixture
def full_week(profile):
    """Seven saved days, each with its own pattern so a mix-up would show."""
    days = {day: [(8 * 60 + 15 * i, 12 * 60 + 15 * i)] for i, day in enumerate(days_of(WEEK))}
    services.save_week(profile=profile, week_start=WEEK, days=days)
    return days


def rows_snapshot(profile):
    return sorted(
        (row.pk, row.date, bytes(row.bits), row.updated_at)
        for row in AvailabilityDay.objects.filter(instructor=profile)
    )


# --- save_week ---------------------------------------------------------------------------------


def test_save_week_round_trips_ranges_and_leaves_missing_days_closed(profile):
    monday, tuesday = WEEK, WEEK + dt.timedelta(days=1)
    services.save_week(
        profile=profile,
        week_start=WEEK,
        days={monday: [(9 * 60, 12 * 60), (13 * 60, 17 * 60)], tuesday: [(0, 60), (23 * 60, 24 * 60)]},
    )
    assert week_ranges(profile, WEEK) == {
        monday: [(540, 720), (780, 1020)],
        tuesday: [(0, 60), (1380, 1440)],
    }
    assert AvailabilityDay.objects.filter(instructor=profile).count() == 2  # closed days keep no row


def test_save_week_replaces_the_whole_week(profile, full_week):
    tuesday = WEEK + dt.timedelta(days=1)
    services.save_week(profile=profile, week_start=WEEK, days={tuesday: NINE_TO_FIVE})
    assert week_ranges(profile, WEEK) == {tuesday: NINE_TO_FIVE}


def test_save_week_merges_overlapping_and_adjacent_ranges(profile):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(540, 600), (600, 660), (630, 720)]})
    assert week_ranges(profile, WEEK) == {WEEK: [(540, 720)]}


def test_a_bad_range_on_the_fifth_day_changes_none_of_the_seven(profile, full_week):
    before = rows_snapshot(profile)
    days = {day: [(10 * 60, 11 * 60)] for day in days_of(WEEK)}
    friday = WEEK + dt.timedelta(days=4)
    days[friday] = [(10 * 60, 10 * 60 + 10)]  # not on a 15-minute step
    with pytest.raises(InvalidInput) as error:
        services.save_week(profile=profile, week_start=WEEK, days=days)
    assert error.value.extra["fields"] == {str(friday): "Use 15-minute steps."}
    assert rows_snapshot(profile) == before
    assert len(before) == 7


def test_a_database_failure_after_the_delete_leaves_the_old_week_intact(profile, full_week):
    """A real database failure in the middle of the write, no mocks: a CHECK constraint
    added for this test only (``NOT VALID``, so the existing rows are not checked, and
    rolled back with the test's transaction) refuses any NEW row for Friday. (PostgreSQL
    won't alter a table with deferred checks pending, so those are settled first.) save_week
    deletes the week's seven rows, then inserts the new ones in one INSERT, which PostgreSQL
    rejects at Friday's row. The captured SQL shows the DELETE really ran before the failing
    INSERT; afterwards all seven old rows are there, unchanged (same ids, bits, timestamps)."""
    friday = WEEK + dt.timedelta(days=4)
    table = AvailabilityDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the fixture's deferred FK checks first
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT test_refuses_friday CHECK (date <> %s) NOT VALID", [friday])
    before = rows_snapshot(profile)
    new_week = {day: [(6 * 60, 7 * 60)] for day in days_of(WEEK)}

    with CaptureQueriesContext(connection) as queries, pytest.raises(IntegrityError):
        services.save_week(profile=profile, week_start=WEEK, days=new_week)

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries if table in query["sql"]]
    assert statements.index("DELETE") < statements.index("INSERT")
    assert rows_snapshot(profile) == before
    assert week_ranges(profile, WEEK) == full_week


def test_days_outside_the_week_are_rejected_and_nothing_changes(profile, full_week):
    before = rows_snapshot(profile)
    next_monday = WEEK + dt.timedelta(weeks=1)
    with pytest.raises(InvalidInput) as error:
        services.save_week(profile=profile, week_start=WEEK, days={WEEK: NINE_TO_FIVE, next_monday: NINE_TO_FIVE})
    assert error.value.extra["fields"] == {str(next_monday): "Not in this week."}
    assert rows_snapshot(profile) == before


@pytest.mark.parametrize(
    "ranges",
    [
        [(9 * 60 + 5, 10 * 60)],  # start off the grid
        [(9 * 60, 10 * 60 + 1)],  # end off the grid
        [(10 * 60, 9 * 60)],  # ends before it starts
        [(9 * 60, 9 * 60)],  # empty
        [(23 * 60, 24 * 60 + 15)],  # past midnight
    ],
)
def test_ranges_must_be_whole_quarter_hours_inside_the_day(profile, ranges):
    with pytest.raises(InvalidInput):
        services.save_week(profile=profile, week_start=WEEK, days={WEEK: ranges})
    assert not AvailabilityDay.objects.filter(instructor=profile).exists()


def test_the_missing_hour_of_a_spring_forward_day_is_never_open(profile):
    sunday = dt.date(2026, 3, 8)
    services.save_week(profile=profile, week_start=DST_WEEK, days={sunday: [(60, 240)]})
    bits = selectors.day_bits(profile, sunday)
    assert bitmaps.to_ranges(bits) == [(60, 120), (180, 240)]  # 02:00-03:00 does not exist that day
    assert not bitmaps.is_range_open(bits, 120, 180)


def test_copying_or_applying_onto_the_spring_forward_day_also_skips_the_missing_hour(profile):
    # copy forward: a whole open Sunday copied onto 2026-03-08
    services.save_week(
        profile=profile, week_start=DST_WEEK - dt.timedelta(weeks=1), days={dt.date(2026, 3, 1): [(0, 1440)]}
    )
    services.copy_week_forward(profile=profile, week_start=DST_WEEK - dt.timedelta(weeks=1), weeks=1)
    assert bitmaps.to_ranges(selectors.day_bits(profile, dt.date(2026, 3, 8))) == [(0, 120), (180, 1440)]
    # template: an all-day Sunday applied to the same week
    services.save_weekly_template(profile=profile, weekdays={6: [(0, 1440)]})
    services.apply_weekly_template(profile=profile, week_start=DST_WEEK, weeks=1)
    assert bitmaps.to_ranges(selectors.day_bits(profile, dt.date(2026, 3, 8))) == [(0, 120), (180, 1440)]


# --- copy forward, template, blocks --------------------------------------------------------------


def test_copy_week_forward_replaces_exactly_the_next_n_weeks(profile, full_week):
    later = WEEK + dt.timedelta(weeks=2)
    services.save_week(profile=profile, week_start=later, days={later + dt.timedelta(days=6): [(0, 60)]})
    beyond = WEEK + dt.timedelta(weeks=4)
    services.save_week(profile=profile, week_start=beyond, days={beyond: [(0, 60)]})

    assert services.copy_week_forward(profile=profile, week_start=WEEK, weeks=3) == 3

    for week in (1, 2, 3):
        shift = dt.timedelta(weeks=week)
        assert week_ranges(profile, WEEK + shift) == {day + shift: ranges for day, ranges in full_week.items()}
    assert week_ranges(profile, beyond) == {beyond: [(0, 60)]}  # week 4 untouched
    assert week_ranges(profile, WEEK) == full_week  # the source too


@pytest.mark.parametrize("weeks", [0, -1, services.MAX_WEEKS_AHEAD + 1])
def test_copy_week_forward_needs_a_sensible_number_of_weeks(profile, full_week, weeks):
    with pytest.raises(InvalidInput) as error:
        services.copy_week_forward(profile=profile, week_start=WEEK, weeks=weeks)
    assert "weeks" in error.value.extra["fields"]
    assert AvailabilityDay.objects.filter(instructor=profile).count() == 7


def test_weekly_template_saves_and_applies_to_n_weeks(profile):
    services.save_weekly_template(profile=profile, weekdays={0: NINE_TO_FIVE, 5: [(600, 720)], 6: []})
    assert {w: bitmaps.to_ranges(b) for w, b in selectors.weekly_template(profile).items()} == {
        0: NINE_TO_FIVE,
        5: [(600, 720)],
    }
    stale = WEEK + dt.timedelta(days=2)  # open before; the template closes Wednesdays
    services.save_week(profile=profile, week_start=WEEK, days={stale: NINE_TO_FIVE})

    assert services.apply_weekly_template(profile=profile, week_start=WEEK, weeks=2) == 2

    for week in (0, 1):
        start = WEEK + dt.timedelta(weeks=week)
        assert week_ranges(profile, start) == {start: NINE_TO_FIVE, start + dt.timedelta(days=5): [(600, 720)]}
    assert week_ranges(profile, WEEK + dt.timedelta(weeks=2)) == {}


def test_saving_the_template_again_replaces_it(profile):
    services.save_weekly_template(profile=profile, weekdays={0: NINE_TO_FIVE, 1: NINE_TO_FIVE})
    services.save_weekly_template(profile=profile, weekdays={2: [(60, 120)]})
    assert set(selectors.weekly_template(profile)) == {2}
    with pytest.raises(InvalidInput):
        services.save_weekly_template(profile=profile, weekdays={7: NINE_TO_FIVE})
    assert set(selectors.weekly_template(profile)) == {2}


def test_block_days_closes_the_range_inclusive_and_nothing_else(profile, full_week):
    first, last = WEEK + dt.timedelta(days=1), WEEK + dt.timedelta(days=3)
    assert services.block_days(profile=profile, first_day=first, last_day=last) == 3
    remaining = week_ranges(profile, WEEK)
    assert set(remaining) == {
        WEEK,
        WEEK + dt.timedelta(days=4),
        WEEK + dt.timedelta(days=5),
        WEEK + dt.timedelta(days=6),
    }
    assert services.block_days(profile=profile, first_day=first, last_day=last) == 0  # already closed


def test_block_days_rejects_backwards_and_overlong_ranges(profile, full_week):
    with pytest.raises(InvalidInput) as error:
        services.block_days(profile=profile, first_day=WEEK, last_day=WEEK - dt.timedelta(days=1))
    assert "last_day" in error.value.extra["fields"]
    with pytest.raises(InvalidInput):
        services.block_days(profile=profile, first_day=WEEK, last_day=WEEK + dt.timedelta(days=400))
    assert AvailabilityDay.objects.filter(instructor=profile).count() == 7


def test_changes_touch_only_the_given_instructor(profile, full_week):
    other = InstructorProfileFactory()
    services.save_week(profile=other, week_start=WEEK, days={WEEK: NINE_TO_FIVE})
    services.block_days(profile=profile, first_day=WEEK, last_day=WEEK + dt.timedelta(days=6))
    services.copy_week_forward(profile=profile, week_start=WEEK, weeks=1)
    assert week_ranges(other, WEEK) == {WEEK: NINE_TO_FIVE}
    assert not WeeklyTemplateDay.objects.filter(instructor=other).exists()


# --- booking rules -----------------------------------------------------------------------------

RULES = {
    "min_notice_minutes": 240,
    "booking_horizon_days": 30,
    "buffer_minutes": 20,
    "max_lessons_per_day": 4,
    "requires_confirmation": True,
}


def test_update_booking_rules_saves_every_rule(profile):
    services.update_booking_rules(profile=profile, **RULES)
    profile.refresh_from_db()
    assert {name: getattr(profile, name) for name in RULES} == RULES


def test_update_booking_rules_reports_every_bad_field_and_changes_nothing(profile):
    before = {name: getattr(profile, name) for name in RULES}
    bad = {
        "min_notice_minutes": -1,
        "booking_horizon_days": 0,
        "buffer_minutes": 121,
        "max_lessons_per_day": 25,
        "requires_confirmation": True,
    }
    with pytest.raises(InvalidInput) as error:
        services.update_booking_rules(profile=profile, **bad)
    assert set(error.value.extra["fields"]) == {
        "min_notice_minutes",
        "booking_horizon_days",
        "buffer_minutes",
        "max_lessons_per_day",
    }
    profile.refresh_from_db()
    assert {name: getattr(profile, name) for name in RULES} == before


# --- cache invalidation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda p: services.save_week(profile=p, week_start=WEEK, days={WEEK: NINE_TO_FIVE}),
        lambda p: services.copy_week_forward(profile=p, week_start=WEEK, weeks=2),
        lambda p: services.apply_weekly_template(profile=p, week_start=WEEK, weeks=1),
        lambda p: services.block_days(profile=p, first_day=WEEK, last_day=WEEK),
        lambda p: services.update_booking_rules(profile=p, **RULES),
    ],
    ids=["save_week", "copy_week_forward", "apply_weekly_template", "block_days", "update_booking_rules"],
)
def test_each_change_bumps_the_public_availability_cache_on_commit(profile, change, django_capture_on_commit_callbacks):
    namespace = services.availability_namespace(profile.pk)
    before = namespace_version(namespace)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change(profile)
    assert namespace_version(namespace) == before  # nothing happens before the commit
    for callback in callbacks:
        callback()
    assert namespace_version(namespace) > before


def test_a_failed_save_does_not_bump_the_cache(profile, django_capture_on_commit_callbacks):
    namespace = services.availability_namespace(profile.pk)
    before = namespace_version(namespace)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInput):
        services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(1, 2)]})
    assert namespace_version(namespace) == before


# --- layer independence ---------------------------------------------------------------------------


def test_clearing_time_under_a_confirmed_booking_leaves_the_booking_untouched(django_capture_on_commit_callbacks):
    lesson_day = WEEK + dt.timedelta(days=2)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=NY), tick=False):
        profile = open_instructor(days=[lesson_day], ranges=NINE_TO_FIVE)
        booking = book(UserFactory(role="student"), profile.offerings.get(), dt.datetime(2026, 3, 11, 10, tzinfo=NY))
        assert booking.status == BookingStatus.CONFIRMED
        before = Booking.objects.filter(pk=booking.pk).values().get()

        with django_capture_on_commit_callbacks(execute=True):
            services.save_week(profile=profile, week_start=WEEK, days={})  # the whole week closed
            services.block_days(profile=profile, first_day=lesson_day, last_day=lesson_day)
            services.save_weekly_template(profile=profile, weekdays={})
            services.apply_weekly_template(profile=profile, week_start=WEEK, weeks=1)

    assert selectors.day_bits(profile, lesson_day) == bitmaps.EMPTY
    assert Booking.objects.filter(pk=booking.pk).values().get() == before  # every column, updated_at included


def test_the_weekly_template_keeps_to_the_15_minute_grid_and_changes_nothing_when_refused(profile):
    services.save_weekly_template(profile=profile, weekdays={0: [(540, 720)]})
    with pytest.raises(InvalidInput) as error:
        services.save_weekly_template(profile=profile, weekdays={1: [(545, 600)]})
    assert "weekday-1" in error.value.extra["fields"]
    assert list(WeeklyTemplateDay.objects.filter(instructor=profile).values_list("weekday", flat=True)) == [0]
