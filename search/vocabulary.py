"""What the query parser can recognise: the catalog's services and categories, NYC's boroughs
and neighborhoods, and the nicknames in data/synonyms.json, indexed for a fast parse.

Spelling is shared with the parser: a query and a catalog name meet when their words have the
same `word_key` after `normalize` ("Hell's Kitchen" and "hells kitchen", "guitars" and "Guitar",
"pre-algebra", "pre algebra" and "prealgebra").

Subjects rank: a service's own name or slug (it alone) > its keywords and the synonyms (every
service sharing the phrase, catalog order) > a category's name (all its services).

Typos are forgiven only within a small edit distance (one edit up to 7 letters, two above, a
swap of neighbours counting as one), for words of 5 letters or more: difflib's similarity
alone would turn names into subjects ("maria" is 0.83 like "martial"). Short words are never
guessed, so "sat" stays SAT Prep and "esl" ESL.

`current_vocabulary()` reads the catalog from the database and caches it under the listings
namespace, so a catalog edit (which bumps that namespace) is seen on the next search; each
process keeps the indexes built from one catalog version, so a search reads one cached value
and builds nothing.
"""

import difflib
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models.functions import Greatest

from core.cache import cached
from instructors.models import Borough, Neighborhood, Service
from instructors.selectors import LISTINGS_CACHE

MAX_QUERY_LENGTH = 200
MIN_TYPO_LENGTH = 5  # shorter words are abbreviations or names more often than typos
MAX_GUESSED_WORDS = 4
SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.json"

# pg_trgm shortlists services for a typo; the edit distance then decides.
TRIGRAM_SHORTLIST = 8
TRIGRAM_MIN_SIMILARITY = 0.2  # a swap of letters ("gutiar") scores only 0.29

Key = tuple[str, ...]  # the word keys of a phrase

# ---------------------------------------------------------------- spelling


_LETTER_FOLDS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_APOSTROPHES = re.compile(r"['’‘`´]")
_NOT_KEPT = re.compile(r"[^a-z0-9$.:+\- ]+")
# . and : only inside a word or number ("node.js", "5:30"), - only between two ("$50-70",
# "hip-hop"), $ only before a number, + only after a word ("c++", "$40+").
_STRAY_MARKS = re.compile(
    r"(?<![a-z0-9])[.:]|[.:](?![a-z0-9])|(?<![a-z0-9$])-|-(?![a-z0-9$])|\$(?!\d)|(?<![a-z0-9+])\+"
)
_SPACES = re.compile(r" {2,}")
_WORDS = re.compile(r"[^ -]+")


def normalize(text: str) -> str:
    """Lower case, accents folded ("español" → "espanol"), apostrophes dropped ("hell's" →
    "hells"), other punctuation but $ - : . + where they mean something turned to spaces,
    single spaces, at most 200 characters. The search-history key."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_LETTER_FOLDS))
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _APOSTROPHES.sub("", folded)
    kept = _tidy(_NOT_KEPT.sub(" ", folded))
    if len(kept) > MAX_QUERY_LENGTH:  # cut between words, and tidy again: the cut may leave a stray mark
        kept = _tidy(kept[: MAX_QUERY_LENGTH + 1].rsplit(" ", 1)[0][:MAX_QUERY_LENGTH])
    return kept


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _STRAY_MARKS.sub(" ", text)).strip()


def words_with_spans(normalized: str) -> list[re.Match[str]]:
    """The words of a normalized text; a hyphen separates words ("hip-hop" is two)."""
    return list(_WORDS.finditer(normalized))


def word_key(word: str) -> str:
    """A word without its plural ending, so "guitars", "classes" and "stories" meet "guitar",
    "class" and "story". Numbers and short words are left alone."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def phrase_key(phrase: str) -> Key:
    return tuple(word_key(match.group()) for match in words_with_spans(normalize(phrase)))


