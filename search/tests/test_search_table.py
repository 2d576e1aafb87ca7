"""Real-world queries, end to end: the words are parsed against the real catalog and NYC areas,
and the right instructors come back (filters, place, price, learner, typos, names, and time
windows checked against the painted availability).

The cast teaches across the boroughs. "Now" is Thursday 7 January 2027, 10:00 in New York; each
instructor is open at known times in the two weeks that follow.
"""

import datetime as dt

import pytest

from availability import services as availability_services
from availability.selectors import week_start_of
from instructors.catalog import load_areas, load_catalog
from instructors.models import InstructorService, Neighborhood, Service
from instructors.tests.factories import live_instructor
from search import parser, vocabulary
from search.selectors import search_instructors

pytestmark = pytest.mark.django_db

NY = "America/New_York"
NOW = dt.datetime(2027, 1, 7, 15, 0, tzinfo=dt.UTC)  # Thursday 10:00 in New York
MONDAY = dt.date(2027, 1, 4)
ALL_AGES = ["kids", "teens", "adults"]
YOUNG = ["kids", "teens"]


def hours(start: int, end: int) -> tuple[int, int]:
    return (start * 60, end * 60)


# name: (services, neighborhood, $/h, lesson locations, age groups, levels, {weekday: open hours})
CAST = {
    "Gia": (["guitar"], "park-slope", 70, ["student_location", "online"], ALL_AGES, None, {4: hours(18, 21)}),
    "Hal": (["guitar"], "harlem", 95, ["instructor_location"], ["adults"], None, {5: hours(9, 12)}),
    "Kai": (["guitar"], "astoria", 45, ["online"], YOUNG, None, dict.fromkeys(range(5), hours(8, 11))),
    "Pia": (["piano"], "upper-west-side", 50, ["student_location"], ALL_AGES, ["beginner"], {4: hours(18, 20)}),
    "Sol": (["spanish"], "williamsburg", 40, ["online"], ALL_AGES, None, dict.fromkeys(range(7), hours(19, 22))),
    "Tess": (["sat-prep", "act-prep"], "upper-east-side", 120, ["online"], ["teens"], None, {5: hours(13, 17)}),
    "Mo": (
        ["algebra-1", "geometry"],
        "bushwick",
        60,
        ["student_location"],
        ["kids", "teens"],
        None,
        {3: hours(16, 20)},
    ),
    "Ada": (["french"], "chelsea", 80, ["online", "instructor_location"], ALL_AGES, None, {3: hours(18, 20)}),
    "Ray": (["swimming"], "riverdale", 90, ["neutral_location"], ["kids"], None, {5: hours(10, 12)}),
    "Zelda": (["cello"], "st-george", 65, ["instructor_location"], ALL_AGES, None, {2: hours(9, 17)}),
    "Lu": (["yoga"], "long-island-city", 55, ["student_location"], ALL_AGES, None, {4: hours(6, 9)}),
    "Bo": (["chess"], "park-slope", 35, ["student_location"], ["kids"], None, {6: hours(10, 12)}),
}


@pytest.fixture
def cast():
    load_catalog()
    load_areas()
    for name, (slugs, area, dollars, locations, ages, levels, open_hours) in CAST.items():
        profile = live_instructor(
            first_name=name,
            last_name="Moreno" if name == "Zelda" else "Teacher",
            services=list(Service.objects.filter(slug__in=slugs)),
            neighborhoods=[Neighborhood.objects.get(slug=area)],
            rate_cents=dollars * 100,
            location_types=locations,
            timezone=NY,
        )
        InstructorService.objects.filter(instructor=profile).update(age_groups=ages, levels=levels or ["beginner"])
        if levels is None:
            InstructorService.objects.filter(instructor=profile).update(levels=["beginner", "intermediate", "advanced"])
        profile.min_notice_minutes = 0
        profile.buffer_minutes = 0
        profile.save(update_fields=["min_notice_minutes", "buffer_minutes"])
        for week in (MONDAY, MONDAY + dt.timedelta(days=7)):
            days = {week + dt.timedelta(days=wd): [span] for wd, span in open_hours.items()}
            availability_services.save_week(profile=profile, week_start=week_start_of(week), days=days)


GUITARISTS = {"Gia", "Hal", "Kai"}

