"""Public availability API: detail levels, booked time, notice and horizon, privacy, caching."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from bookings.tests.factories import book, open_instructor
from core.cache import bump_namespace
from core.edge import MARKER, Edge, parse_marker
from core.tests.edge_support import WsgiClient, listening_store, wait_until
from instructors.selectors import LISTINGS_CACHE
from instructors.tests.factories import InstructorProfileFactory

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
# Tuesday 2026-12-01, 07:00 in New York: Thursday 3 and Friday 4 are open 09:00-12:00 and 13:00-17:00.
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
THU, FRI = dt.date(2026, 12, 3), dt.date(2026, 12, 4)
HOURS = ((9 * 60, 12 * 60), (13 * 60, 17 * 60))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def instructor(clock):
    profile = open_instructor(days=[THU, FRI], ranges=HOURS)
    profile.user.first_name, profile.user.last_name = "Sofia", "Marquez"
    profile.user.save(update_fields=["first_name", "last_name"])
    return profile


def url(profile, what="availability"):
    return f"/api/v1/public/instructors/{profile.pk}/{what}"


def get(client, profile, what="availability", **params):
    return client.get(url(profile, what), params)


def ranges(day):
    return [(r["start"], r["end"]) for r in day["ranges"]]


def by_date(data):
    return {day["date"]: day for day in data["days"]}


def test_full_detail_gives_the_free_ranges_of_a_known_week(client, instructor):
    response = get(client, instructor, start_date="2026-12-01", days=7, detail="full")
    assert response.status_code == 200
    data = response.json()
    assert data["timezone"] == "America/New_York"
    assert (data["start_date"], data["end_date"], data["detail"]) == ("2026-12-01", "2026-12-07", "full")
    assert data["shortest_lesson_minutes"] == 30
    assert data["instructor"] == {"id": instructor.pk, "name": "Sofia M."}
    days = by_date(data)
    assert list(days) == [f"2026-12-0{n}" for n in range(1, 8)]
    assert ranges(days["2026-12-03"]) == [("09:00", "12:00"), ("13:00", "17:00")]
    assert ranges(days["2026-12-04"]) == [("09:00", "12:00"), ("13:00", "17:00")]
    assert days["2026-12-02"] == {"date": "2026-12-02", "available": False, "ranges": []}
    assert [day["available"] for day in data["days"]] == [False, False, True, True, False, False, False]
    assert "slot" not in response.content.decode().lower()


def test_summary_detail_flags_morning_afternoon_and_evening(client, instructor, django_capture_on_commit_callbacks):
    week = {THU: list(HOURS), FRI: [(18 * 60, 24 * 60)]}
    with django_capture_on_commit_callbacks(execute=True):
        availability_services.save_week(profile=instructor, week_start=dt.date(2026, 11, 30), days=week)
    days = by_date(get(client, instructor, start_date="2026-12-03", days=2, detail="summary").json())
    assert days["2026-12-03"] == {
        "date": "2026-12-03",
        "available": True,
        "morning": True,
        "afternoon": True,
        "evening": False,
    }
    assert days["2026-12-04"] == {
        "date": "2026-12-04",
        "available": True,
        "morning": False,
        "afternoon": False,
        "evening": True,
    }
    full = by_date(get(client, instructor, start_date="2026-12-04", days=1).json())
    assert ranges(full["2026-12-04"]) == [("18:00", "24:00")]


def test_minimal_detail_says_yes_or_no_per_day(client, instructor):
    data = get(client, instructor, start_date="2026-12-02", days=4, detail="minimal").json()
    assert data["days"] == [
        {"date": "2026-12-02", "available": False},
        {"date": "2026-12-03", "available": True},
        {"date": "2026-12-04", "available": True},
        {"date": "2026-12-05", "available": False},
    ]


def test_defaults_are_the_instructors_today_for_14_days_in_full(client, clock):
    # 03:00 UTC on Dec 1 is still Nov 30 in Los Angeles.
    clock.move_to(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
    profile = open_instructor(days=[THU], tz="America/Los_Angeles")
    data = get(client, profile).json()
    assert (data["start_date"], data["end_date"], data["detail"]) == ("2026-11-30", "2026-12-13", "full")
    assert len(data["days"]) == 14
    assert data["timezone"] == "America/Los_Angeles"


def test_a_start_date_in_the_past_is_moved_to_today(client, instructor):
    data = get(client, instructor, start_date="2026-11-20", days=3).json()
    assert data["start_date"] == "2026-12-01"
    assert [day["date"] for day in data["days"]] == ["2026-12-01", "2026-12-02", "2026-12-03"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 91}, "days"),
        ({"days": "many"}, "days"),
        ({"detail": "everything"}, "detail"),
        ({"start_date": "2026-13-01"}, "start_date"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"start_date": "2028-01-01"}, "start_date"),
    ],
)
def test_bad_parameters_are_a_400_with_the_error_shape(client, instructor, params, field):
    response = get(client, instructor, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_90_days_is_the_longest_horizon(client, instructor):
    data = get(client, instructor, days=90, detail="minimal").json()
    assert len(data["days"]) == 90


def test_unknown_or_not_live_instructors_are_404(client, clock):
    not_live = InstructorProfileFactory()
    for profile_id in ("01JZZZZZZZZZZZZZZZZZZZZZZZ", not_live.pk, "nonsense", "x" * 200):
        for what in ("availability", "next-available"):
            response = client.get(f"/api/v1/public/instructors/{profile_id}/{what}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_booked_time_is_subtracted_with_the_buffer(client, instructor, django_capture_on_commit_callbacks):
    instructor.buffer_minutes = 15
    instructor.save(update_fields=["buffer_minutes"])
    before = by_date(get(client, instructor, start_date="2026-12-03", days=1).json())
    assert ranges(before["2026-12-03"]) == [("09:00", "12:00"), ("13:00", "17:00")]
    offering = instructor.offerings.get()
    with django_capture_on_commit_callbacks(execute=True):
        book(UserFactory(), offering, dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY))
    after = by_date(get(client, instructor, start_date="2026-12-03", days=1).json())
    # 10:00-11:00 booked, widened by the 15-minute buffer on both sides.
    assert ranges(after["2026-12-03"]) == [("09:00", "09:45"), ("11:15", "12:00"), ("13:00", "17:00")]


def test_minimum_notice_hides_times_too_soon(client, clock):
    # Thursday 09:07 in New York with two hours' notice: the first start is 11:15 (15-minute grid).
    clock.move_to(dt.datetime(2026, 12, 3, 14, 7, tzinfo=dt.UTC))
    profile = open_instructor(days=[THU, FRI], ranges=HOURS, min_notice_minutes=120)
    days = by_date(get(client, profile, days=2).json())
    assert ranges(days["2026-12-03"]) == [("11:15", "12:00"), ("13:00", "17:00")]
    assert ranges(days["2026-12-04"]) == [("09:00", "12:00"), ("13:00", "17:00")]


def test_the_booking_horizon_ends_the_calendar(client, clock):
    # Tuesday 10:00 in New York, two days ahead at most: Thursday until a 10:00 start.
    clock.move_to(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    profile = open_instructor(days=[THU, FRI], ranges=HOURS, booking_horizon_days=2)
    days = by_date(get(client, profile, days=5).json())
    assert ranges(days["2026-12-03"]) == [("09:00", "10:30")]  # starts 09:00..10:00, 30-minute lessons
    assert days["2026-12-04"]["available"] is False
    next_up = get(client, profile, "next-available", duration=60).json()["next_available"]
    assert next_up["start_at"] == "2026-12-03T14:00:00Z"


def test_full_days_are_closed(client, clock, django_capture_on_commit_callbacks):
    profile = open_instructor(days=[THU], ranges=HOURS, max_lessons_per_day=1)
    with django_capture_on_commit_callbacks(execute=True):
        book(UserFactory(), profile.offerings.get(), dt.datetime(2026, 12, 3, 9, 0, tzinfo=NY))
    assert by_date(get(client, profile, start_date="2026-12-03", days=1).json())["2026-12-03"]["available"] is False


def test_no_last_name_email_or_phone_in_public_responses(client, instructor):
    user = instructor.user
    for what in ("availability", "next-available"):
        body = get(client, instructor, what).content.decode()
        assert "Sofia M." in body
        assert user.last_name not in body
        assert user.email not in body


def test_the_name_can_be_left_out(client, instructor, settings):
    settings.PUBLIC_AVAILABILITY_SHOW_NAME = False
    for what in ("availability", "next-available"):
        data = get(client, instructor, what).json()
        assert data["instructor"] == {"id": instructor.pk, "name": None}
        assert "Sofia" not in str(data)


# --- caching -------------------------------------------------------------------------------


def test_a_cached_response_costs_no_sql(client, instructor, django_assert_max_num_queries, django_assert_num_queries):
    with django_assert_max_num_queries(5):  # a miss: public facts (2), profile (1), openings (2)
        first = get(client, instructor, days=30)
    with django_assert_num_queries(0):
        second = get(client, instructor, days=30)
    assert second.json() == first.json()
    get(client, instructor, "next-available")
    with django_assert_num_queries(0):
        get(client, instructor, "next-available")
    unknown = "/api/v1/public/instructors/01JZZZZZZZZZZZZZZZZZZZZZZZ/availability"
    assert client.get(unknown).status_code == 404
    with django_assert_num_queries(0):  # a cached "no such live instructor" costs nothing either
        assert client.get(unknown).status_code == 404


def test_the_miss_path_query_count_does_not_grow_with_the_horizon(client, instructor):
    counts = []
    for days in (1, 90):
        cache.delete_pattern("*")  # this run's cache entries
        with CaptureQueriesContext(connection) as queries:
            get(client, instructor, days=days, detail="summary")
        counts.append(len(queries))
    assert counts[0] == counts[1] == 5


def test_saving_availability_refreshes_the_cached_calendar(client, instructor, django_capture_on_commit_callbacks):
    assert by_date(get(client, instructor, start_date="2026-12-03", days=1).json())["2026-12-03"]["available"]
    with django_capture_on_commit_callbacks(execute=True):
        availability_services.save_week(profile=instructor, week_start=dt.date(2026, 11, 30), days={})
    data = get(client, instructor, start_date="2026-12-03", days=1).json()
    assert by_date(data)["2026-12-03"] == {"date": "2026-12-03", "available": False, "ranges": []}


def test_booking_a_lesson_refreshes_the_cached_calendar_and_next_available(
    client, instructor, django_capture_on_commit_callbacks
):
    first = get(client, instructor, "next-available", duration=60).json()["next_available"]
    assert first["start_at"] == "2026-12-03T14:00:00Z"
    with django_capture_on_commit_callbacks(execute=True):
        book(UserFactory(), instructor.offerings.get(), dt.datetime(2026, 12, 3, 9, 0, tzinfo=NY))
    again = get(client, instructor, "next-available", duration=60).json()["next_available"]
    assert again["start_at"] == "2026-12-03T15:00:00Z"


def test_a_new_day_is_a_new_cache_entry(client, instructor, clock):
    assert get(client, instructor, days=1).json()["start_date"] == "2026-12-01"
    clock.move_to(dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC))
    assert get(client, instructor, days=1).json()["start_date"] == "2026-12-02"


# --- the edge in front of Django ---------------------------------------------------------------


def test_answers_are_marked_for_the_edge_until_the_instructors_midnight(client, instructor, clock, settings):
    namespaces = ("listings", f"availability:{instructor.pk}")
    for what in ("availability", "next-available"):
        assert parse_marker(get(client, instructor, what)[MARKER]) == (60, namespaces)  # 07:00 in New York
    clock.move_to(dt.datetime(2026, 12, 2, 4, 59, 30, tzinfo=dt.UTC))  # 23:59:30 in New York
    for what in ("availability", "next-available"):
        assert parse_marker(get(client, instructor, what)[MARKER]) == (30, namespaces)
    settings.PUBLIC_AVAILABILITY_EDGE_SECONDS = 0
    assert MARKER not in get(client, instructor)


def test_only_json_is_marked_for_the_edge(client, instructor):
    assert MARKER in client.get(url(instructor), headers={"accept": "application/json"})
    browsable = client.get(url(instructor), headers={"accept": "text/html"})  # it shows who is signed in
    assert browsable["Content-Type"].startswith("text/html") and MARKER not in browsable


def test_errors_are_not_marked_for_the_edge(client, instructor):
    unknown = "/api/v1/public/instructors/01JZZZZZZZZZZZZZZZZZZZZZZZ/availability"
    for response in (get(client, instructor, days=91), get(client, instructor, "next-available", duration=7)):
        assert response.status_code == 400 and MARKER not in response
    assert client.get(unknown).status_code == 404 and MARKER not in client.get(unknown)


class CountingApp:
    def __init__(self, app):
        self.app, self.calls = app, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


@pytest.fixture
def through_the_edge():
    """Django's real WSGI handler behind the edge, with a store listening to this run's bumps.
    Like Django's test client, it keeps the request signals from closing the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with listening_store() as store:
            django = CountingApp(WSGIHandler())
            yield WsgiClient(Edge(django, store=store)), django
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_a_repeated_request_is_answered_by_the_edge_without_django(
    through_the_edge, instructor, django_assert_num_queries
):
    edge, django = through_the_edge
    path = f"{url(instructor)}?start_date=2026-12-02&days=3&detail=summary"
    first = edge.get(path, HTTP_ACCEPT="application/json")
    with django_assert_num_queries(0):
        second = edge.get(path, HTTP_ACCEPT="application/json")
    assert django.calls == 1
    assert second == first
    status, headers, body = second
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    assert MARKER not in headers
    assert [day["date"] for day in json.loads(body)["days"]] == ["2026-12-02", "2026-12-03", "2026-12-04"]


