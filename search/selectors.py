"""Instructor search: one query for the search page, the API and the signed-in home.

A ParsedQuery (search.parser, merged with explicit filters by search.filters) becomes:
1. one ranked SQL query over live instructors with a matching offering (subject, price, lesson
   location, age group), in the place asked for, scored by how well they match;
2. when a time window is asked for (or "soonest" sorting), the exact bookable check for every
   candidate from the availability bitmaps minus bookings, buffers, notice and horizon, through
   bookings.openings, the same rule the booking page uses (two queries for all candidates);
3. the page of cards, loaded with the joins a card needs, each with its next open times.
The query count does not grow with the number of instructors.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from math import ceil

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from availability import bitmaps
from availability.models import AvailabilityDay
from bookings.openings import CalendarRules, StartTime, UtcSpan, openings_for_many, starts_within
from core.cache import cached
from instructors import selectors as instructor_selectors
from instructors.models import InstructorProfile, InstructorService, Neighborhood
from instructors.selectors import LISTINGS_CACHE

from .query import ParsedQuery

PAGE_SIZE = 12
TIMES_PER_CARD = 3
LOOKAHEAD_DAYS = 7  # "next open times" on a card without a time window, and "soonest" sorting
TIME_CANDIDATES = 120  # instructors checked exactly for a time search: 10 pages of results
TIME_POOL = 600  # the best matches whose calendars a time search looks at
RANKING_CACHE_SECONDS = 60
NAME_MATCH = 0.5  # trigram word similarity for "this word is (part of) the instructor's name"
SORTS = ("best", "price", "soonest")


@dataclass(frozen=True)
class SearchHit:
    profile: InstructorProfile  # with user, active_offerings, areas; annotated rate_cents
    position: int  # 1-based rank across pages
    next_starts: tuple[StartTime, ...]
    durations: tuple[int, ...]  # lesson lengths of the matching offerings
    tz_name: str  # the instructor's zone, for showing times


@dataclass(frozen=True)
class SearchResults:
    query: ParsedQuery
    sort: str
    page: int
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    page_size: int = PAGE_SIZE
    more: bool = False  # a time search stopped checking at TIME_CANDIDATES: `total` is "at least"

    @property
    def page_count(self) -> int:
        return max(1, ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


def search_instructors(
    query: ParsedQuery,
    *,
    timezone: str,
    now: dt.datetime,
    sort: str = "best",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> SearchResults:
    """The page `page` of instructors matching `query`, best first (or by price or soonest).
    `timezone` is the student's: the one the query's time window was understood in."""
    if query.impossible:
        return SearchResults(query=query, sort=sort, page=1, total=0)
    offerings = _matching_offerings(query)
    ranked = _ranked_profiles(query, offerings, sort)
    spans = _spans(query, timezone, now)
    more = False
    if query.window is not None or sort == "soonest":
        candidates = _time_candidates(ranked, query, sort, timezone)
        more = len(candidates) > TIME_CANDIDATES
        calendars = candidates[:TIME_CANDIDATES]
        lengths = _lesson_lengths(offerings, [rules.profile_id for rules in calendars])
        total, page, picked, times = _page_by_times(calendars, lengths, spans, query, sort, page, page_size, now)
    else:
        total, page, picked = cached(
            LISTINGS_CACHE,
            f"search-page:{_ranking_key(query, sort)}:{page}:{page_size}",
            lambda: _page_of_ranked(ranked, page, page_size),
            timeout=RANKING_CACHE_SECONDS,
        )
        times = lengths = None
    hits = _hits(picked, offerings, spans, times, lengths, now, first_position=(page - 1) * page_size + 1)
    return SearchResults(query=query, sort=sort, page=page, total=total, hits=hits, page_size=page_size, more=more)


def _ranking_key(query: ParsedQuery, sort: str) -> str:
    """What the ranked SQL depends on: everything but the time window, whose calendars are read
    live. Rankings are cached a minute under the listings version, which profile and offering
    changes bump; availability and bookings are never cached here."""
    asked = (
        query.services,
        query.age_group,
        query.level,
        query.borough,
        query.neighborhood,
        query.location_type,
        query.price_min_cents,
        query.price_max_cents,
        query.name_words,
        sort,
    )
    return hashlib.sha256(repr(asked).encode()).hexdigest()[:32]


def _page_of_ranked(ranked, page: int, page_size: int) -> tuple[int, int, list[str]]:
    """(total, page, ids of that page) in one query: the count rides along as a window function.
    A page past the end asks once more for the last page."""
    counted = ranked.annotate(total=Window(Count("*")))
    rows = list(counted.values_list("pk", "total")[(page - 1) * page_size : page * page_size])
    if rows:
        return rows[0][1], page, [pk for pk, _ in rows]
    total = ranked.count()
    last = _clamp_page(page, total, page_size)
    if last == page or total == 0:
        return total, last, []
    return total, last, list(ranked.values_list("pk", flat=True)[(last - 1) * page_size : last * page_size])


def instructors_for_query(query: ParsedQuery, *, timezone: str, now: dt.datetime, limit: int = 4) -> list[SearchHit]:
    """The best few matches of a query (the signed-in home's "matching your searches")."""
    return search_instructors(query, timezone=timezone, now=now, page_size=limit).hits


# --- 1. the ranked SQL query ----------------------------------------------------------------------


def _matching_offerings(query: ParsedQuery) -> QuerySet[InstructorService]:
    offerings = instructor_selectors.matching_offerings(
        service=None,
        min_cents=query.price_min_cents,
        max_cents=query.price_max_cents,
        location_type=query.location_type,
    )
    if query.services:
        offerings = offerings.filter(service__slug__in=query.services)
    if query.age_group:
        offerings = offerings.filter(age_groups__contains=[query.age_group])
    return offerings


def _ranked_profiles(query: ParsedQuery, offerings, sort: str) -> QuerySet[InstructorProfile]:
    matching = offerings.filter(instructor=OuterRef("pk"))
    profiles = instructor_selectors.live_profiles().filter(Exists(matching))
    if sort == "price":
        profiles = profiles.annotate(rate_cents=_lowest_rate(matching))
    if query.borough:
        profiles = profiles.filter(
            Exists(Neighborhood.objects.filter(instructors=OuterRef("pk"), borough__slug=query.borough))
        )
    if query.name_words:
        profiles = _with_name_match(profiles, query)
    profiles = profiles.annotate(score=_score(query, matching))
    if query.name_words and _name_is_the_subject(query):
        profiles = profiles.filter(name_match__gte=NAME_MATCH)
    ordering = {
        "price": ["rate_cents", "-score", "id"],
    }.get(sort, ["-score", "-years_experience", "-went_live_at", "id"])
    return profiles.order_by(*ordering)


def _lowest_rate(matching) -> Subquery:
    return Subquery(matching.order_by().values("instructor").annotate(low=Min("hourly_rate_cents")).values("low"))


def _name_is_the_subject(query: ParsedQuery) -> bool:
    """Leftover words filter by name only when nothing else was understood ("maria"); beside a
    subject or place ("best piano teacher") they only lift instructors whose name matches."""
    return not (query.services or query.borough or query.location_type)


def _score(query: ParsedQuery, matching) -> Case | Value:
    """How well a profile matches beyond the filters: the exact neighborhood, the level asked
    for, the name typed."""
    parts = []
    if query.neighborhood:
        area = Neighborhood.objects.filter(instructors=OuterRef("pk"), slug=query.neighborhood)
        parts.append(Case(When(Exists(area), then=Value(3.0)), default=Value(0.0), output_field=FloatField()))
    if query.level:
        level = matching.filter(levels__contains=[query.level])
        parts.append(Case(When(Exists(level), then=Value(1.0)), default=Value(0.0), output_field=FloatField()))
    if query.name_words:
        parts.append(F("name_match") * Value(4.0))
    score = Value(0.0, output_field=FloatField())
    for part in parts:
        score = score + part
    return score


def _with_name_match(profiles: QuerySet[InstructorProfile], query: ParsedQuery) -> QuerySet[InstructorProfile]:
    full_name = Concat("user__first_name", Value(" "), "user__last_name")
    return profiles.annotate(name_match=TrigramWordSimilarity(" ".join(query.name_words), full_name))


# --- 2. times -------------------------------------------------------------------------------------


def _spans(query: ParsedQuery, timezone: str, now: dt.datetime) -> tuple[UtcSpan, ...]:
    """The UTC spans lessons should start in: the window asked for (dates and minutes in the
    student's zone), or the next few days. Nothing in the past."""
    if query.window is None:
        return ((now, now + dt.timedelta(days=LOOKAHEAD_DAYS)),)
    window = query.window
    spans = []
    for day in window.dates():
        start = bitmaps.local_minute_to_utc(day, window.start_minute, timezone)
        end = bitmaps.local_minute_to_utc(day, window.end_minute, timezone)
        if end > now:
            spans.append((max(start, now), end))
    return tuple(spans)


def _calendars(rows) -> list[CalendarRules]:
    return [CalendarRules(*row) for row in rows]


CALENDAR_FIELDS = (
    "pk",
    "user__timezone",
    "min_notice_minutes",
    "booking_horizon_days",
    "buffer_minutes",
    "max_lessons_per_day",
)


def _open_times(
    calendars: list[CalendarRules],
    lengths: dict[str, tuple[int, ...]],
    spans: tuple[UtcSpan, ...],
    now: dt.datetime,
    *,
    limit: int,
) -> dict[str, tuple[StartTime, ...]]:
    """Each instructor's first `limit` starts inside `spans`, for their shortest matching lesson."""
    if not calendars or not spans:
        return {}
    first, days = _local_dates_covering(spans, {rules.tz_name for rules in calendars})
    days_open = openings_for_many(calendars, first=first, days=days, now=now)
    return {
        rules.profile_id: tuple(
            starts_within(
                rules,
                days_open[rules.profile_id],
                duration=lengths[rules.profile_id][0],
                now=now,
                spans=spans,
                limit=limit,
            )
        )
        for rules in calendars
        if rules.profile_id in lengths
    }


def _lesson_lengths(offerings, profile_ids: list[str]) -> dict[str, tuple[int, ...]]:
    """The lesson lengths each instructor's matching offerings come in, shortest first."""
    lengths: dict[str, set[int]] = {}
    for profile_id, durations in offerings.filter(instructor_id__any=profile_ids).values_list(
        "instructor_id", "durations"
    ):
        lengths.setdefault(profile_id, set()).update(durations)
    return {profile_id: tuple(sorted(minutes)) for profile_id, minutes in lengths.items()}


def _local_dates_covering(spans: tuple[UtcSpan, ...], zones: set[str]) -> tuple[dt.date, int]:
    """The first local date and number of days covering every span in every zone."""
    firsts = [bitmaps.utc_to_local_minute(spans[0][0], tz)[0] for tz in zones]
    lasts = [bitmaps.utc_to_local_minute(spans[-1][1], tz)[0] for tz in zones]
    first, last = min(firsts), max(lasts)
    return first, (last - first).days + 1


def _time_candidates(ranked, query: ParsedQuery, sort: str, timezone: str) -> list[CalendarRules]:
    """The best-matching instructors (at most TIME_CANDIDATES + 1) who painted time when asked,
    in two queries: the best TIME_POOL matches with their calendar rules, then which of them have
    an availability row on the window's dates whose minutes inside the window are not all closed
    (tested on the bytes holding them, for instructors in the student's zone; a day either side
    for other zones). The exact check, after bookings, buffers, notice and horizon, follows for
    these few. (As one query with an EXISTS, PostgreSQL ranked the matches twice, or read every
    availability row of those dates when everyone matched.)"""
    size = TIME_POOL if query.window is not None else TIME_CANDIDATES + 1
    pool = cached(
        LISTINGS_CACHE,
        f"search-pool:{_ranking_key(query, sort)}:{size}",
        lambda: _calendars(ranked.values_list(*CALENDAR_FIELDS)[:size]),
        timeout=RANKING_CACHE_SECONDS,
    )
    if query.window is None:  # "soonest" only orders: instructors with no open time come last
        return pool
    dates = query.window.dates()
    if not dates:
        return []
    painted = _painted_in_window(pool, query.window, dates, timezone)
    return [rules for rules in pool if rules.profile_id in painted][: TIME_CANDIDATES + 1]


def _painted_in_window(pool: list[CalendarRules], window, dates: list[dt.date], timezone: str) -> set[str]:
    nearby = sorted({day + dt.timedelta(days=shift) for day in dates for shift in (-1, 0, 1)})
    same_zone = [rules.profile_id for rules in pool if rules.tz_name == timezone]
    other_zone = [rules.profile_id for rules in pool if rules.tz_name != timezone]
    painted_then = Q(
        _painted_between(window.start_minute, window.end_minute), instructor_id__any=same_zone, date__in=dates
    ) | Q(instructor_id__any=other_zone, date__in=nearby)
    # The date range as well as the lists, so the (instructor, date) index bounds the scan.
    rows = AvailabilityDay.objects.filter(painted_then, date__range=(nearby[0], nearby[-1]))
    return set(rows.values_list("instructor_id", flat=True).distinct())


def _painted_between(start_minute: int, end_minute: int) -> RawSQL:
    """The bitmap's bytes covering [start_minute, end_minute) are not all zero: a superset test,
    a byte being 8 minutes."""
    first_byte, last_byte = start_minute // 8, (end_minute - 1) // 8
    length = last_byte - first_byte + 1
    return RawSQL("substring(bits from %s for %s) <> %s", (first_byte + 1, length, bytes(length)), BooleanField())


def _page_by_times(calendars, lengths, spans, query, sort, page, page_size, now):
    """Keep (window) or order (soonest) the candidates by their exact open times."""
    times = _open_times(calendars, lengths, spans, now, limit=TIMES_PER_CARD)
    ids = [rules.profile_id for rules in calendars]
    if query.window is not None:
        ids = [profile_id for profile_id in ids if times.get(profile_id)]
    if sort == "soonest":
        never = dt.datetime.max.replace(tzinfo=dt.UTC)
        ids.sort(key=lambda profile_id: times[profile_id][0].start_at if times.get(profile_id) else never)
    page = _clamp_page(page, len(ids), page_size)
    return len(ids), page, ids[(page - 1) * page_size : page * page_size], times


def _clamp_page(page: int, total: int, page_size: int) -> int:
    return min(max(page, 1), max(1, ceil(total / page_size)))


# --- 3. the cards ---------------------------------------------------------------------------------


def _hits(picked: list[str], offerings, spans, times, lengths, now, *, first_position: int) -> list[SearchHit]:
    """The cards of one page. `times` and `lengths` come from a time search, which worked them out
    for every candidate; otherwise they are read for this page only."""
    if not picked:
        return []
    matching = offerings.filter(instructor=OuterRef("pk"))
    loaded = instructor_selectors.with_listing_details(
        InstructorProfile.objects.filter(pk__in=picked).annotate(rate_cents=_lowest_rate(matching))
    )
    profiles = {profile.pk: profile for profile in loaded}
    if lengths is None:
        lengths = _lesson_lengths(offerings, picked)
    if times is None:  # not computed for every candidate: just for this page
        calendars = [CalendarRules.of(profiles[profile_id]) for profile_id in picked]
        times = _open_times(calendars, lengths, spans, now, limit=TIMES_PER_CARD)
    return [
        SearchHit(
            profile=profiles[profile_id],
            position=first_position + index,
            next_starts=times.get(profile_id, ()),
            durations=lengths.get(profile_id, ()),
            tz_name=profiles[profile_id].user.timezone,
        )
        for index, profile_id in enumerate(picked)
    ]
