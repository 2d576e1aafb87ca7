"""One filterset for instructor search, shared by the search page and `/api/v1/search/`.

`q` is parsed (search.parser); the explicit filters, when given, replace what the words said
about the same thing (the page's "Refine" panel sends them; API clients may too).
"""

import datetime as dt
from dataclasses import dataclass, replace

import django_filters

from core.money import dollars_to_cents
from core.timeutil import to_local
from instructors.filters import PriceRangeFilterSet, SlugChoiceFilter
from instructors.models import AgeGroup, Borough, InstructorProfile, LocationType, Service, SkillLevel

from . import parser, vocabulary
from .query import DAY_PARTS, Chip, ParsedQuery, TimeWindow

QUERY_MAX_LENGTH = 200
SORT_CHOICES = [("best", "Best match"), ("price", "Price: low to high"), ("soonest", "Soonest available")]
WHEN_CHOICES = [("today", "Today"), ("tomorrow", "Tomorrow"), ("weekend", "This weekend"), ("week", "Next 7 days")]
TIME_OF_DAY_CHOICES = [(name, name.capitalize()) for name in DAY_PARTS]
MAX_PAGE = 1000

# Which explicit parameters speak about which kind of chip, and which parsed fields they replace.
PARAM_KINDS = {
    "service": "subject",
    "borough": "place",
    "location_type": "place",
    "age_group": "learner",
    "level": "level",
    "price_min": "price",
    "price_max": "price",
    "when": "time",
    "time_of_day": "time",
    "sort": "sort",
}


@dataclass(frozen=True)
class SearchCriteria:
    query: ParsedQuery
    sort: str
    page: int

    @property
    def is_blank(self) -> bool:
        """Nothing asked: the page shows suggestions instead of every instructor."""
        return not self.query.normalized and not self.query.chips


class SearchFilter(PriceRangeFilterSet):
    q = django_filters.CharFilter(
        method="noop",
        max_length=QUERY_MAX_LENGTH,
        label="What do you want to learn?",
        help_text="Words as a student types them: 'guitar lessons for kids in brooklyn under $80 tomorrow evening'.",
    )
    service = SlugChoiceFilter(
        queryset=Service.objects.all(), method="noop", label="Subject", empty_label="Any subject"
    )
    borough = SlugChoiceFilter(queryset=Borough.objects.all(), method="noop", label="Borough", empty_label="Anywhere")
    location_type = django_filters.ChoiceFilter(
        choices=LocationType.choices, method="noop", label="Lesson location", empty_label="Any location"
    )
    age_group = django_filters.ChoiceFilter(choices=AgeGroup.choices, method="noop", label="For", empty_label="Anyone")
    level = django_filters.ChoiceFilter(
        choices=SkillLevel.choices, method="noop", label="Level", empty_label="Any level"
    )
    when = django_filters.ChoiceFilter(choices=WHEN_CHOICES, method="noop", label="When", empty_label="Any day")
    time_of_day = django_filters.ChoiceFilter(
        choices=TIME_OF_DAY_CHOICES, method="noop", label="Time of day", empty_label="Any time"
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="noop", label="Sort by", empty_label=None)
    page = django_filters.NumberFilter(method="noop", min_value=1, max_value=MAX_PAGE, label="Page")

    class Meta:
        model = InstructorProfile  # what the search returns; the filters themselves run in search.selectors
        fields = ["q", *PARAM_KINDS, "page"]

    def criteria(self, *, now: dt.datetime, timezone: str) -> SearchCriteria:
        """The parsed words with the explicit filters applied over them (call after is_valid)."""
        data = self.form.cleaned_data
        parsed = parser.parse_query(
            data.get("q") or "", vocabulary=vocabulary.current_vocabulary(), now=now, timezone=timezone
        )
        query = _apply_explicit(parsed, data, now=now, timezone=timezone)
        sort = data.get("sort") or ("price" if query.cheapest_first else "best")
        return SearchCriteria(query=query, sort=sort, page=int(data.get("page") or 1))


def _apply_explicit(parsed: ParsedQuery, data: dict, *, now: dt.datetime, timezone: str) -> ParsedQuery:
    given = {name for name in PARAM_KINDS if data.get(name) not in (None, "")}
    replaced_kinds = {PARAM_KINDS[name] for name in given}
    chips = [chip for chip in parsed.chips if chip.kind not in replaced_kinds]
    changes: dict = {}
    if "service" in given:
        service = data["service"]
        changes["services"] = (service.slug,)
        chips.append(Chip("subject", service.name, "", param="service"))
    if replaced_kinds & {"place"}:
        changes.update(borough=None, neighborhood=None, location_type=None)
    if "borough" in given:
        changes["borough"] = data["borough"].slug
        chips.append(Chip("place", data["borough"].name, "", param="borough"))
    if "location_type" in given:
        changes["location_type"] = data["location_type"]
        chips.append(Chip("place", LocationType(data["location_type"]).label, "", param="location_type"))
    if "age_group" in given:
        changes["age_group"] = data["age_group"]
        chips.append(Chip("learner", AgeGroup(data["age_group"]).label, "", param="age_group"))
    if "level" in given:
        changes["level"] = data["level"]
        chips.append(Chip("level", SkillLevel(data["level"]).label, "", param="level"))
    if replaced_kinds & {"price"}:
        changes.update(_explicit_price(data, chips))
    if replaced_kinds & {"time"}:
        changes["window"] = _explicit_window(data, chips, now=now, timezone=timezone)
    return replace(parsed, chips=tuple(chips), **changes)


def _explicit_price(data: dict, chips: list[Chip]) -> dict:
    low, high = data.get("price_min"), data.get("price_max")
    if low is not None and high is not None:
        label = f"${low:.0f}–${high:.0f}/hr"
    elif high is not None:
        label = f"Under ${high:.0f}/hr"
    else:
        label = f"Over ${low:.0f}/hr"
    chips.append(Chip("price", label, "", param="price_min" if high is None else "price_max"))
    return {
        "price_min_cents": None if low is None else dollars_to_cents(low),
        "price_max_cents": None if high is None else dollars_to_cents(high),
        "cheapest_first": False,
    }


def _explicit_window(data: dict, chips: list[Chip], *, now: dt.datetime, timezone: str) -> TimeWindow:
    today = to_local(now, timezone).date()
    first, last = when_dates(data.get("when") or "week", today)
    start, end = DAY_PARTS.get(data.get("time_of_day") or "", (0, 1440))
    labels = [
        dict(WHEN_CHOICES).get(data.get("when") or ""),
        dict(TIME_OF_DAY_CHOICES).get(data.get("time_of_day") or ""),
    ]
    label = " ".join(filter(None, labels)).capitalize()
    chips.append(Chip("time", label, "", param="when" if data.get("when") else "time_of_day"))
    return TimeWindow(first=first, last=last, start_minute=start, end_minute=end)


def when_dates(when: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if when == "today":
        return today, today
    if when == "tomorrow":
        tomorrow = today + dt.timedelta(days=1)
        return tomorrow, tomorrow
    if when == "weekend":
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:  # on a Sunday, "this weekend" is today
            return today, today
        return saturday, saturday + dt.timedelta(days=1)
    return today, today + dt.timedelta(days=6)
