"""The search page and `/api/v1/search/`: one filterset and one search behind both, chips that
remove themselves, empty states, and hostile input that never makes a 500."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from availability.selectors import week_start_of
from core.timeutil import now as current_time
from core.timeutil import to_local
from instructors.catalog import load_areas, load_catalog
from instructors.models import InstructorService, Neighborhood, Service
from instructors.tests.factories import live_instructor

pytestmark = pytest.mark.django_db

NY = "America/New_York"


@pytest.fixture
def catalog():
    load_catalog()
    load_areas()


def teacher(first_name, service_slug, neighborhood_slug, *, rate=60_00, location_types=("student_location",)):
    return live_instructor(
        first_name=first_name,
        services=[Service.objects.get(slug=service_slug)],
        neighborhoods=[Neighborhood.objects.get(slug=neighborhood_slug)],
        rate_cents=rate,
        location_types=location_types,
    )


def open_tomorrow(profile, ranges):
    day = to_local(current_time(), NY).date() + dt.timedelta(days=1)
    profile.min_notice_minutes = 0
    profile.save(update_fields=["min_notice_minutes"])
    availability_services.save_week(profile=profile, week_start=week_start_of(day), days={day: list(ranges)})


@pytest.fixture
def teachers(catalog):
    return {
        "gia": teacher("Gia", "guitar", "park-slope", rate=70_00),
        "hal": teacher("Hal", "guitar", "harlem", rate=95_00),
        "pia": teacher("Pia", "piano", "park-slope", rate=50_00),
    }


def page_names(response) -> list[str]:
    return [hit.profile.user.first_name for hit in response.context["results"].hits]


def api_names(response) -> list[str]:
    return [hit["instructor"]["name"].split()[0] for hit in response.json()["results"]]


def test_words_become_chips_and_instructors(client, teachers):
    response = client.get(reverse("search:search"), {"q": "guitar lessons in brooklyn under $80"})
    assert response.status_code == 200
    assert page_names(response) == ["Gia"]
    labels = [item["chip"].label for item in response.context["chips"]]
    assert labels == ["Guitar", "Brooklyn", "Under $80/hr"]
    html = response.content.decode()
    assert "Remove Brooklyn" in html and "1 instructor" in html


def test_removing_a_chip_widens_the_search(client, teachers):
    response = client.get(reverse("search:search"), {"q": "guitar in brooklyn"})
    place = next(item for item in response.context["chips"] if item["chip"].kind == "place")
    widened = client.get(reverse("search:search") + place["remove_url"])
    assert sorted(page_names(widened)) == ["Gia", "Hal"]
    assert [item["chip"].label for item in widened.context["chips"]] == ["Guitar"]


def test_an_explicit_filter_replaces_what_the_words_said(client, teachers):
    response = client.get(reverse("search:search"), {"q": "guitar in brooklyn", "borough": "manhattan"})
    assert page_names(response) == ["Hal"]
    assert [item["chip"].label for item in response.context["chips"]] == ["Guitar", "Manhattan"]


def test_a_time_window_shows_only_instructors_open_then_with_their_times(client, teachers):
    open_tomorrow(teachers["gia"], [(18 * 60, 20 * 60)])
    open_tomorrow(teachers["hal"], [(8 * 60, 10 * 60)])
    response = client.get(reverse("search:search"), {"q": "guitar tomorrow evening"})
    assert page_names(response) == ["Gia"]
    assert "Tomorrow evening" in [item["chip"].label for item in response.context["chips"]]
    assert "6:00 p.m." in response.content.decode() or "6:00 pm" in response.content.decode()


def test_understood_but_impossible_is_shown_not_ignored(client, teachers):
    response = client.get(reverse("search:search"), {"q": "guitar in narnia"})
    assert response.context["results"].total == 0
    html = response.content.decode()
    assert "chip-unmatched" in html and "Narnia" in html
    assert "Without “Narnia”" in html  # the empty state offers to widen


def test_nothing_typed_offers_popular_subjects(client, teachers):
    response = client.get(reverse("search:search"))
    assert response.status_code == 200 and response.context["results"] is None
    assert ("guitar", "Guitar") in response.context["popular"]


@pytest.mark.parametrize(
    "words",
    ["", "   ", "x" * 1000, "🎸🎹 lessons 🥁", "'; DROP TABLE users; --", "<script>alert(1)</script>", "$$$ - $", "in"],
)
def test_odd_words_give_a_normal_page(client, teachers, words):
    response = client.get(reverse("search:search"), {"q": words})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.parametrize("words", ["gui\x01tar", "piano\x00"])
def test_control_characters_are_a_400_page(client, words):
    assert client.get(reverse("search:search"), {"q": words}).status_code == 400


def test_the_api_answers_the_same_search_as_the_page(client, teachers):
    for words in ["guitar", "guitar in brooklyn", "piano under $60", "cheap guitar", "gutiar"]:
        page = client.get(reverse("search:search"), {"q": words})
        api = client.get(reverse("api-search"), {"q": words})
        assert api.status_code == 200
        assert api_names(api) == page_names(page), words
        assert [chip["label"] for chip in api.json()["understood"]] == [
            item["chip"].label for item in page.context["chips"]
        ]


def test_the_api_reports_bad_input_in_its_error_shape(client, teachers):
    too_long = client.get(reverse("api-search"), {"q": "x" * 1000})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "invalid"
    assert "q" in too_long.json()["error"]["fields"]
    upside_down = client.get(reverse("api-search"), {"price_min": "90", "price_max": "40"})
    assert upside_down.status_code == 400 and "price_max" in upside_down.json()["error"]["fields"]
    assert client.get(reverse("api-search"), {"sort": "random"}).status_code == 400
    assert client.get(reverse("api-search"), {"page": "0"}).status_code == 400


def test_the_api_result_shape(client, teachers):
    body = client.get(reverse("api-search"), {"q": "guitar", "sort": "price"}).json()
    assert body["count"] == 2 and body["page"] == 1 and body["page_count"] == 1 and body["sort"] == "price"
    assert len(body["search_id"]) == 26
    first = body["results"][0]
    assert first["position"] == 1 and first["instructor"]["name"] == "Gia " + first["instructor"]["name"][4:]
    assert first["instructor"]["rate_cents"] == 70_00 and first["durations"] == [30, 60]
    assert "email" not in str(body)


def test_a_signed_in_students_words_are_read_in_their_time_zone(client, teachers):
    # 23:30 in Honolulu is already "tomorrow" in New York: the window follows the student.
    student = UserFactory(role="student", timezone="Pacific/Honolulu")
    client.force_login(student)
    open_tomorrow(teachers["gia"], [(18 * 60, 20 * 60)])
    response = client.get(reverse("search:search"), {"q": "guitar tomorrow evening"})
    window = response.context["criteria"].query.window
    assert window.first == to_local(current_time(), "Pacific/Honolulu").date() + dt.timedelta(days=1)


def test_the_page_query_count_is_fixed(client, teachers, django_assert_max_num_queries):
    for name in ["Ana", "Bo", "Cy", "Di"]:
        InstructorService.objects.filter(instructor=teacher(name, "guitar", "astoria")).update(levels=["beginner"])
    client.get(reverse("search:search"), {"q": "guitar"})  # warm the vocabulary cache
    with django_assert_max_num_queries(12):
        response = client.get(reverse("search:search"), {"q": "guitar for beginners"})
    assert len(page_names(response)) == 6