def test_bad_parameters_are_still_a_400_from_django(through_the_edge, instructor):
    edge, django = through_the_edge
    for _ in range(2):
        status, _, body = edge.get(f"{url(instructor)}?days=91")
        assert status.startswith("400") and json.loads(body)["error"]["code"] == "invalid"
    assert django.calls == 2


def test_saving_availability_retires_the_edges_answer(through_the_edge, instructor, django_capture_on_commit_callbacks):
    edge, django = through_the_edge
    path = f"{url(instructor)}?start_date=2026-12-03&days=1"

    def thursday():
        return by_date(json.loads(edge.get(path)[2]))["2026-12-03"]

    assert thursday()["available"] and thursday()["available"]
    assert django.calls == 1  # the second from memory
    with django_capture_on_commit_callbacks(execute=True):
        availability_services.save_week(profile=instructor, week_start=dt.date(2026, 11, 30), days={})
    assert wait_until(lambda: not thursday()["available"])
    assert django.calls == 2  # retired once, then kept again
    assert not thursday()["available"] and django.calls == 2


def test_booking_retires_the_edges_next_available(through_the_edge, instructor, django_capture_on_commit_callbacks):
    edge, django = through_the_edge
    path = f"{url(instructor, 'next-available')}?duration=60"

    def next_start():
        return json.loads(edge.get(path)[2])["next_available"]["start_at"]

    assert next_start() == next_start() == "2026-12-03T14:00:00Z"
    assert django.calls == 1  # the second from memory
    with django_capture_on_commit_callbacks(execute=True):
        book(UserFactory(), instructor.offerings.get(), dt.datetime(2026, 12, 3, 9, 0, tzinfo=NY))
    assert wait_until(lambda: next_start() == "2026-12-03T15:00:00Z")
    assert django.calls == 2


