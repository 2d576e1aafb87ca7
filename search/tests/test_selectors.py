"""Instructor search on the real database: filters, ranking, the exact time-window check from the
availability bitmaps minus bookings, paging, and a query count that does not grow with rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from availability.bitmaps import local_minute_to_utc
from availability.selectors import week_start_of
from bookings.tests.factories import book, open_instructor
from core.timeutil import now as current_time
from core.timeutil import to_local
from instructors import services as instructor_services
from instructors.models import InstructorService
from instructors.tests.factories import NeighborhoodFactory, ServiceFactory, live_instructor
from search import selectors
from search.query import Chip, ParsedQuery, TimeWindow
from search.selectors import search_instructors

pytestmark = pytest.mark.django_db

NY = "America/New_York"


def query(**fields) -> ParsedQuery:
    return ParsedQuery(text="", normalized="", **fields)


def names(results) -> list[str]:
    return [hit.profile.user.first_name for hit in results.hits]


def search(parsed: ParsedQuery, **options):
    return search_instructors(parsed, timezone=NY, now=current_time(), **options)


def tomorrow() -> dt.date:
    return to_local(current_time(), NY).date() + dt.timedelta(days=1)


def test_subject_price_and_place_filter_and_the_card_shows_the_lowest_matching_rate():
    guitar, piano = ServiceFactory(slug="guitar-t"), ServiceFactory(slug="piano-t")
    park_slope, harlem = NeighborhoodFactory(), NeighborhoodFactory()
    live_instructor(first_name="Gia", services=[guitar], rate_cents=70_00, neighborhoods=[park_slope])
    live_instructor(first_name="Pat", services=[piano], rate_cents=50_00, neighborhoods=[park_slope])
    live_instructor(first_name="Hal", services=[guitar], rate_cents=95_00, neighborhoods=[harlem])

    assert sorted(names(search(query(services=("guitar-t",))))) == ["Gia", "Hal"]
    assert names(search(query(services=("guitar-t",), price_max_cents=80_00))) == ["Gia"]
    in_brooklyn = search(query(services=("guitar-t",), borough=park_slope.borough.slug))
    assert names(in_brooklyn) == ["Gia"]
    assert in_brooklyn.hits[0].profile.rate_cents == 70_00
    assert in_brooklyn.hits[0].durations == (30, 60)


def test_the_exact_neighborhood_and_the_level_rank_first():
    guitar = ServiceFactory(slug="guitar-r")
    slope = NeighborhoodFactory()
    nearby = NeighborhoodFactory(borough=slope.borough)
    near = live_instructor(first_name="Near", services=[guitar], neighborhoods=[nearby], years_experience=30)
    live_instructor(first_name="Exact", services=[guitar], neighborhoods=[slope], years_experience=1)
    InstructorService.objects.filter(instructor=near).update(levels=["advanced"])

    ranked = search(query(services=("guitar-r",), borough=slope.borough.slug, neighborhood=slope.slug))
    assert names(ranked) == ["Exact", "Near"]
    assert names(search(query(services=("guitar-r",), level="advanced"))) == ["Near", "Exact"]
    assert [hit.position for hit in ranked.hits] == [1, 2]


def test_an_age_group_the_instructor_does_not_teach_is_filtered_out():
    drums = ServiceFactory(slug="drums-a")
    adults_only = live_instructor(first_name="Ada", services=[drums])
    live_instructor(first_name="Kim", services=[drums])
    InstructorService.objects.filter(instructor=adults_only).update(age_groups=["adults"])

    assert names(search(query(services=("drums-a",), age_group="kids"))) == ["Kim"]


def test_a_name_alone_finds_the_instructor_even_misspelt_and_beside_a_subject_only_lifts_them():
    cello = ServiceFactory(slug="cello-n")
    live_instructor(first_name="Zelda", last_name="Moreno", services=[cello], years_experience=1)
    live_instructor(first_name="Bruno", last_name="Diaz", services=[cello], years_experience=20)

    assert names(search(query(name_words=("zelda",)))) == ["Zelda"]
    assert names(search(query(name_words=("morenno",)))) == ["Zelda"]
    assert names(search(query(name_words=("nobodyhere",)))) == []
    assert names(search(query(services=("cello-n",), name_words=("zelda",)))) == ["Zelda", "Bruno"]
    assert names(search(query(services=("cello-n",), name_words=("best",)))) == ["Bruno", "Zelda"]


def test_an_understood_but_impossible_piece_empties_the_search_without_asking_the_database(
    django_assert_num_queries,
):
    live_instructor()
    impossible = query(chips=(Chip("place", "Narnia", "in narnia", matched=False),))
    with django_assert_num_queries(0):
        results = search(impossible)
    assert results.total == 0 and results.hits == []


def evening_teacher(service, day: dt.date):
    """A live teacher of `service` open 17:00-21:00 on `day`, made through the services (which,
    on commit, tell the cached rankings that the listings changed)."""
    profile = live_instructor(services=[service])
    availability_services.save_week(profile=profile, week_start=week_start_of(day), days={day: [(17 * 60, 21 * 60)]})
    return profile


def _evening(day: dt.date) -> TimeWindow:
    return TimeWindow(first=day, last=day, start_minute=17 * 60, end_minute=22 * 60)


def test_a_time_window_keeps_only_instructors_bookable_then_after_bookings_and_notice():
    day = tomorrow()
    evening_ok = open_instructor(days=[day], ranges=((18 * 60, 20 * 60),))
    open_instructor(days=[day], ranges=((9 * 60, 12 * 60),))  # mornings only
    booked_up = open_instructor(days=[day], ranges=((18 * 60, 19 * 60),))
    too_much_notice = open_instructor(days=[day], ranges=((18 * 60, 20 * 60),), min_notice_minutes=7 * 24 * 60)
    student = UserFactory(role="student")
    book(student, booked_up.offerings.get(), local_minute_to_utc(day, 18 * 60, NY))

    everyone = [evening_ok, booked_up, too_much_notice]
    slugs = tuple(profile.offerings.get().service.slug for profile in everyone) + ("nothing",)
    results = search(query(services=slugs, window=_evening(day)))

    assert [hit.profile.pk for hit in results.hits] == [evening_ok.pk]
    assert results.total == 1
    starts = [to_local(s.start_at, NY) for s in results.hits[0].next_starts]
    assert [(s.date(), s.hour, s.minute) for s in starts] == [(day, 18, 0), (day, 18, 15), (day, 18, 30)]


def test_without_a_window_cards_show_the_next_open_times_and_soonest_sorts_by_them():
    day = tomorrow()
    later = open_instructor(days=[day + dt.timedelta(days=2)], ranges=((10 * 60, 11 * 60),))
    sooner = open_instructor(days=[day], ranges=((15 * 60, 16 * 60),))
    never = open_instructor(days=[], ranges=())
    slugs = tuple(p.offerings.get().service.slug for p in (later, sooner, never))

    soonest = search(query(services=slugs), sort="soonest")
    assert [hit.profile.pk for hit in soonest.hits] == [sooner.pk, later.pk, never.pk]
    assert soonest.hits[2].next_starts == ()
    first = to_local(soonest.hits[0].next_starts[0].start_at, NY)
    assert (first.date(), first.hour) == (day, 15)


def test_paging_and_price_sorting():
    violin = ServiceFactory(slug="violin-p")
    for index, rate in enumerate([90_00, 40_00, 65_00]):
        live_instructor(first_name=f"V{index}", services=[violin], rate_cents=rate)

    first_page = search(query(services=("violin-p",)), sort="price", page_size=2)
    second_page = search(query(services=("violin-p",)), sort="price", page=2, page_size=2)
    assert [hit.profile.rate_cents for hit in first_page.hits + second_page.hits] == [40_00, 65_00, 90_00]
    assert (first_page.total, first_page.page_count, first_page.has_next, second_page.has_next) == (3, 2, True, False)
    assert second_page.hits[0].position == 3
    past_the_end = search(query(services=("violin-p",)), page=99, page_size=2)
    assert past_the_end.page == 2


@pytest.mark.parametrize("window", [False, True])
def test_the_query_count_does_not_grow_with_the_number_of_instructors(window, django_capture_on_commit_callbacks):
    day = tomorrow()
    service = ServiceFactory(slug="flute-q")

    def add_instructors(count):
        with django_capture_on_commit_callbacks(execute=True):  # the listings change is announced
            for _ in range(count):
                evening_teacher(service, day)

    parsed = query(services=("flute-q",), window=_evening(day) if window else None)
    add_instructors(2)
    with CaptureQueriesContext(connection) as few:
        assert search(parsed).total == 2
    add_instructors(6)
    with CaptureQueriesContext(connection) as more:
        assert search(parsed).total == 8
    assert len(more.captured_queries) == len(few.captured_queries) <= 9


def test_a_time_search_checks_a_bounded_number_of_calendars_and_says_when_there_are_more(monkeypatch):
    day = tomorrow()
    service = ServiceFactory(slug="harp-m")
    for _ in range(3):
        evening_teacher(service, day)
    parsed = query(services=("harp-m",), window=_evening(day))
    assert (search(parsed).total, search(parsed).more) == (3, False)

    monkeypatch.setattr(selectors, "TIME_CANDIDATES", 2)
    bounded = search(parsed)
    assert (bounded.total, bounded.more, len(bounded.hits)) == (2, True, 2)


def test_rankings_are_cached_until_the_listings_change(django_capture_on_commit_callbacks):
    oboe = ServiceFactory(slug="oboe-c")
    with django_capture_on_commit_callbacks(execute=True):
        cheap = live_instructor(first_name="Cheap", services=[oboe], rate_cents=40_00)
        live_instructor(first_name="Dear", services=[oboe], rate_cents=90_00)
    asked = query(services=("oboe-c",), price_max_cents=50_00)
    with CaptureQueriesContext(connection) as first:
        assert names(search(asked)) == ["Cheap"]
    with CaptureQueriesContext(connection) as again:
        assert names(search(asked)) == ["Cheap"]
    assert len(again.captured_queries) == len(first.captured_queries) - 1  # the ranking came from Redis

    offering = cheap.offerings.get()
    with django_capture_on_commit_callbacks(execute=True):
        instructor_services.update_offering(
            offering=offering,
            hourly_rate_cents=80_00,
            durations=offering.durations,
            location_types=offering.location_types,
            description="",
            age_groups=offering.age_groups,
            levels=offering.levels,
        )
    assert names(search(asked)) == []
