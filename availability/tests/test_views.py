"""The instructor's calendar pages through Django's test client on the real database: the
week editor (both save formats), week navigation, lessons over the grid, the copy /
template / block tools, the booking rules page, access and query counts."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from availability import bitmaps, selectors, services
from availability.forms import parse_ranges
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import book, open_instructor
from instructors.tests.factories import InstructorProfileFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# Sunday 2026-03-01, 22:00 in New York: already Monday 03:00 in UTC. The instructor's week is
# still the one that started on Monday 2026-02-23.
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
THIS_WEEK = dt.date(2026, 2, 23)
WEEK = dt.date(2026, 3, 9)
URL = "/teach/calendar/"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def week_ranges(profile, week_start):
    days = selectors.days_between(profile, week_start, week_start + dt.timedelta(days=6))
    return {day: bitmaps.to_ranges(bits) for day, bits in days.items()}


def week_post(week_start, **texts):
    """The week form as a browser sends it: every day present, `texts` by weekday index."""
    data = {"week": week_start.isoformat()}
    for index, day in enumerate(services.week_dates(week_start)):
        data[f"day-{day.isoformat()}"] = texts.get(f"d{index}", "")
    return data


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile():
    return InstructorProfileFactory(user__timezone="America/New_York", user__first_name="Sofia")


@pytest.fixture
def instructor(client, profile):
    client.force_login(profile.user)
    return profile.user


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["week", "rules", "copy_week", "save_template", "apply_template", "block_days"],
)
def test_pages_need_a_signed_in_instructor(client, name):
    url = reverse(f"availability:{name}")
    response = client.post(url) if name not in ("week", "rules") else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    client.force_login(UserFactory(role="student"))
    response = client.post(url) if name not in ("week", "rules") else client.get(url)
    assert response.status_code == 403


def test_url_names_and_paths():
    assert reverse("availability:week") == "/teach/calendar/"
    assert reverse("availability:rules") == "/teach/rules/"


# --- the editor page ------------------------------------------------------------------------------


def test_editor_shows_the_instructors_current_local_week(client, instructor):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["week_start"] == THIS_WEEK  # by New York's calendar, not UTC's
    body = text(response)
    assert "Feb 23 – Mar 1, 2026" in body
    assert "America/New_York" in body
    assert "Lessons already booked stay booked" in body
    assert "Shift</kbd> + arrow keys" in body  # the keys are documented on the page
    today = [column for column in response.context["columns"] if column.is_today]
    assert [column.date for column in today] == [dt.date(2026, 3, 1)]
    for day in services.week_dates(THIS_WEEK):
        assert f'name="day-{day.isoformat()}"' in body  # the no-JS form: one field per day


def test_editor_prefills_saved_times_in_the_save_format(client, instructor, profile):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(540, 720), (780, 1440)]})
    response = client.get(URL, {"week": "2026-03-12"})  # any date of the week
    assert response.context["week_start"] == WEEK
    assert response.context["form"].initial["day-2026-03-09"] == "09:00-12:00, 13:00-24:00"
    grid = json.loads(re.search(r'id="week-grid-data"[^>]*>(.*?)</script>', response.content.decode(), re.S)[1])
    assert grid["days"][0]["ranges"] == [[540, 720], [780, 1440]]
    assert grid["fullDay"] is True  # open past 23:00: the grid starts on the whole day


def test_week_navigation_links_and_bad_week_values(client, instructor):
    response = client.get(URL, {"week": WEEK.isoformat()})
    assert response.context["prev_url"] == f"{URL}?week=2026-03-02"
    assert response.context["next_url"] == f"{URL}?week=2026-03-16"
    assert response.context["this_week_url"] == f"{URL}?week=2026-02-23"
    assert "March 9 – 15, 2026" in text(response)
    for bad in ["garbage", "2026-02-30", "9999-12-31", "1900-01-01"]:
        assert client.get(URL, {"week": bad}).context["week_start"] == THIS_WEEK


def test_dst_days_are_explained(client, instructor):
    body = text(client.get(URL, {"week": "2026-03-02"}))
    assert "Sunday, March 8: clocks go forward, so 02:00–03:00 doesn" in body
    fall_back = text(client.get(URL, {"week": "2026-10-26"}))
    assert "Sunday, November 1: clocks go back, so 01:00–02:00 happens twice" in fall_back


# --- saving the week --------------------------------------------------------------------------------


def test_plain_form_saves_the_week_and_redirects_with_a_message(client, instructor, profile):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK + dt.timedelta(days=6): [(0, 60)]})
    data = week_post(WEEK, d0="09:00-12:00, 13:00-17:00", d2="9am - 12:30pm\n2:15pm–5pm", d4="22:00-24:00")
    response = client.post(URL, data, follow=True)
    assert response.redirect_chain == [(f"{URL}?week=2026-03-09", 302)]
    assert "Saved your availability for March 9 – 15, 2026." in text(response)
    assert week_ranges(profile, WEEK) == {
        WEEK: [(540, 720), (780, 1020)],
        WEEK + dt.timedelta(days=2): [(540, 750), (855, 1020)],
        WEEK + dt.timedelta(days=4): [(1320, 1440)],
    }  # Sunday's old hour is gone: the week is replaced as a whole


def test_grid_format_saves_with_a_json_answer(client, instructor, profile):
    data = week_post(WEEK, d1="06:00-06:15, 06:15-08:00", d6="00:00-24:00")
    response = client.post(URL, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is True
    assert body["days"]["day-2026-03-10"] == "06:00-08:00"
    assert body["days"]["day-2026-03-15"] == "00:00-24:00"
    assert body["days"]["day-2026-03-09"] == ""
    assert week_ranges(profile, WEEK) == {dt.date(2026, 3, 10): [(360, 480)], dt.date(2026, 3, 15): [(0, 1440)]}


def test_the_spring_forward_hour_is_dropped_when_saving(client, instructor, profile):
    client.post(URL, week_post(dt.date(2026, 3, 2), d6="01:00-04:00"))
    assert week_ranges(profile, dt.date(2026, 3, 2)) == {dt.date(2026, 3, 8): [(60, 120), (180, 240)]}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("09:10-10:00", "quarter hours"),
        ("12:00-09:00", "ends before it starts"),
        ("nine to five", "is not a range"),
        ("09:00-25:00", "not a time of day"),
        ("13pm-14pm", "from 1 to 12"),
    ],
)
def test_bad_times_show_on_that_day_and_change_nothing(client, instructor, profile, typed, message):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(60, 120)]})
    response = client.post(URL, week_post(WEEK, d0="08:00-09:00", d3=typed))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["day-2026-03-12"]
    assert message in errors["day-2026-03-12"][0]
    assert 'data-has-errors="true"' in response.content.decode()
    assert week_ranges(profile, WEEK) == {WEEK: [(60, 120)]}


def test_bad_times_in_the_grid_format_give_json_field_errors(client, instructor, profile):
    response = client.post(URL, week_post(WEEK, d3="09:10-10:00"), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["day-2026-03-12"]
    assert not week_ranges(profile, WEEK)


def test_the_week_form_must_carry_exactly_the_weeks_seven_days(client, instructor, profile):
    missing = week_post(WEEK, d0="09:00-10:00")
    del missing["day-2026-03-15"]
    response = client.post(URL, missing)
    assert "every day of the week must be sent" in text(response)
    extra = week_post(WEEK, d0="09:00-10:00") | {"day-2026-03-16": "09:00-10:00"}
    response = client.post(URL, extra, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert not week_ranges(profile, WEEK)
    assert not week_ranges(profile, dt.date(2026, 3, 16))


@pytest.mark.parametrize("week", ["", "soon", "9999-12-27"])
def test_a_bad_week_value_is_refused(client, instructor, profile, week):
    data = week_post(WEEK, d0="09:00-10:00") | {"week": week}
    response = client.post(URL, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    response = client.post(URL, data, follow=True)
    assert "be edited here. Reload the page" in text(response)
    assert not selectors.days_between(profile, dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def test_saving_never_touches_another_instructors_calendar(client, instructor, profile):
    other = InstructorProfileFactory()
    services.save_week(profile=other, week_start=WEEK, days={WEEK: [(60, 120)]})
    client.post(URL, week_post(WEEK))
    client.post(reverse("availability:block_days"), {"first_day": "2026-03-09", "last_day": "2026-03-15"})
    assert week_ranges(other, WEEK) == {WEEK: [(60, 120)]}


def test_parse_ranges_accepts_the_friendly_spellings():
    assert parse_ranges("9-12; 1pm to 5:30 pm, 10pm-12am") == [(540, 720), (780, 1050), (1320, 1440)]
    assert parse_ranges(" \n ") == []


# --- lessons over the grid -------------------------------------------------------------------------


def lesson_profile():
    profile = open_instructor(days=services.week_dates(WEEK), ranges=((8 * 60, 20 * 60),))
    profile.max_lessons_per_day = 10
    profile.save()
    return profile


def test_lessons_are_shown_with_the_students_public_name_only(client):
    profile = lesson_profile()
    student = UserFactory(role="student", first_name="Ana", last_name="Zylberberg", email="ana@example.com")
    confirmed = book(student, profile.offerings.get(), dt.datetime(2026, 3, 10, 10, tzinfo=NY))
    held = book(
        UserFactory(role="student"), profile.offerings.get(), dt.datetime(2026, 3, 11, 9, tzinfo=NY), confirm=False
    )
    client.force_login(profile.user)
    response = client.get(URL, {"week": WEEK.isoformat()})
    body = response.content.decode()
    assert "Ana Z." in body
    assert "Zylberberg" not in body and "ana@example.com" not in body
    assert confirmed.service_name in body
    lessons = response.context["grid"]["lessons"]
    assert [(lesson["day"], lesson["start"], lesson["end"], lesson["status"]) for lesson in lessons] == [
        (1, 600, 660, BookingStatus.CONFIRMED),
        (2, 540, 600, BookingStatus.HELD),
    ]
    assert lessons[0]["label"] == f"{confirmed.service_name} · Ana Z."
    assert held.status == BookingStatus.HELD


def test_cancelled_lessons_are_not_drawn(client):
    from bookings import services as booking_services

    profile = lesson_profile()
    student = UserFactory(role="student")
    booking = book(student, profile.offerings.get(), dt.datetime(2026, 3, 10, 10, tzinfo=NY))
    booking_services.cancel_booking(booking=booking, user=student)
    client.force_login(profile.user)
    assert client.get(URL, {"week": WEEK.isoformat()}).context["lessons"] == []


def test_clearing_the_week_under_a_lesson_keeps_the_lesson(client):
    profile = lesson_profile()
    booking = book(UserFactory(role="student"), profile.offerings.get(), dt.datetime(2026, 3, 10, 10, tzinfo=NY))
    before = Booking.objects.filter(pk=booking.pk).values().get()
    client.force_login(profile.user)
    response = client.post(URL, week_post(WEEK), follow=True)
    assert not week_ranges(profile, WEEK)
    assert Booking.objects.filter(pk=booking.pk).values().get() == before
    assert len(response.context["lessons"]) == 1  # still drawn over the now-empty grid


def count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_editor_query_count_does_not_grow_with_lessons(client):
    profile = lesson_profile()
    offering = profile.offerings.get()
    book(UserFactory(role="student"), offering, dt.datetime(2026, 3, 9, 9, tzinfo=NY))
    client.force_login(profile.user)
    params = {"week": WEEK.isoformat()}
    client.get(URL, params)  # warm up anything cached per process
    one = count_queries(client, URL, params)
    for day in range(1, 7):
        for hour in (9, 12, 15):
            start = dt.datetime.combine(WEEK + dt.timedelta(days=day), dt.time(hour), tzinfo=NY)
            book(UserFactory(role="student"), offering, start)
    many = count_queries(client, URL, params)
    assert len(client.get(URL, params).context["lessons"]) == 19
    assert many == one
    assert one <= 9  # session, user, 2 permission reads, profile, days, lessons, template, unread badge


# --- tools -----------------------------------------------------------------------------------------


def test_copy_forward(client, instructor, profile):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(540, 600)]})
    response = client.post(reverse("availability:copy_week"), {"week": "2026-03-11", "weeks": 2}, follow=True)
    assert response.redirect_chain == [(f"{URL}?week=2026-03-09", 302)]
    assert "Copied March 9 – 15, 2026 to the next 2 weeks" in text(response)
    for shift in (1, 2):
        monday = WEEK + dt.timedelta(weeks=shift)
        assert week_ranges(profile, monday) == {monday: [(540, 600)]}
    assert not week_ranges(profile, WEEK + dt.timedelta(weeks=3))


@pytest.mark.parametrize(
    ("weeks", "message"), [("0", "Choose between 1 and 52 weeks."), ("lots", "Enter a whole number.")]
)
def test_copy_forward_errors_show_on_the_form(client, instructor, profile, weeks, message):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(540, 600)]})
    response = client.post(reverse("availability:copy_week"), {"week": WEEK.isoformat(), "weeks": weeks})
    assert response.status_code == 200
    assert response.context["week_start"] == WEEK
    form = response.context["copy_form"]
    assert message in str(form.errors)
    assert not week_ranges(profile, WEEK + dt.timedelta(weeks=1))


def test_save_this_week_as_the_template_then_apply_it(client, instructor, profile):
    services.save_week(
        profile=profile, week_start=WEEK, days={WEEK: [(540, 600)], WEEK + dt.timedelta(days=5): [(600, 660)]}
    )
    response = client.post(reverse("availability:save_template"), {"week": WEEK.isoformat()}, follow=True)
    assert "Your weekly template is now the week of March 9 – 15, 2026." in text(response)
    assert {w: bitmaps.to_ranges(b) for w, b in selectors.weekly_template(profile).items()} == {
        0: [(540, 600)],
        5: [(600, 660)],
    }
    assert "<strong>Mon</strong> 09:00-10:00" in text(response)  # the template is summarised

    response = client.post(
        reverse("availability:apply_template"), {"week": WEEK.isoformat(), "starting": 1, "weeks": 2}, follow=True
    )
    assert "Applied your weekly template to 2 weeks from Mar 16" in text(response)
    for shift in (1, 2):
        monday = WEEK + dt.timedelta(weeks=shift)
        assert week_ranges(profile, monday) == {monday: [(540, 600)], monday + dt.timedelta(days=5): [(600, 660)]}
    assert not week_ranges(profile, WEEK + dt.timedelta(weeks=3))


def test_applying_without_a_template_explains_and_changes_nothing(client, instructor, profile):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK: [(540, 600)]})
    response = client.post(
        reverse("availability:apply_template"), {"week": WEEK.isoformat(), "starting": 0, "weeks": 1}
    )
    assert response.status_code == 200
    assert "You have no weekly template yet" in text(response)
    assert week_ranges(profile, WEEK) == {WEEK: [(540, 600)]}


def test_apply_template_validates_its_fields(client, instructor, profile):
    services.save_weekly_template(profile=profile, weekdays={0: [(540, 600)]})
    response = client.post(
        reverse("availability:apply_template"), {"week": WEEK.isoformat(), "starting": 7, "weeks": 1}
    )
    assert "starting" in response.context["apply_form"].errors
    response = client.post(
        reverse("availability:apply_template"), {"week": WEEK.isoformat(), "starting": 0, "weeks": 99}
    )
    assert response.context["apply_form"].errors["weeks"] == ["Choose between 1 and 52 weeks."]
    assert not week_ranges(profile, WEEK)


def test_block_days_off(client, instructor, profile):
    services.save_week(profile=profile, week_start=WEEK, days={day: [(540, 600)] for day in services.week_dates(WEEK)})
    data = {"first_day": "2026-03-10", "last_day": "2026-03-12", "week": WEEK.isoformat()}
    response = client.post(reverse("availability:block_days"), data, follow=True)
    assert "Blocked Mar 10 – Mar 12, 2026 (3 days had open time). Lessons already booked stay booked." in text(response)
    assert set(week_ranges(profile, WEEK)) == {WEEK, dt.date(2026, 3, 13), dt.date(2026, 3, 14), dt.date(2026, 3, 15)}


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        ("2026-03-12", "2026-03-10", "last_day", "The last day must not be before the first."),
        ("2026-03-01", "2027-06-01", "last_day", "Block at most a year at a time."),
        ("2026-02-01", "2026-02-10", "last_day", "That range is already over"),
        ("2026-03-10", "", "last_day", "This field is required."),
    ],
)
def test_block_days_errors_sit_on_their_fields(client, instructor, profile, first, last, field, message):
    services.save_week(profile=profile, week_start=WEEK, days={WEEK + dt.timedelta(days=1): [(540, 600)]})
    response = client.post(reverse("availability:block_days"), {"first_day": first, "last_day": last})
    assert response.status_code == 200
    assert message in " ".join(response.context["block_form"].errors[field])
    assert week_ranges(profile, WEEK)  # nothing cleared


# --- booking rules ---------------------------------------------------------------------------------

RULES_URL = "/teach/rules/"
GOOD_RULES = {
    "min_notice_minutes": "1440",
    "booking_horizon_days": "30",
    "buffer_minutes": "30",
    "max_lessons_per_day": "4",
    "requires_confirmation": "on",
}


def test_rules_page_shows_current_rules_in_friendly_units(client, instructor, profile):
    body = text(client.get(RULES_URL))
    assert '<option value="120" selected>2 hours</option>' in body
    assert '<option value="15" selected>15 minutes</option>' in body
    assert 'name="booking_horizon_days" value="60"' in body


def test_saving_rules(client, instructor, profile):
    response = client.post(RULES_URL, GOOD_RULES, follow=True)
    assert response.redirect_chain == [(RULES_URL, 302)]
    assert "Booking rules saved." in text(response)
    profile.refresh_from_db()
    assert (
        profile.min_notice_minutes,
        profile.booking_horizon_days,
        profile.buffer_minutes,
        profile.max_lessons_per_day,
        profile.requires_confirmation,
    ) == (1440, 30, 30, 4, True)
    client.post(RULES_URL, GOOD_RULES | {"requires_confirmation": ""})
    profile.refresh_from_db()
    assert profile.requires_confirmation is False  # an unticked box turns it off


def test_service_rule_errors_land_on_the_fields(client, instructor, profile):
    response = client.post(RULES_URL, GOOD_RULES | {"booking_horizon_days": "400", "max_lessons_per_day": "0"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["booking_horizon_days"] == ["Choose between 1 and 365 days."]
    assert errors["max_lessons_per_day"] == ["Choose between 1 and 24."]
    profile.refresh_from_db()
    assert profile.booking_horizon_days == 60


def test_rule_values_outside_the_choices_are_refused(client, instructor, profile):
    response = client.post(RULES_URL, GOOD_RULES | {"min_notice_minutes": "99999", "buffer_minutes": "seven"})
    assert set(response.context["form"].errors) == {"min_notice_minutes", "buffer_minutes"}
    profile.refresh_from_db()
    assert profile.min_notice_minutes == 120


def test_an_unusual_current_rule_stays_selectable(client, instructor, profile):
    services.update_booking_rules(
        profile=profile,
        min_notice_minutes=180,
        booking_horizon_days=60,
        buffer_minutes=25,
        max_lessons_per_day=6,
        requires_confirmation=False,
    )
    body = text(client.get(RULES_URL))
    assert '<option value="180" selected>3 hours (current)</option>' in body
    assert '<option value="25" selected>25 minutes (current)</option>' in body


# --- dashboard -------------------------------------------------------------------------------------


def test_dashboard_links_to_the_calendar_rules_and_bookings(client, instructor):
    body = text(client.get(reverse("instructors:dashboard")))
    assert "Calendar &amp; booking rules" in body
    assert f'href="{URL}"' in body
    assert f'href="{RULES_URL}"' in body
    assert f'href="{reverse("bookings:instructor_bookings")}"' in body