def test_a_listings_bump_retires_the_edges_answer(through_the_edge, instructor):
    edge, django = through_the_edge
    path = f"{url(instructor)}?days=2"
    edge.get(path)
    edge.get(path)
    assert django.calls == 1
    bump_namespace(LISTINGS_CACHE)  # a profile or an offering changed
    assert wait_until(lambda: edge.get(path) and django.calls == 2)


# --- next available ----------------------------------------------------------------------------


def test_next_available_gives_the_first_start_in_utc_and_local_time(client, instructor):
    data = get(client, instructor, "next-available", duration=60).json()
    assert data["duration"] == 60
    assert data["timezone"] == "America/New_York"
    assert data["message"] is None
    assert data["next_available"] == {
        "start_at": "2026-12-03T14:00:00Z",
        "end_at": "2026-12-03T15:00:00Z",
        "local_date": "2026-12-03",
        "local_start": "09:00",
        "local_end": "10:00",
    }


def test_next_available_defaults_to_the_shortest_lesson(client, instructor):
    data = get(client, instructor, "next-available").json()
    assert data["duration"] == 30
    assert data["next_available"]["local_end"] == "09:30"


@pytest.mark.parametrize("duration", ["45", "0", "sixty"])
def test_next_available_needs_a_length_the_instructor_offers(client, instructor, duration):
    response = get(client, instructor, "next-available", duration=duration)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "duration" in response.json()["error"]["fields"]


def test_next_available_is_null_when_nothing_is_free(client, clock):
    profile = open_instructor(days=[])
    data = get(client, profile, "next-available", duration=60).json()
    assert data["next_available"] is None
    assert data["message"]
