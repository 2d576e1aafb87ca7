"""What the parser understood from a query: the contract between search.parser (words in)
and search.selectors (instructors out). Plain frozen dataclasses, no I/O."""

import datetime as dt
from dataclasses import dataclass, field

# Parts of a day by lesson start, in minutes after local midnight (half-open).
DAY_PARTS = {"morning": (6 * 60, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 22 * 60)}


@dataclass(frozen=True)
class Chip:
    """One understood piece, shown to the student as a removable chip.

    kind: "subject" | "learner" | "level" | "place" | "price" | "time" | "sort" | "name"
    label: what the chip reads ("Guitar", "Brooklyn", "under $80", "Tomorrow evening")
    phrase: the words of the query it came from, exactly as they appear in the normalized query,
      so removing the chip removes that phrase from the query
    matched: False when the phrase was understood but matches nothing we know ("in Narnia",
      "$90-$40"): the chip is still shown, marked, and the search is empty rather than widened
    """

    kind: str
    label: str
    phrase: str
    matched: bool = True
    param: str = ""  # set for chips made from an explicit filter: the query parameter it came from


@dataclass(frozen=True)
class TimeWindow:
    """Local dates and minutes of the day in the STUDENT's time zone.

    Every date in [first, last] whose weekday is in `weekdays` (0 = Monday; None = every day)
    is open from `start_minute` to `end_minute` (half-open, 0..1440) for lesson starts.
    """

    first: dt.date
    last: dt.date
    start_minute: int = 0
    end_minute: int = 1440
    weekdays: frozenset[int] | None = None

    def dates(self) -> list[dt.date]:
        days = (self.last - self.first).days + 1
        every = (self.first + dt.timedelta(days=n) for n in range(max(days, 0)))
        return [day for day in every if self.weekdays is None or day.weekday() in self.weekdays]


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what was typed, trimmed
    normalized: str  # lower case, accents and punctuation folded, single spaces (history key)
    services: tuple[str, ...] = ()  # catalog service slugs the subject words name
    age_group: str | None = None  # "kids" | "teens" | "adults"
    level: str | None = None  # "beginner" | "intermediate" | "advanced"
    borough: str | None = None  # borough slug
    neighborhood: str | None = None  # neighborhood slug (its borough is in `borough` too)
    location_type: str | None = None  # "online" | "student_location"
    price_min_cents: int | None = None  # per hour
    price_max_cents: int | None = None  # per hour
    cheapest_first: bool = False  # "cheap", "affordable", "budget"
    window: TimeWindow | None = None
    name_words: tuple[str, ...] = ()  # words left over: perhaps an instructor's name
    chips: tuple[Chip, ...] = field(default=())

    @property
    def impossible(self) -> bool:
        """Something was understood that nothing can match: the answer is empty, not widened."""
        return any(not chip.matched for chip in self.chips)