def phrase_keys(phrase: str) -> list[Key]:
    """The ways a catalog phrase may be typed: as written, hyphens closed up ("prealgebra"),
    and a short phrase as one word ("hiphop", "taichi")."""
    words = [match.group() for match in words_with_spans(normalize(phrase))]
    keys = [tuple(word_key(word) for word in words)]
    keys.append(tuple(word_key(word) for word in normalize(phrase).replace("-", "").split()))
    if 2 <= len(words) <= 3:
        keys.append((word_key("".join(words)),))
    return [key for position, key in enumerate(keys) if key and key not in keys[:position]]


# ---------------------------------------------------------------- typos


def typo_distance(typed: str, known: str, budget: int) -> int:
    """Edits (insert, delete, change, swap of neighbours) from `typed` to `known`; anything
    above `budget` is reported as budget + 1 without finishing the count."""
    if abs(len(typed) - len(known)) > budget:
        return budget + 1
    before: list[int] = []
    previous = list(range(len(known) + 1))
    for row, typed_char in enumerate(typed, start=1):
        current = [row] + [0] * len(known)
        for column, known_char in enumerate(known, start=1):
            cost = typed_char != known_char
            current[column] = min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + cost)
            if row > 1 and column > 1 and typed_char == known[column - 2] and typed[row - 2] == known_char:
                current[column] = min(current[column], before[column - 2] + 1)
        if min(current) > budget:
            return budget + 1
        before, previous = previous, current
    return previous[-1]


def edit_budget(word: str) -> int:
    return 1 if len(word) <= 7 else 2


Spellings = Mapping[int, tuple[tuple[str, frozenset[str]], ...]]  # length → (word, its letters)


def by_length(words: Iterable[str]) -> Spellings:
    """Words worth guessing towards, grouped by length (a typo changes it by at most 2), with
    their letters (an edit changes those by at most 2: a quick way to rule most words out)."""
    grouped: dict[int, list[tuple[str, frozenset[str]]]] = {}
    for word in dict.fromkeys(words):
        if len(word) >= MIN_TYPO_LENGTH - 1 and word.isalpha():
            grouped.setdefault(len(word), []).append((word, frozenset(word)))
    return {length: tuple(group) for length, group in grouped.items()}


def worth_guessing(typed: str) -> bool:
    return len(typed) >= MIN_TYPO_LENGTH and typed.isalpha()


class Guess(NamedTuple):
    """A known word a typed word may misspell; the smallest guess is the likeliest."""

    edits: int
    unlikeness: float  # 1 - difflib's similarity: equal edits go to the more similar word
    word: str


def closest_spelling(word: str, *candidates: Spellings) -> Guess | None:
    """The known word `word` most likely misspells, if any is within its edit budget. Callers
    ask `worth_guessing` of the typed word first."""
    if not word.isalpha():
        return None
    budget, letters = edit_budget(word), frozenset(word)
    guesses = [
        Guess(edits, 1 - difflib.SequenceMatcher(None, word, candidate).ratio(), candidate)
        for group in candidates
        for length in range(len(word) - budget, len(word) + budget + 1)
        for candidate, its_letters in group.get(length, ())
        if len(letters ^ its_letters) <= 2 * budget and (edits := typo_distance(word, candidate, budget)) <= budget
    ]
    return min(guesses, default=None)


# ---------------------------------------------------------------- the terms


@dataclass(frozen=True)
class ServiceTerm:
    slug: str
    name: str
    keywords: tuple[str, ...]
    category: str  # category name
    category_slug: str


@dataclass(frozen=True)
class BoroughTerm:
    slug: str
    name: str


@dataclass(frozen=True)
class NeighborhoodTerm:
    slug: str
    name: str
    borough_slug: str


Rows = tuple  # CatalogTerms as plain tuples: what the cache stores (a tenth of the unpickling time)