# (words, the instructors expected, the kinds of chips understood)
TABLE = [
    ("guitar", GUITARISTS, {"subject"}),
    ("guitar lessons", GUITARISTS, {"subject"}),
    ("Guitars", GUITARISTS, {"subject"}),
    ("gutiar", GUITARISTS, {"subject"}),
    ("guitar lessons for kids in brooklyn", {"Gia"}, {"subject", "learner", "place"}),
    ("guitar for kids", {"Gia", "Kai"}, {"subject", "learner"}),
    ("teen guitar", {"Gia", "Kai"}, {"subject", "learner"}),
    ("adult guitar lessons", {"Gia", "Hal"}, {"subject", "learner"}),
    ("guitar in queens", {"Kai"}, {"subject", "place"}),
    ("guitar in manhattan", {"Hal"}, {"subject", "place"}),
    ("guitar under $80", {"Gia", "Kai"}, {"subject", "price"}),
    ("guitar $50-100", {"Gia", "Hal"}, {"subject", "price"}),
    ("guitar tomorrow evening", {"Gia"}, {"subject", "time"}),
    ("guitar saturday", {"Hal"}, {"subject", "time"}),
    ("guitar weekday mornings", {"Kai"}, {"subject", "time"}),
    ("online guitar", {"Gia", "Kai"}, {"subject", "place"}),
    ("guitar at my place", {"Gia"}, {"subject", "place"}),
    ("guitar teacher near me", {"Gia"}, {"subject", "place"}),
    ("guitar lessons in brooklyn this weekend", set(), {"subject", "place", "time"}),
    ("🎸 guitar", GUITARISTS, {"subject"}),
    ("piano", {"Pia"}, {"subject"}),
    ("piono", {"Pia"}, {"subject"}),
    ("piano tomorrow evening", {"Pia"}, {"subject", "time"}),
    ("piano lessons for beginners", {"Pia"}, {"subject", "level"}),
    ("piano next week", {"Pia"}, {"subject", "time"}),
    ("spanish tutor", {"Sol"}, {"subject"}),
    ("spansh", {"Sol"}, {"subject"}),
    ("spanish after 7pm", {"Sol"}, {"subject", "time"}),
    ("spanish tonight", {"Sol"}, {"subject", "time"}),
    ("online spanish under $50", {"Sol"}, {"subject", "place", "price"}),
    ("spanish this weekend", {"Sol"}, {"subject", "time"}),
    ("sat", {"Tess"}, {"subject"}),
    ("SAT prep this weekend", {"Tess"}, {"subject", "time"}),
    ("act tutor", {"Tess"}, {"subject"}),
    ("sat tutor saturday morning", set(), {"subject", "time"}),
    ("sat tutor saturday afternoon", {"Tess"}, {"subject", "time"}),
    ("math tutor", {"Mo"}, {"subject"}),
    ("algebra", {"Mo"}, {"subject"}),
    ("geometry help in brooklyn", {"Mo"}, {"subject", "place"}),
    ("math tutor today", {"Mo"}, {"subject", "time"}),
    ("french", {"Ada"}, {"subject"}),
    ("french tutor in chelsea", {"Ada"}, {"subject", "place"}),
    ("french today after 5pm", {"Ada"}, {"subject", "time"}),
    ("swimming lessons for kids", {"Ray"}, {"subject", "learner"}),
    ("swim lessons in the bronx", {"Ray"}, {"subject", "place"}),
    ("swimming saturday", {"Ray"}, {"subject", "time"}),
    ("cello", {"Zelda"}, {"subject"}),
    ("cello wednesday", {"Zelda"}, {"subject", "time"}),
    ("zelda", {"Zelda"}, {"name"}),
    ("zelda moreno", {"Zelda"}, {"name"}),
    ("morenno", {"Zelda"}, {"name"}),
    ("yoga at home", {"Lu"}, {"subject", "place"}),
    ("yoga in long island city", {"Lu"}, {"subject", "place"}),
    ("yoga friday morning", {"Lu"}, {"subject", "time"}),
    ("chess for kids", {"Bo"}, {"subject", "learner"}),
    ("chess in park slope", {"Bo"}, {"subject", "place"}),
    ("chess sunday", {"Bo"}, {"subject", "time"}),
    ("cheap chess", {"Bo"}, {"subject", "sort"}),
    ("violin", set(), {"subject"}),
    ("guitar in narnia", set(), {"subject", "place"}),
    ("piano $90-$40", set(), {"subject", "price"}),
    ("'; drop table users;--", set(), None),
]


def run(words: str):
    query = parser.parse_query(words, vocabulary=vocabulary.current_vocabulary(), now=NOW, timezone=NY)
    sort = "price" if query.cheapest_first else "best"
    results = search_instructors(query, timezone=NY, now=NOW, sort=sort, page_size=50)
    return query, results


def test_real_world_queries_find_the_right_instructors(cast):
    assert len(TABLE) >= 60
    wrong = []
    for words, expected, kinds in TABLE:
        query, results = run(words)
        found = {hit.profile.user.first_name for hit in results.hits}
        understood = {chip.kind for chip in query.chips}
        if found != expected or (kinds is not None and understood != kinds):
            chips = ", ".join(f"{chip.kind}:{chip.label}{'' if chip.matched else '(!)'}" for chip in query.chips)
            wrong.append(f"{words!r}: found {sorted(found)} expected {sorted(expected)}; understood [{chips}]")
    assert wrong == [], "\n".join(wrong)


def test_a_place_without_a_subject_ranks_the_exact_neighborhood_first(cast):
    _, results = run("lessons in park slope")
    names = [hit.profile.user.first_name for hit in results.hits]
    assert set(names[:2]) == {"Gia", "Bo"}
    assert set(names) == {"Gia", "Bo", "Sol", "Mo"}  # the rest of Brooklyn follows


def test_cheap_sorts_by_price_and_times_fit_the_window(cast):
    _, cheap = run("cheap guitar")
    assert [hit.profile.user.first_name for hit in cheap.hits] == ["Kai", "Gia", "Hal"]
    _, evening = run("guitar tomorrow evening")
    starts = [start.start_at for start in evening.hits[0].next_starts]
    assert starts[0] == dt.datetime(2027, 1, 8, 23, 0, tzinfo=dt.UTC)  # Friday 18:00 in New York
