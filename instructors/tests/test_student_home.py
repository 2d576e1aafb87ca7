"""The signed-in student's home at /: next lesson, "Book again", recent searches and who matches
them, built from lessons and searches made through the services."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.tests.factories import book, open_instructor
from instructors import student_home
from instructors.models import InstructorProfile
from instructors.tests.factories import CategoryFactory, ServiceFactory, live_instructor
from search.history import record_search

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 7:00 AM in New York
DAYS = [dt.date(2026, 12, 2), dt.date(2026, 12, 3), dt.date(2026, 12, 4)]
OPEN_ALL_DAY = ((7 * 60, 20 * 60),)
# Session, user, permissions (2), next lesson, "Book again", recent searches, the latest
# search's instructors (9: the search page's own query, with open times), the messages badge.
QUERY_BUDGET = 17


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def student(clock):
    return UserFactory(first_name="Maya", timezone="America/Los_Angeles")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NY)


def teacher(first_name: str = "", last_name: str = "") -> InstructorProfile:
    profile = open_instructor(days=DAYS, ranges=OPEN_ALL_DAY)
    if first_name:
        profile.user.first_name, profile.user.last_name = first_name, last_name or "Teacher"
        profile.user.save(update_fields=["first_name", "last_name"])
    return profile


def finish_lessons_before(clock, moment: dt.datetime) -> None:
    clock.move_to(moment)
    booking_services.complete_finished_lessons()


def search(student, words: str, minutes_ago: int) -> None:
    record_search(
        user_id=student.pk,
        visitor_id="",
        query=words,
        normalized=words.lower(),
        at=NOW - dt.timedelta(minutes=minutes_ago),
    )


# --- who gets which home ----------------------------------------------------------------------


def test_visitors_and_instructors_get_the_marketing_home(client):
    assert client.get(reverse("home")).templates[0].name == "instructors/home.html"
    client.force_login(live_instructor().user)
    assert client.get(reverse("home")).templates[0].name == "instructors/home.html"


def test_a_new_student_is_pointed_to_their_first_instructor(client, student):
    live_instructor(services=[ServiceFactory(name="Piano", slug="piano")], first_name="Lena", last_name="Okafor")
    client.force_login(student)
    response = client.get(reverse("home"))
    body = text(response)
    assert response.templates[0].name == "instructors/student_home.html"
    assert "Hi Maya" in body
    assert "Find your first instructor" in body
    assert f'href="{reverse("instructors:service_listing", args=["piano"])}">Piano</a>' in body
    assert 'role="search"' in body and "What do you want to learn?" in body
    assert "Instructors students love" in body and "Lena O." in body
    assert "Book again" not in body and "Recent searches" not in body


# --- lessons ----------------------------------------------------------------------------------


def test_the_next_lesson_shows_in_the_students_time_zone_with_a_link(client, clock, student):
    lena = teacher(first_name="Lena", last_name="Okafor")
    offering = lena.offerings.get()
    later = book(student, offering, at(DAYS[2], 10))
    sooner = book(student, offering, at(DAYS[1], 15))
    client.force_login(student)

    body = text(client.get(reverse("home")))

    assert f'href="{reverse("bookings:detail", args=[sooner.pk])}"' in body
    assert f"{offering.service.name} with Lena O." in body
    assert "Thursday, December 3 · 12:00 PM – 1:00 PM" in body  # 3 PM in New York is noon in Los Angeles
    assert "America/Los_Angeles" in body
    assert reverse("bookings:detail", args=[later.pk]) not in body
    assert "Find your first instructor" not in body


def test_book_again_offers_each_past_instructor_once_latest_first(client, clock, student):
    teachers = {name: teacher(first_name=name) for name in ("Ana", "Ben", "Cal", "Dee", "Eve", "Fay")}
    for name, hour in [("Fay", 8), ("Ana", 9), ("Ben", 10), ("Cal", 11), ("Dee", 12), ("Eve", 13), ("Ana", 14)]:
        book(student, teachers[name].offerings.get(), at(DAYS[0], hour), duration=30 if name == "Ana" else 60)
    book(UserFactory(), teachers["Fay"].offerings.get(), at(DAYS[0], 16))  # someone else's lesson
    finish_lessons_before(clock, at(DAYS[1], 7))
    InstructorProfile.objects.filter(pk=teachers["Eve"].pk).update(is_live=False)  # can't be booked now
    client.force_login(student)

    response = client.get(reverse("home"))

    again = response.context["book_again"]
    assert [lesson.instructor.user.first_name for lesson in again] == ["Ana", "Dee", "Cal", "Ben"]
    ana = teachers["Ana"]
    book_url = f"{reverse('bookings:book', args=[ana.pk])}?offering={ana.offerings.get().pk}&amp;duration=30"
    assert f'href="{book_url}"' in response.content.decode()
    assert "Nothing booked right now" in text(response)
    preselected = client.get(book_url.replace("&amp;", "&")).context
    assert (preselected["offering"].pk, preselected["duration"]) == (ana.offerings.get().pk, 30)


# --- searches ---------------------------------------------------------------------------------


def test_recent_searches_rerun_and_the_latest_one_shows_matching_instructors(client, student):
    music = CategoryFactory(name="Music", slug="music")
    piano = ServiceFactory(name="Piano", slug="piano", category=music)
    violin = ServiceFactory(name="Violin", slug="violin", category=music)
    live_instructor(services=[piano], first_name="Pia", rate_cents=70_00)
    live_instructor(services=[violin], first_name="Vic")
    search(student, "Violin", minutes_ago=30)
    search(student, "Piano", minutes_ago=5)
    client.force_login(student)

    response = client.get(reverse("home"))
    body = text(response)

    assert [entry.query for entry in response.context["searches"]] == ["Piano", "Violin"]
    assert f'href="{reverse("search:search")}?q=Violin"' in body
    assert "Instructors for “Piano”" in body
    assert [profile.user.first_name for profile in response.context["matches"]] == ["Pia"]
    assert "Pia " in body and "$70" in body and "Vic " not in body


def test_a_search_nobody_matches_says_so(client, student):
    search(student, "underwater basket weaving", minutes_ago=1)
    client.force_login(student)
    assert "Nobody matches “underwater basket weaving” right now" in text(client.get(reverse("home")))


# --- cost ---------------------------------------------------------------------------------------


def test_the_student_home_costs_a_fixed_number_of_queries(
    client, clock, student, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    piano = ServiceFactory(name="Piano", slug="piano")

    def lessons_with(past_hours: list[int], upcoming_hour: int) -> None:
        clock.move_to(NOW)
        for hour in past_hours:
            book(student, teacher().offerings.get(), at(DAYS[0], hour))
            with django_capture_on_commit_callbacks(execute=True):  # going live retires cached rankings
                live_instructor(services=[piano])
        book(student, teacher().offerings.get(), at(DAYS[2], upcoming_hour))
        finish_lessons_before(clock, at(DAYS[1], 7))

    lessons_with([8, 9], upcoming_hour=8)
    search(student, "piano", minutes_ago=1)
    client.force_login(student)
    client.get(reverse("home"))  # warms the catalog cache, as any earlier visit would have
    with django_assert_max_num_queries(QUERY_BUDGET) as few:
        client.get(reverse("home"))
    budget = len(few)  # read now: each request resets the connection's query log

    lessons_with([10, 11, 12], upcoming_hour=9)
    for minutes_ago, words in enumerate(["guitar", "spanish", "piano lessons", "sat prep"], start=2):
        search(student, words, minutes_ago=minutes_ago)
    client.get(reverse("home"))  # new instructors went live: the cached ranking is rebuilt once
    with django_assert_max_num_queries(budget):
        response = client.get(reverse("home"))
    assert len(response.context["book_again"]) == 4 and len(response.context["searches"]) == 5
    assert len(response.context["matches"]) == 4


def test_a_reader_the_home_does_not_have_is_refused():
    with pytest.raises(TypeError):
        student_home.register(favourite_colour=lambda user: "teal")