@dataclass(frozen=True)
class CatalogTerms:
    """The catalog and areas as read, in catalog order."""

    services: tuple[ServiceTerm, ...]
    boroughs: tuple[BoroughTerm, ...]
    neighborhoods: tuple[NeighborhoodTerm, ...]
    fingerprint: str = field(default="", compare=False)  # same terms, same fingerprint

    @classmethod
    def of(
        cls, services: Iterable[ServiceTerm], boroughs: Iterable[BoroughTerm], neighborhoods: Iterable[NeighborhoodTerm]
    ) -> "CatalogTerms":
        terms = (tuple(services), tuple(boroughs), tuple(neighborhoods))
        return cls(*terms, fingerprint=hashlib.sha256(repr(terms).encode()).hexdigest()[:16])

    def as_rows(self) -> Rows:
        return (
            self.fingerprint,
            tuple(astuple(service) for service in self.services),
            tuple(astuple(borough) for borough in self.boroughs),
            tuple(astuple(neighborhood) for neighborhood in self.neighborhoods),
        )

    @classmethod
    def from_rows(cls, rows: Rows) -> "CatalogTerms":
        fingerprint, services, boroughs, neighborhoods = rows
        return cls(
            tuple(ServiceTerm(*row) for row in services),
            tuple(BoroughTerm(*row) for row in boroughs),
            tuple(NeighborhoodTerm(*row) for row in neighborhoods),
            fingerprint=fingerprint,
        )


@dataclass(frozen=True)
class SubjectMeaning:
    services: tuple[str, ...]  # slugs, best first
    label: str
    rank: int


@dataclass(frozen=True)
class PlaceMeaning:
    borough: str
    neighborhood: str | None
    label: str


NAME_RANK, KEYWORD_RANK, CATEGORY_RANK = 3, 2, 1


# ---------------------------------------------------------------- the vocabulary


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Everything the parser may recognise, with the phrase indexes it reads. Build it with
    `from_data` (catalog and area dicts; typos guessed in memory) or get the database's from
    `current_vocabulary()` (typos of subjects guessed with pg_trgm)."""

    services: tuple[ServiceTerm, ...]
    boroughs: tuple[BoroughTerm, ...]
    neighborhoods: tuple[NeighborhoodTerm, ...]
    subjects: Mapping[Key, SubjectMeaning]
    places: Mapping[Key, PlaceMeaning]
    longest_phrase: int
    known_words: frozenset[str]  # every word key of every phrase
    typo_subjects: Spellings  # one-word subject phrases
    typo_places: Spellings  # one-word place names
    service_words: Mapping[str, frozenset[str]]  # slug → word keys of its name, keywords, category
    uses_database: bool = False

    @classmethod
    def from_data(cls, catalog: dict, areas: dict) -> "Vocabulary":
        """From the shapes of instructors/data/catalog.json and nyc_areas.json."""
        return cls.from_terms(terms_from_data(catalog, areas))

    @classmethod
    def from_terms(cls, terms: CatalogTerms, *, uses_database: bool = False) -> "Vocabulary":
        synonyms = read_synonyms()
        subjects = _subject_index(terms.services, synonyms)
        places = _place_index(terms.boroughs, terms.neighborhoods, synonyms)
        keys = [*subjects, *places]
        return cls(
            services=terms.services,
            boroughs=terms.boroughs,
            neighborhoods=terms.neighborhoods,
            subjects=subjects,
            places=places,
            longest_phrase=max((len(key) for key in keys), default=1),
            known_words=frozenset(word for key in keys for word in key),
            typo_subjects=by_length(key[0] for key in subjects if len(key) == 1),
            typo_places=by_length(key[0] for key in places if len(key) == 1),
            service_words={service.slug: _words_of_service(service) for service in terms.services},
            uses_database=uses_database,
        )

    def service_name(self, slug: str) -> str:
        return next((service.name for service in self.services if service.slug == slug), slug)

    def closest_service(self, words: str) -> str | None:
        """The service the words most likely misspell ("gutiar" → guitar), or None. Words
        shorter than 5 letters are never guessed. With the database: one query."""
        spans = words_with_spans(normalize(words))
        typed = [word_key(match.group()) for match in spans if worth_guessing(match.group())][:MAX_GUESSED_WORDS]
        if not typed:
            return None
        if self.uses_database:
            return self._closest_service_in_database(typed)
        return self._closest_service_in_memory(typed)

    def spelled_like(self, word: str, slug: str) -> bool:
        """Whether `word` is (a typo of) a word of that service's name, keywords or category."""
        typed = word_key(word)
        known = self.service_words.get(slug, frozenset())
        return typed in known or closest_spelling(typed, by_length(known)) is not None

    def _closest_service_in_memory(self, typed: list[str]) -> str | None:
        guesses = [guess for word in typed if (guess := closest_spelling(word, self.typo_subjects))]
        return self.subjects[(min(guesses).word,)].services[0] if guesses else None

    def _closest_service_in_database(self, typed: list[str]) -> str | None:
        scores = [TrigramWordSimilarity(word, "search_text") for word in typed]
        score = scores[0] if len(scores) == 1 else Greatest(*scores)
        shortlist = (
            Service.objects.annotate(score=score)
            .filter(score__gte=TRIGRAM_MIN_SIMILARITY)
            .order_by("-score", "category__position", "position")
            .values_list("slug", flat=True)[:TRIGRAM_SHORTLIST]
        )
        best: tuple[Guess, str] | None = None
        for slug in shortlist:  # best trigram match first: a later one must spell closer
            known = by_length(self.service_words.get(slug, ()))
            guesses = [guess for word in typed if (guess := closest_spelling(word, known))]
            if guesses and (best is None or min(guesses).edits < best[0].edits):
                best = (min(guesses), slug)
        return best[1] if best else None


