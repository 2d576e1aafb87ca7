"""The parser's vocabulary: spelling keys, typo distance, the subject and place indexes, and
the nicknames file, checked against the catalog and area files (no database)."""

import pytest

from instructors.catalog import read_data_file
from search import parser
from search.vocabulary import (
    NAME_RANK,
    Vocabulary,
    by_length,
    closest_spelling,
    phrase_keys,
    read_synonyms,
    terms_from_data,
    typo_distance,
    word_key,
)

CATALOG, AREAS = read_data_file("catalog.json"), read_data_file("nyc_areas.json")
VOCABULARY = Vocabulary.from_data(CATALOG, AREAS)


@pytest.mark.parametrize(
    ("word", "key"),
    [
        ("guitars", "guitar"),
        ("classes", "class"),
        ("stories", "story"),
        ("coaches", "coach"),
        ("chess", "chess"),
        ("this", "this"),
        ("sats", "sat"),
        ("ios", "ios"),
        ("$80", "$80"),
    ],
)
def test_word_key_drops_plural_endings(word, key):
    assert word_key(word) == key


def test_a_catalog_phrase_may_be_typed_several_ways():
    assert phrase_keys("Pre-Algebra") == [("pre", "algebra"), ("prealgebra",)]
    assert phrase_keys("Hip Hop Dance") == [("hip", "hop", "dance"), ("hiphopdance",)]
    assert phrase_keys("Hell's Kitchen") == [("hell", "kitchen"), ("hellskitchen",)]
    assert phrase_keys("Piano") == [("piano",)]


@pytest.mark.parametrize(
    ("typed", "known", "distance"),
    [
        ("gutiar", "guitar", 1),  # a swap of neighbours is one edit
        ("spansh", "spanish", 1),
        ("piono", "piano", 1),
        ("photografy", "photography", 2),
        ("maria", "martial", 2),
        ("guitar", "guitar", 0),
    ],
)
def test_typo_distance(typed, known, distance):
    assert typo_distance(typed, known, budget=2) == distance


def test_typo_distance_stops_counting_past_the_budget():
    assert typo_distance("xylophone", "guitar", budget=1) == 2
    assert typo_distance("abcdefgh", "hgfedcba", budget=2) == 3


def test_closest_spelling_stays_within_the_edit_budget():
    words = by_length(["guitar", "martial", "spanish", "queen", "teen"])
    assert closest_spelling("gutiar", words).word == "guitar"
    assert closest_spelling("maria", words) is None  # two edits from "martial": a name, not a typo
    assert closest_spelling("qeen", words).word == "queen"  # one edit from both: the more similar wins
    assert closest_spelling("c++", words) is None


def test_a_service_name_wins_alone_and_a_shared_keyword_names_them_all():
    assert VOCABULARY.subjects[("guitar",)].services == ("guitar",)
    composition = VOCABULARY.subjects[("composition",)]  # also a keyword of Songwriting and Photography
    assert (composition.services, composition.rank) == (("composition",), NAME_RANK)
    assert VOCABULARY.subjects[("string",)].services == ("violin", "viola", "cello")
    assert VOCABULARY.subjects[("string",)].label == "Strings"


def test_a_category_names_its_services_in_catalog_order():
    dances = next(category for category in CATALOG["categories"] if category["slug"] == "dance")["services"]
    assert VOCABULARY.subjects[("dance",)].services == tuple(item["slug"] for item in dances)
    assert VOCABULARY.subjects[("math",)].label == "Math"  # "Tutoring: Math" reads as "Math"


def test_places_know_boroughs_neighborhoods_and_nicknames():
    assert VOCABULARY.places[("bronx",)].label == "The Bronx"
    assert VOCABULARY.places[("bk",)].borough == "brooklyn"
    park_slope = VOCABULARY.places[("park", "slope")]
    assert (park_slope.borough, park_slope.neighborhood, park_slope.label) == (
        "brooklyn",
        "park-slope",
        "Park Slope, Brooklyn",
    )


def test_every_nickname_points_at_something_real():
    synonyms = read_synonyms()
    services = {item["slug"] for category in CATALOG["categories"] for item in category["services"]}
    categories = {category["slug"] for category in CATALOG["categories"]}
    boroughs = {borough["slug"] for borough in AREAS["boroughs"]}
    neighborhoods = {item["slug"] for borough in AREAS["boroughs"] for item in borough["neighborhoods"]}
    assert set(synonyms["categories"].values()) <= categories
    assert {slug for slugs in synonyms["services"].values() for slug in slugs} <= services
    assert set(synonyms["boroughs"].values()) <= boroughs
    assert set(synonyms["neighborhoods"].values()) <= neighborhoods


def test_nicknames_for_what_the_catalog_lacks_are_skipped():
    music_only = {"categories": CATALOG["categories"][:1]}
    vocabulary = Vocabulary.from_data(music_only, {"boroughs": AREAS["boroughs"][:1]})
    assert ("spanish",) not in vocabulary.subjects
    assert ("english",) not in vocabulary.subjects  # a synonym for ESL and ELA, not in this catalog
    assert ("bk",) not in vocabulary.places  # Brooklyn isn't either
    assert vocabulary.subjects[("music",)].services[0] == "piano"


def test_the_fixed_table_and_the_catalog_never_claim_the_same_words():
    """A catalog or nickname edit that collides with the parser's own words would silently
    change what a query means: this test says so first."""
    one_word_subjects = {key[0] for key in VOCABULARY.subjects if len(key) == 1}
    one_word_places = {key[0] for key in VOCABULARY.places if len(key) == 1}
    assert not parser.FILLER & (one_word_subjects | one_word_places)
    assert not set(parser.FIXED_AS_KEYED) & (set(VOCABULARY.subjects) | set(VOCABULARY.places))
    assert not set(VOCABULARY.subjects) & set(VOCABULARY.places)


@pytest.mark.parametrize(
    ("typed", "slug"),
    [("gutiar", "guitar"), ("spansh", "spanish"), ("ukelele", "ukulele"), ("maria", None), ("sat", None), ("", None)],
)
def test_closest_service_in_memory(typed, slug):
    assert VOCABULARY.closest_service(typed) == slug


def test_spelled_like():
    assert VOCABULARY.spelled_like("gutiar", "guitar")
    assert VOCABULARY.spelled_like("acoustic", "guitar")
    assert not VOCABULARY.spelled_like("maria", "guitar")


def test_the_same_terms_have_the_same_fingerprint():
    first, again = terms_from_data(CATALOG, AREAS), terms_from_data(CATALOG, AREAS)
    assert first.fingerprint == again.fingerprint and len(first.fingerprint) == 16
    fewer = terms_from_data({"categories": CATALOG["categories"][:1]}, AREAS)
    assert fewer.fingerprint != first.fingerprint
    assert type(first).from_rows(first.as_rows()) == first