# ---------------------------------------------------------------- building the indexes


def read_synonyms() -> dict:
    return json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))


def terms_from_data(catalog: dict, areas: dict) -> CatalogTerms:
    services = tuple(
        ServiceTerm(item["slug"], item["name"], tuple(item["keywords"]), category["name"], category["slug"])
        for category in catalog["categories"]
        for item in category["services"]
    )
    boroughs = tuple(BoroughTerm(borough["slug"], borough["name"]) for borough in areas["boroughs"])
    neighborhoods = tuple(
        NeighborhoodTerm(item["slug"], item["name"], borough["slug"])
        for borough in areas["boroughs"]
        for item in borough["neighborhoods"]
    )
    return CatalogTerms.of(services, boroughs, neighborhoods)


def _words_of_service(service: ServiceTerm) -> frozenset[str]:
    text = " ".join([service.name, *service.keywords, service.category])
    return frozenset(word_key(match.group()) for match in words_with_spans(normalize(text)))


def _category_label(name: str) -> str:
    """ "Tutoring: Math" reads as "Math" on a chip."""
    return name.split(":")[-1].strip()


class _SubjectIndex:
    """Phrase → meaning, keeping only a phrase's highest-ranked meaning (a service's own name
    beats another service's keyword) and merging equal ranks in catalog order."""

    def __init__(self, services: tuple[ServiceTerm, ...]) -> None:
        self.names = {service.slug: service.name for service in services}
        self.meanings: dict[Key, SubjectMeaning] = {}

    def add(self, phrase: str, slugs: Iterable[str], rank: int, label: str | None = None) -> None:
        slugs = tuple(slug for slug in slugs if slug in self.names)
        if not slugs:
            return
        for key in phrase_keys(phrase):
            current = self.meanings.get(key)
            if current and current.rank > rank:
                continue
            merged = tuple(dict.fromkeys([*current.services, *slugs])) if current and current.rank == rank else slugs
            self.meanings[key] = SubjectMeaning(merged, self._label(merged, label or phrase), rank)

    def replace(self, phrase: str, slugs: Iterable[str], rank: int, label: str) -> None:
        """A synonym says what a phrase means, whatever the catalog made of it ("coding" is
        every Coding & Tech service, not the Python keyword)."""
        slugs = tuple(slug for slug in slugs if slug in self.names)
        if slugs:
            for key in phrase_keys(phrase):
                self.meanings[key] = SubjectMeaning(slugs, self._label(slugs, label), rank)

    def _label(self, slugs: tuple[str, ...], label: str) -> str:
        return self.names[slugs[0]] if len(slugs) == 1 else label[:1].upper() + label[1:]


def _subject_index(services: tuple[ServiceTerm, ...], synonyms: dict) -> dict[Key, SubjectMeaning]:
    index = _SubjectIndex(services)
    for service in services:
        index.add(service.name, [service.slug], NAME_RANK)
        index.add(service.slug.replace("-", " "), [service.slug], NAME_RANK)
        for keyword in service.keywords:
            index.add(keyword, [service.slug], KEYWORD_RANK, keyword.title())
    categories: dict[str, list[ServiceTerm]] = {}
    for service in services:
        categories.setdefault(service.category_slug, []).append(service)
    for members in categories.values():
        slugs, label = [service.slug for service in members], _category_label(members[0].category)
        index.add(members[0].category, slugs, CATEGORY_RANK, label)
        index.add(label, slugs, CATEGORY_RANK, label)
    for phrase, category_slug in synonyms["categories"].items():
        members = categories.get(category_slug, [])
        if members:
            slugs, label = [service.slug for service in members], _category_label(members[0].category)
            index.replace(phrase, slugs, CATEGORY_RANK, label)
    for phrase, slugs in synonyms["services"].items():
        index.replace(phrase, slugs, KEYWORD_RANK, phrase.title())
    return index.meanings


def _place_index(
    boroughs: tuple[BoroughTerm, ...], neighborhoods: tuple[NeighborhoodTerm, ...], synonyms: dict
) -> dict[Key, PlaceMeaning]:
    borough_names = {borough.slug: borough.name for borough in boroughs}
    places: dict[Key, PlaceMeaning] = {}

    def add(phrase: str, meaning: PlaceMeaning) -> None:
        for key in phrase_keys(phrase):
            places.setdefault(key, meaning)  # boroughs first: they win a shared name

    for borough in boroughs:
        meaning = PlaceMeaning(borough.slug, None, borough.name)
        add(borough.name, meaning)
        add(re.sub(r"(?i)^the ", "", borough.name), meaning)  # "The Bronx" is "bronx" too
    for nickname, slug in synonyms["boroughs"].items():
        if slug in borough_names:
            add(nickname, PlaceMeaning(slug, None, borough_names[slug]))
    by_slug = {}
    for hood in neighborhoods:
        if hood.borough_slug in borough_names:
            by_slug[hood.slug] = PlaceMeaning(
                hood.borough_slug, hood.slug, f"{hood.name}, {borough_names[hood.borough_slug]}"
            )
            add(hood.name, by_slug[hood.slug])
    for nickname, slug in synonyms["neighborhoods"].items():
        if slug in by_slug:
            add(nickname, by_slug[slug])
    return places


# ---------------------------------------------------------------- from the database, cached


_BUILT: dict[str, Vocabulary] = {}  # this process's indexes, by catalog fingerprint
_BUILT_KEEP = 4


def current_vocabulary() -> Vocabulary:
    """The database's vocabulary: its terms cached under the listings namespace (a catalog
    edit refreshes them), its indexes built once per process and catalog version."""
    rows = cached(LISTINGS_CACHE, "search-vocabulary", lambda: terms_from_database().as_rows(), timeout=24 * 60 * 60)
    fingerprint = rows[0]
    vocabulary = _BUILT.get(fingerprint)
    if vocabulary is None:
        vocabulary = Vocabulary.from_terms(CatalogTerms.from_rows(rows), uses_database=True)
        if len(_BUILT) >= _BUILT_KEEP:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[fingerprint] = vocabulary
    return vocabulary


def terms_from_database() -> CatalogTerms:
    services = Service.objects.order_by("category__position", "position", "name").values_list(
        "slug", "name", "keywords", "category__name", "category__slug"
    )
    neighborhoods = Neighborhood.objects.order_by("borough__position", "name").values_list(
        "slug", "name", "borough__slug"
    )
    boroughs = Borough.objects.order_by("position", "name").values_list("slug", "name")
    return CatalogTerms.of(
        services=(
            ServiceTerm(slug, name, tuple(keywords), category, category_slug)
            for slug, name, keywords, category, category_slug in services
        ),
        boroughs=(BoroughTerm(*row) for row in boroughs),
        neighborhoods=(NeighborhoodTerm(*row) for row in neighborhoods),
    )
