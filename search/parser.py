"""What a search box query asks for: "guitar lessons for kids in park slope under $80 tomorrow
evening" → a ParsedQuery (search.query). Deterministic, pure given the vocabulary (only
`Vocabulary.closest_service` may ask the database, once, for a subject typo), and it never
raises: whatever it cannot read is left out or becomes name words.

How a query is read
1. `normalize` folds it; it is the search-history key, and every chip's phrase is a piece of it.
2. Patterns with numbers: ages ("my 7 year old"), prices ("under $80", "$50-70", "between 50
   and 70", "$40+"), dates ("dec 12", "in december"), clock times ("after 5pm", "3-5pm").
3. An unknown word of 5+ letters within a typo of a word of the fixed table or of a place
   name is read as that word ("tomorow", "brookyln", "begginer").
4. Phrases, longest first: the catalog's subjects and places (search.vocabulary) and the fixed
   table below (learners, levels, online / at your place, cheap, days, parts of the day).
5. No subject yet: the words left may misspell one (`Vocabulary.closest_service`).
6. A word left after "in", "near" or "around" is a place we don't know ("guitar in narnia"):
   an unmatched chip, so the search comes back empty instead of covering the whole city.
7. Any other word left that is not filler is a name word ("lessons with maria").

Decisions
- Subjects: a service's own name wins alone ("guitar" is Guitar, not Bass Guitar); a keyword or
  synonym shared by several services names them all, catalog order ("strings" → violin, viola,
  cello); a category gives all its services ("music lessons", "math tutor"), and the synonyms
  file may widen a word ("coding" is all of Coding & Tech, not just the Python keyword). A
  broader subject gives way to a narrower one inside it ("sat test prep" → SAT Prep, "piano
  music" → Piano). Longest phrase first, so "spanish for kids" is the Kids Language Immersion
  keyword and "kids music" the Kids Music service, not a learner.
- Several learners, levels or places: the first one counts, except that a neighborhood refines
  its own borough ("brooklyn park slope" → Park Slope); the others are read and ignored.
  "nyc", "new york" and "in person" are understood and filter nothing (no chip).
- Prices are whole dollars per hour. A bare amount ("$80", "80 dollars") is a ceiling. A number
  without "$" or a unit is a price only above 24 after a price word, so "after 5" is a time and
  "kids under 10" no price. Impossible prices ("$90-$40", "under $0") are unmatched chips.
- Times are the student's local dates and minutes. Morning 6–12, afternoon 12–17, evening 17–22,
  night and "tonight" 17–24. Without a date a time of day covers the next 7 days, today
  included. A weekday is its next occurrence, today included ("next monday": after today); "this
  weekend" is the coming Saturday and Sunday (on a Sunday: today), "next weekend" the one after;
  "weekends" / "weekdays" are those days of the next 7; "this week" runs to Sunday, "next week"
  is next Monday to Sunday; "this month" runs to its end, "next month" is all of it, a month by
  name its days from today on, and "dec 12" the next Dec 12. Time phrases narrow each other
  ("saturday this weekend"), except named parts of the day, which widen ("mornings or evenings"
  = 6–22); nothing left ("tomorrow this weekend" on a Thursday, "5pm-3pm") makes the time chips
  unmatched. A clock hour without am/pm is pm from 1 to 7, am from 8 to 11 ("after 5" = 17:00,
  "before 10" = 10:00); "at 6pm" is a start within that hour. "sat" is SAT Prep, never Saturday.
- A word right after "with", "named" or "called" is a name: never a place or a guessed subject
  ("piano with chelsea").
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import takewhile
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.text import CONTROL_CHARACTERS

from .query import DAY_PARTS, Chip, ParsedQuery, TimeWindow
from .vocabulary import (
    CATEGORY_RANK,
    KEYWORD_RANK,
    MAX_QUERY_LENGTH,
    Key,
    PlaceMeaning,
    SubjectMeaning,
    Vocabulary,
    by_length,
    closest_spelling,
    normalize,
    phrase_key,
    word_key,
    words_with_spans,
    worth_guessing,
)

__all__ = ["normalize", "parse_query", "query_without"]

DEFAULT_TIMEZONE = "America/New_York"  # a zone we can't read: the city we serve
DAYS_AHEAD = 7  # a time of day without a date means the next 7 days
SATURDAY, SUNDAY = 5, 6
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LARGEST_HOUR = 24  # a bare number above it can't be a time of day

MORNING, AFTERNOON, EVENING = DAY_PARTS["morning"], DAY_PARTS["afternoon"], DAY_PARTS["evening"]
NIGHT = (EVENING[0], 24 * 60)  # "tonight": the evening and what is left of the day


# ---------------------------------------------------------------- what phrases mean


@dataclass(frozen=True)
class Learner:
    age_group: str
    label: str


@dataclass(frozen=True)
class Level:
    level: str
    label: str


@dataclass(frozen=True)
class Where:
    location_type: str | None  # None: understood, filters nothing ("nyc", "in person")
    label: str = ""


@dataclass(frozen=True)
class CheapestFirst:
    label: str = "Lowest price first"


@dataclass(frozen=True)
class Price:
    low: int | None  # cents per hour
    high: int | None
    label: str
    possible: bool = True


@dataclass(frozen=True)
class Dates:
    first: dt.date
    last: dt.date
    weekdays: frozenset[int] | None = None

    def meet(self, other: "Dates") -> "Dates":
        if self.weekdays is None or other.weekdays is None:
            weekdays = self.weekdays if other.weekdays is None else other.weekdays
        else:
            weekdays = self.weekdays & other.weekdays
        return Dates(max(self.first, other.first), min(self.last, other.last), weekdays)

    def join(self, other: "Dates") -> "Dates":
        """Either set of dates (weekdays said together: "monday or wednesday")."""
        weekdays = None if self.weekdays is None or other.weekdays is None else self.weekdays | other.weekdays
        return Dates(min(self.first, other.first), max(self.last, other.last), weekdays)


@dataclass(frozen=True)
class Day:
    """A day phrase of the table; `rule` names how DAY_RULES turns it into dates."""

    rule: str
    label: str
    weekday: int | None = None
    minutes: tuple[int, int] | None = None  # "tonight", "this morning"


@dataclass(frozen=True)
class DayPart:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class When:
    """A time phrase, resolved: the dates it allows and the minutes of the day."""

    label: str
    dates: Dates | None = None
    named_day: bool = False  # "monday", "wednesdays": named days join each other instead of narrowing
    part: tuple[int, int] | None = None  # named parts of the day widen each other
    clock: tuple[int, int] | None = None  # clock times narrow
    possible: bool = True


Meaning = SubjectMeaning | PlaceMeaning | Learner | Level | Where | CheapestFirst | Price | Day | DayPart | When


DAY_RULES: dict[str, Callable[[dt.date, int | None], Dates]] = {
    "today": lambda today, _: Dates(today, today),
    "tomorrow": lambda today, _: Dates(today + _days(1), today + _days(1)),
    "soon": lambda today, _: Dates(today, today + _days(2)),
    "this_weekend": lambda today, _: Dates(max(_weekend(today), today), _weekend(today) + _days(1)),
    "next_weekend": lambda today, _: Dates(_weekend(today) + _days(7), _weekend(today) + _days(8)),
    "weekends": lambda today, _: Dates(today, today + _days(DAYS_AHEAD - 1), frozenset({SATURDAY, SUNDAY})),
    "weekdays": lambda today, _: Dates(today, today + _days(DAYS_AHEAD - 1), frozenset(range(5))),
    "this_week": lambda today, _: Dates(today, today + _days(SUNDAY - today.weekday())),
    "next_week": lambda today, _: Dates(_next_monday(today), _next_monday(today) + _days(6)),
    "named_day": lambda today, day: _one_day(today + _days((day - today.weekday()) % 7)),
    "next_named_day": lambda today, day: _one_day(today + _days((day - today.weekday()) % 7 or 7)),
    "every_named_day": lambda today, day: Dates(today, today + _days(DAYS_AHEAD - 1), frozenset({day})),
    "this_month": lambda today, _: Dates(today, _month_end(today)),
    "next_month": lambda today, _: Dates(_month_end(today) + _days(1), _month_end(_month_end(today) + _days(1))),
}


def _days(count: int) -> dt.timedelta:
    return dt.timedelta(days=count)


def _weekend(today: dt.date) -> dt.date:
    """The Saturday of this weekend (yesterday, on a Sunday)."""
    if today.weekday() == SUNDAY:
        return today - _days(1)
    return today + _days((SATURDAY - today.weekday()) % 7)


def _next_monday(today: dt.date) -> dt.date:
    return today + _days(7 - today.weekday())


def _month_end(day: dt.date) -> dt.date:
    first_of_next = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_of_next - _days(1)


def _one_day(day: dt.date) -> Dates:
    return Dates(day, day, frozenset({day.weekday()}))


# ---------------------------------------------------------------- the fixed table


def _weekday_phrases() -> list[tuple[Meaning, tuple[str, ...]]]:
    short = ("mon", "tue tues", "wed weds", "thu thur thurs", "fri", "", "sun")  # never "sat": SAT Prep
    rows: list[tuple[Meaning, tuple[str, ...]]] = []
    for number, name in enumerate(WEEKDAY_NAMES):
        spelled = (name.lower(), *short[number].split())
        rows.append((Day("named_day", name, number), spelled))
        rows.append((Day("every_named_day", f"{name}s", number), (f"{name.lower()}s",)))
        rows.append((Day("next_named_day", f"next {name}", number), tuple(f"next {word}" for word in spelled)))
    return rows


def _part_phrases(label: str, minutes: tuple[int, int], *others: str) -> list[tuple[Meaning, tuple[str, ...]]]:
    return [
        (DayPart(*minutes, label), (label, *others)),
        (DayPart(*minutes, f"{label}s"), (f"{label}s",)),
    ]


def _grade_phrases() -> list[tuple[Meaning, tuple[str, ...]]]:
    ordinals = ("1st first", "2nd second", "3rd third", "4th fourth", "5th fifth", "6th sixth", "7th seventh")
    ordinals += ("8th eighth", "9th ninth", "10th tenth", "11th eleventh", "12th twelfth")
    rows: list[tuple[Meaning, tuple[str, ...]]] = []
    for grade, spellings in enumerate(ordinals, start=1):
        learner = KIDS if grade <= 7 else TEENS
        words = [f"{ordinal} {noun}" for ordinal in spellings.split() for noun in ("grade", "grader")]
        rows.append((learner, (*words, f"grade {grade}")))
    return rows


KIDS, TEENS, ADULTS = Learner("kids", "Kids"), Learner("teens", "Teens"), Learner("adults", "Adults")

PHRASES: list[tuple[Meaning, tuple[str, ...]]] = [
    # the learner
    (KIDS, ("kid", "kids", "child", "children", "my son", "my daughter", "son", "daughter", "toddler", "little one")),
    (KIDS, ("preschooler", "boy", "girl", "kiddo", "tween", "elementary school", "elementary schooler")),
    (KIDS, ("grade schooler", "middle school", "middle schooler", "kindergarten", "kindergartner", "kindergartener")),
    (TEENS, ("teen", "teens", "teenager", "teenage", "high school", "high schooler", "highschool", "adolescent")),
    (
        ADULTS,
        ("adult", "adults", "grown up", "grown ups", "grownup", "senior", "older adult", "retiree", "college student"),
    ),
    (ADULTS, ("college", "grad student")),
    *_grade_phrases(),
    (Level("beginner", "Beginner"), ("beginner", "beginning", "novice", "first timer", "first time", "newbie")),
    (Level("beginner", "Beginner"), ("never played", "starting out", "just starting", "from scratch", "intro")),
    (Level("beginner", "Beginner"), ("introductory", "basic", "basics", "absolute beginner", "total beginner")),
    (Level("intermediate", "Intermediate"), ("intermediate", "some experience")),
    (Level("advanced", "Advanced"), ("advanced", "expert", "pro level", "professional level")),
    # the place
    (Where("online", "Online"), ("online", "on line", "virtual", "virtually", "zoom", "on zoom", "over zoom")),
    (Where("online", "Online"), ("via zoom", "remote", "remotely", "video", "video call", "over video", "facetime")),
    (Where("online", "Online"), ("skype", "google meet", "webcam")),
    (Where("student_location", "At your place"), ("at my place", "at my home", "at my house", "at my apartment")),
    (Where("student_location", "At your place"), ("at my apt", "my place", "my home", "my house", "at home", "home")),
    (Where("student_location", "At your place"), ("in home", "in my home", "near me", "close to me", "come to me")),
    (Where("student_location", "At your place"), ("comes to me", "come to my home", "come to my house", "house call")),
    (Where("student_location", "At your place"), ("comes to my home", "travel to me", "travels to me", "home visit")),
    (Where(None), ("nyc", "new york", "new york city", "ny", "the city", "in person", "face to face", "irl")),
    # the price
    (CheapestFirst(), ("cheap", "cheapest", "cheaper", "affordable", "budget", "inexpensive", "low cost")),
    (CheapestFirst(), ("lowest price", "low price", "least expensive", "bargain", "budget friendly")),
    (CheapestFirst(), ("reasonably priced", "not expensive", "not too expensive")),
    # the day
    (Day("today", "today"), ("today",)),
    (Day("today", "tonight", minutes=NIGHT), ("tonight", "tonite", "this night")),
    (Day("today", "this morning", minutes=MORNING), ("this morning",)),
    (Day("today", "this afternoon", minutes=AFTERNOON), ("this afternoon",)),
    (Day("today", "this evening", minutes=EVENING), ("this evening",)),
    (Day("tomorrow", "tomorrow"), ("tomorrow", "tmrw", "tmr", "tomorow", "tommorow", "tommorrow")),
    (Day("this_weekend", "this weekend"), ("weekend", "this weekend", "the weekend", "coming weekend")),
    (Day("weekends", "weekends"), ("weekends",)),
    (Day("next_weekend", "next weekend"), ("next weekend",)),
    (Day("weekdays", "weekday"), ("weekday", "week day")),
    (Day("weekdays", "weekdays"), ("weekdays", "week days")),
    (Day("this_week", "this week"), ("this week", "this coming week")),
    (Day("next_week", "next week"), ("next week", "coming week")),
    (Day("this_month", "this month"), ("this month",)),
    (Day("next_month", "next month"), ("next month",)),
    (Day("soon", "soon"), ("soon", "asap", "as soon as possible", "right away")),
    *_weekday_phrases(),
    # the time of day
    *_part_phrases("morning", MORNING, "in the am"),
    *_part_phrases("afternoon", AFTERNOON),
    *_part_phrases("evening", EVENING),
    *_part_phrases("night", NIGHT),
    (DayPart(*EVENING, "after work"), ("after work",)),
    (DayPart(15 * 60, 18 * 60, "after school"), ("after school",)),
    (DayPart(11 * 60 + 30, 13 * 60 + 30, "lunchtime"), ("lunchtime", "lunch time", "lunch")),
]

# Words that say "a lesson" or join a sentence but name nothing to filter on.
_FILLER_WORDS = """
    lesson lessons tutor tutors tutoring teacher teachers teach teaches teaching coach coaches coaching
    class classes instructor instructors instruction course courses session sessions program training
    trainer practice prep help helper mentor mentoring private professional experienced certified
    qualified good great best top rated highly local nearby quality fun patient friendly native fluent
    speaker speaking person people one individual group
    a an the for with in on at near around by of to from and or but my me i im we our us you your
    someone somebody some any anyone who that which what where when how can could would will want wants
    wanted need needs looking look find finding search searching get take taking learn learning study
    studying improve better like love please available availability book booking schedule time times
    day days week weeks hour hours hr hrs per minute minutes min mins month months school student students
    level levels all ages age year years old is are be it its this next just also really very more less
    than about do does new kind type something anything thing free trial start starting wanna gonna
    lets let us general area town here there now then again under over below above between after before
    until till max maximum least most up within have has had named called speak speaks workshop tutorial
"""
FILLER = frozenset(word_key(word) for word in _FILLER_WORDS.split())

# Typos of these are worth correcting; other filler is short or too close to names.
LESSON_WORDS = ("lesson", "lessons", "teacher", "teachers", "tutor", "tutoring", "instructor", "class", "classes")

# Words a chip takes along from just before its phrase, so that removing the chip removes them.
LEAD_WORDS = {
    "place": frozenset({"in", "near", "around", "the"}),
    "time": frozenset({"on", "in", "the", "at", "during", "this", "every", "each", "for"}),
    "learner": frozenset({"for", "my", "our", "with"}),
    "level": frozenset({"for", "a", "an"}),
    "name": frozenset({"with", "named", "called", "by"}),
}
TIME_JOINERS = frozenset({"on", "in", "the", "at", "or", "and", "during", "this", "every", "each"})
NAME_CUES = frozenset({"with", "named", "called"})
PLACE_CUES = frozenset({"in", "near", "around"})


def _index(rows: Iterable[tuple[Meaning, tuple[str, ...]]], key: Callable[[str], Key]) -> dict[Key, Meaning]:
    index: dict[Key, Meaning] = {}
    for meaning, phrases in rows:
        for phrase in phrases:
            index.setdefault(key(phrase), meaning)  # first row wins: "weekend" is this weekend
    return index


def _as_typed(phrase: str) -> Key:
    return tuple(match.group() for match in words_with_spans(normalize(phrase)))


FIXED_AS_TYPED = _index(PHRASES, _as_typed)  # "weekends" ≠ "weekend"
FIXED_AS_KEYED = _index(PHRASES, phrase_key)  # "kids" = "kid"
FIXED_WORDS = frozenset(word for key in FIXED_AS_KEYED for word in key)
FIXED_TYPOS = by_length([key[0] for key in FIXED_AS_TYPED if len(key) == 1] + list(LESSON_WORDS))
LONGEST_FIXED = max(len(key) for key in FIXED_AS_TYPED)

KIND_OF = {
    SubjectMeaning: "subject",
    PlaceMeaning: "place",
    Learner: "learner",
    Level: "level",
    Where: "where",
    CheapestFirst: "sort",
    Price: "price",
    When: "time",
}


# ---------------------------------------------------------------- patterns with numbers

_START = r"(?<![\w$.:+])"
_END = r"(?![\w$.:+])"
_AMOUNT = r"\d{1,5}(?:\.\d{1,2})?"
_UNIT = (
    r"(?P<unit>(?:\s+(?:dollars?|bucks|usd))?"
    r"(?:\s+(?:an?|per|each|every)\s+(?:hour|hr|lesson|session|class)|\s+(?:hours?|hrs?|hourly))?)"
)
_NOT_A_PRICE_NEXT = r"(?!\s*(?:am|pm|a\.m|p\.m|min|mins|minutes|years?|yrs?|yo|kids|students|people)\b)"
_TIME = r"(?:\d{1,2}(?::\d{2})?(?:\s*(?:am|pm|a\.m|p\.m))?|noon|midday)"
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY_NUMBER = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"


def _pattern(body: str) -> re.Pattern[str]:
    return re.compile(f"{_START}(?:{body}){_END}")


PRICE_RANGE = _pattern(
    rf"(?P<cue>between\s+|from\s+)?(?P<a>\$?{_AMOUNT})\s*(?:-|to|and)\s*(?P<b>\$?{_AMOUNT}){_UNIT}{_NOT_A_PRICE_NEXT}"
)
PRICE_CEILING = _pattern(
    r"(?P<cue>under|below|less than|cheaper than|max|maximum|at most|up to|no more than|not more than|within"
    rf"|budget(?:\s+(?:of|is))?)\s*(?P<a>\$?{_AMOUNT}){_UNIT}{_NOT_A_PRICE_NEXT}"
)
PRICE_CEILING_AFTER = _pattern(
    rf"(?P<a>\$?{_AMOUNT}){_UNIT}\s+(?:or less|or under|and under|or below|or cheaper|max|maximum|tops|at most)"
)
PRICE_FLOOR = _pattern(
    rf"(?P<cue>over|above|more than|at least|min|minimum|starting at|from)\s*(?P<a>\$?{_AMOUNT}){_UNIT}"
    + _NOT_A_PRICE_NEXT
)
PRICE_FLOOR_AFTER = _pattern(rf"(?P<a>\$?{_AMOUNT}){_UNIT}(?:\+|\s+(?:and up|or more|and above|or above|and over))")
PRICE_BARE = _pattern(rf"(?P<a>\${_AMOUNT}){_UNIT}")
PRICE_BARE_WORDS = _pattern(rf"(?P<a>{_AMOUNT}){_UNIT}")

AGE = _pattern(
    r"(?:(?:ages?|aged)\s+(?P<a>\d{1,2})(?:\s*(?:-|to)\s*\d{1,2})?"
    r"|(?P<b>\d{1,2})\s*-?\s*(?:years?|yrs?)\s*-?\s*olds?|(?P<c>\d{1,2})\s*yos?"
    r"|(?:over|above)\s+(?P<d>18|21))"
)

DATE_MONTH_DAY = _pattern(rf"{_MONTH}\s+{_DAY_NUMBER}")
DATE_DAY_MONTH = _pattern(rf"{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH}")
WHOLE_MONTH = _pattern(rf"(?:in|during|for|this|next)\s+(?:the\s+month\s+of\s+)?{_MONTH}")

CLOCK_RANGE = _pattern(rf"(?P<cue>from\s+|between\s+)?(?P<a>{_TIME})\s*(?:-|to|and|until|till)\s*(?P<b>{_TIME})")
CLOCK_AFTER = _pattern(rf"(?:after|past|later than|from|starting at|starting)\s+(?P<a>{_TIME})")
CLOCK_BEFORE = _pattern(rf"(?:before|by|until|till|til|earlier than)\s+(?P<a>{_TIME})")
CLOCK_AT = _pattern(rf"(?P<cue>(?:at|around)\s+)?(?P<a>{_TIME})")

_CLOCK_PARTS = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<meridiem>am|pm|a\.m|p\.m)?")


def _cents(amount: str) -> int:
    dollars, _, cents = amount.lstrip("$").partition(".")
    return int(dollars) * 100 + int(cents.ljust(2, "0") or 0)


def _dollars(cents: int) -> str:
    return f"${cents // 100}" if cents % 100 == 0 else f"${cents // 100}.{cents % 100:02d}"


def _said_money(match: re.Match[str]) -> bool:
    """A "$" or a unit ("80 dollars", "80 an hour") makes any number a price."""
    return "$" in match.group() or bool((match.group("unit") or "").strip())


def _read_price_range(match: re.Match[str], today: dt.date) -> Price | None:
    low, high = _cents(match["a"]), _cents(match["b"])
    if not _said_money(match) and (high <= LARGEST_HOUR * 100 or (not match["cue"] and low < 1000)):
        return None  # "8-12", "3 to 5": ages or hours
    label = f"{_dollars(low)}–{_dollars(high)}/hr"
    return Price(low, high, label, possible=0 <= low <= high and high > 0)


def _read_price_ceiling(match: re.Match[str], today: dt.date) -> Price | None:
    high = _cents(match["a"])
    if not _said_money(match) and high <= LARGEST_HOUR * 100:
        return None
    return Price(None, high, f"Under {_dollars(high)}/hr", possible=high > 0)


def _read_price_floor(match: re.Match[str], today: dt.date) -> Price | None:
    low = _cents(match["a"])
    if not _said_money(match) and low <= LARGEST_HOUR * 100:
        return None  # "over 18" (an age), "kids 5+"
    return Price(low, None, f"Over {_dollars(low)}/hr")


def _read_bare_price(match: re.Match[str], today: dt.date) -> Price | None:
    high = _cents(match["a"])
    return Price(None, high, f"Under {_dollars(high)}/hr", possible=high > 0)


def _read_bare_amount(match: re.Match[str], today: dt.date) -> Price | None:
    """ "80 dollars", "80 an hour"; not "2 hours" (a length)."""
    unit = match["unit"]
    said_dollars = any(word in unit for word in ("dollar", "buck", "usd"))
    if not unit or not (said_dollars or _cents(match["a"]) > LARGEST_HOUR * 100):
        return None
    return _read_bare_price(match, today)


def _read_age(match: re.Match[str], today: dt.date) -> Learner | None:
    age = int(match["a"] or match["b"] or match["c"] or match["d"])
    if age == 0:
        return None
    return KIDS if age < 13 else TEENS if age < 18 else ADULTS


def _read_date(match: re.Match[str], today: dt.date) -> When:
    month, day = _MONTHS[match["month"]], int(match["day"])
    label = f"{_month_name(month)} {day}"
    for year in (today.year, today.year + 1):
        try:
            date = dt.date(year, month, day)
        except ValueError:
            continue
        if date >= today:
            return When(label, dates=Dates(date, date))
    return When(label, possible=False)  # "feb 30"


def _read_month(match: re.Match[str], today: dt.date) -> When:
    month = _MONTHS[match["month"]]
    year = today.year if month >= today.month else today.year + 1
    first = max(dt.date(year, month, 1), today)
    return When(_month_name(month), dates=Dates(first, _month_end(first)))


def _month_name(month: int) -> str:
    return dt.date(2000, month, 1).strftime("%B")


@dataclass(frozen=True)
class _ClockTime:
    hour: int
    minute: int
    meridiem: str | None  # "am" | "pm"

    def minutes(self, meridiem: str | None = None) -> int:
        """Minutes after midnight; without am/pm, 1–7 o'clock is pm and 8–11 am."""
        meridiem = self.meridiem or meridiem
        hour = self.hour
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        elif not meridiem and 1 <= hour <= 7:
            hour += 12
        return hour * 60 + self.minute

    @property
    def plain_hour(self) -> bool:
        return self.meridiem is None and 1 <= self.hour <= 12


def _clock_time(text: str) -> _ClockTime | None:
    if text in ("noon", "midday"):
        return _ClockTime(12, 0, "pm")
    parts = _CLOCK_PARTS.fullmatch(text.replace(" ", ""))
    if not parts:
        return None
    hour, minute = int(parts["hour"]), int(parts["minute"] or 0)
    meridiem = parts["meridiem"].replace(".", "") if parts["meridiem"] else None
    if minute > 59 or hour > LARGEST_HOUR or (meridiem and not 1 <= hour <= 12) or hour * 60 + minute > 1440:
        return None
    return _ClockTime(hour, minute, meridiem)


def _said_clock(text: str) -> bool:
    """Plainly a time of day, not any number: "5pm", "5:30", "noon"."""
    return bool(re.search(r"[a-z:]", text))


def _clock_label(minute: int, *, meridiem: bool = True) -> str:
    if minute == 12 * 60:
        return "noon"
    if minute in (0, 1440):
        return "midnight"
    hour, rest = divmod(minute, 60)
    shown = f"{hour % 12 or 12}:{rest:02d}" if rest else f"{hour % 12 or 12}"
    return f"{shown} {'am' if hour < 12 else 'pm'}" if meridiem else shown


def _read_clock_range(match: re.Match[str], today: dt.date) -> When | None:
    first, last = _clock_time(match["a"]), _clock_time(match["b"])
    if not first or not last or not (match["cue"] or _said_clock(match["a"]) or _said_clock(match["b"])):
        return None
    start, end = _range_minutes(first, last)
    same_half = start < end and (start < 720) == (end <= 720) and start != 720
    label = f"{_clock_label(start, meridiem=not same_half)}–{_clock_label(end)}"
    return When(label, clock=(start, end), possible=start < end)


def _range_minutes(first: _ClockTime, last: _ClockTime) -> tuple[int, int]:
    """ "3-5pm" is 15–17, "11-1pm" 11–13, "10am-2" 10–14."""
    if first.plain_hour and last.meridiem:
        start, end = first.minutes(last.meridiem), last.minutes()
        return (first.minutes("am"), end) if start >= end else (start, end)
    if last.plain_hour and first.meridiem:
        start, end = first.minutes(), last.minutes(first.meridiem)
        return (start, last.minutes("pm")) if end <= start else (start, end)
    return first.minutes(), last.minutes()


def _read_clock_after(match: re.Match[str], today: dt.date) -> When | None:
    time = _clock_time(match["a"])
    if not time:
        return None
    start = time.minutes()
    return When(f"after {_clock_label(start)}", clock=(start, 1440), possible=start < 1440)


def _read_clock_before(match: re.Match[str], today: dt.date) -> When | None:
    time = _clock_time(match["a"])
    if not time:
        return None
    end = time.minutes()
    return When(f"before {_clock_label(end)}", clock=(0, end), possible=end > 0)


def _read_clock_at(match: re.Match[str], today: dt.date) -> When | None:
    time = _clock_time(match["a"])
    if not time or not (_said_clock(match["a"]) or (match["cue"] and time.plain_hour)):
        return None
    start = time.minutes()
    return When(f"at {_clock_label(start)}", clock=(start, min(start + 60, 1440)), possible=start < 1440)


Reader = Callable[[re.Match[str], dt.date], Meaning | None]

# In order: a number is read by the first pattern that takes it.
PATTERNS: tuple[tuple[re.Pattern[str], Reader], ...] = (
    (AGE, _read_age),
    (PRICE_RANGE, _read_price_range),
    (PRICE_CEILING, _read_price_ceiling),
    (PRICE_CEILING_AFTER, _read_price_ceiling),
    (PRICE_FLOOR, _read_price_floor),
    (PRICE_FLOOR_AFTER, _read_price_floor),
    (PRICE_BARE, _read_bare_price),
    (PRICE_BARE_WORDS, _read_bare_amount),
    (DATE_MONTH_DAY, _read_date),
    (DATE_DAY_MONTH, _read_date),
    (WHOLE_MONTH, _read_month),
    (CLOCK_RANGE, _read_clock_range),
    (CLOCK_AFTER, _read_clock_after),
    (CLOCK_BEFORE, _read_clock_before),
    (CLOCK_AT, _read_clock_at),
)


# ---------------------------------------------------------------- reading a query


@dataclass
class _Word:
    text: str  # as in the normalized query
    start: int
    end: int
    spelled: str  # the text, or the word it was a typo of
    key: str
    claimed: bool = False
    name_next: bool = False  # right after "with": a name, not a place

    @property
    def loose(self) -> bool:
        """Left over and worth keeping: not understood, not filler, not a number."""
        return not self.claimed and self.key not in FILLER and self.text.isalpha() and len(self.text) > 1


@dataclass
class _Piece:
    kind: str
    meaning: Meaning | None
    start: int
    end: int
    matched: bool = True
    label: str = ""


@dataclass
class _Reading:
    normalized: str
    vocabulary: Vocabulary
    today: dt.date
    words: list[_Word] = field(default_factory=list)
    pieces: list[_Piece] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.words = [
            _Word(match.group(), match.start(), match.end(), match.group(), word_key(match.group()))
            for match in words_with_spans(self.normalized)
        ]
        for before, word in zip(self.words, self.words[1:], strict=False):
            word.name_next = before.text in NAME_CUES

    # -- steps, in order

    def read_patterns(self) -> None:
        for pattern, read in PATTERNS:
            for match in pattern.finditer(self.normalized):
                span = self._words_in(match.start(), match.end())
                if not span or any(word.claimed for word in span):
                    continue
                meaning = read(match, self.today)
                if meaning is not None:
                    self._add(meaning, span)

    def correct_typos(self) -> None:
        """Unknown words that are a typo of a fixed word or a place name are read as that word."""
        for word in self.words:
            if word.claimed or word.name_next or self._known(word.key) or not worth_guessing(word.text):
                continue
            fixed = closest_spelling(word.text, FIXED_TYPOS)  # as typed: "weekends" is not "weekend"
            place = closest_spelling(word.key, self.vocabulary.typo_places)
            guess = min(filter(None, (fixed, place)), default=None)
            if guess:
                word.spelled, word.key = guess.word, word_key(guess.word)

    def match_phrases(self) -> None:
        found: list[tuple[int, int, Meaning]] = []
        longest = max(self.vocabulary.longest_phrase, LONGEST_FIXED)
        for first in range(len(self.words)):
            for count in range(1, longest + 1):
                span = self.words[first : first + count]
                if len(span) < count or span[-1].claimed:
                    break
                meaning = self._meaning_of(span)
                if meaning is not None:
                    found.append((first, count, meaning))
        taken = [word.claimed for word in self.words]
        for first, count, meaning in sorted(found, key=lambda item: (-item[1], item[0])):
            if not any(taken[first : first + count]):
                taken[first : first + count] = [True] * count
                self._add(meaning, self.words[first : first + count])

    def guess_subject(self) -> None:
        """No subject understood: perhaps one is misspelt ("gutiar lessons")."""
        if any(piece.kind == "subject" for piece in self.pieces):
            return
        candidates = [word for word in self.words if word.loose and not word.name_next and worth_guessing(word.text)]
        slug = self.vocabulary.closest_service(" ".join(word.text for word in candidates)) if candidates else None
        if slug:
            meaning = SubjectMeaning((slug,), self.vocabulary.service_name(slug), KEYWORD_RANK)
            for run in _runs([word for word in candidates if self.vocabulary.spelled_like(word.text, slug)]):
                self._add(meaning, run)

    def mark_unknown_places(self) -> None:
        for position, cue in enumerate(self.words[:-1]):
            if cue.text not in PLACE_CUES or cue.claimed:
                continue
            following = self.words[position + 1 :]
            if following[0].text == "the":
                following = following[1:]
            place = list(takewhile(_could_name_a_place, following))[:3]
            if place:
                label = " ".join(word.text.title() for word in place)
                self._add(None, place, kind="place", matched=False, label=label)

    def collect_names(self) -> None:
        for run in _runs([word for word in self.words if word.loose]):
            self._add(None, run, kind="name", label=" ".join(word.text.title() for word in run))

    # -- helpers

    def _known(self, key: str) -> bool:
        return key in FILLER or key in FIXED_WORDS or key in self.vocabulary.known_words

    def _meaning_of(self, span: list[_Word]) -> Meaning | None:
        """Subjects by name or keyword, then the fixed table, then places, then categories."""
        keyed = tuple(word.key for word in span)
        subject = self.vocabulary.subjects.get(keyed)
        if subject and subject.rank > CATEGORY_RANK:
            return subject
        fixed = FIXED_AS_TYPED.get(tuple(word.spelled for word in span)) or FIXED_AS_KEYED.get(keyed)
        if fixed is not None:
            return self._resolve(fixed)
        place = self.vocabulary.places.get(keyed)
        if place and not any(word.name_next for word in span):
            return place
        return subject

    def _resolve(self, meaning: Meaning) -> Meaning:
        """Days and parts of the day of the table become dates and minutes."""
        if isinstance(meaning, Day):
            dates = DAY_RULES[meaning.rule](self.today, meaning.weekday)
            named_day = meaning.rule in ("named_day", "every_named_day")
            return When(meaning.label, dates=dates, named_day=named_day, part=meaning.minutes)
        if isinstance(meaning, DayPart):
            return When(meaning.label, part=(meaning.start, meaning.end))
        return meaning

    def _add(
        self, meaning: Meaning | None, span: list[_Word], *, kind: str = "", matched: bool = True, label: str = ""
    ) -> None:
        for word in span:
            word.claimed = True
        kind = kind or KIND_OF[type(meaning)]
        self.pieces.append(_Piece(kind, meaning, span[0].start, span[-1].end, matched, label))

    def _words_in(self, start: int, end: int) -> list[_Word]:
        return [word for word in self.words if word.start < end and word.end > start]

    def words_before(self, start: int) -> list[_Word]:
        """Unclaimed words just before `start`, nearest first."""
        earlier = [word for word in self.words if word.end <= start]
        return list(takewhile(lambda word: not word.claimed, reversed(earlier)))

    def unclaimed_between(self, start: int, end: int) -> list[_Word] | None:
        """The words between two pieces, or None if some of them belong to another piece."""
        between = self._words_in(start, end)
        return None if any(word.claimed for word in between) else between


def _could_name_a_place(word: _Word) -> bool:
    return word.loose or (word.text == "new" and not word.claimed)  # "new jersey"; "new" is filler elsewhere


def _runs(words: list[_Word]) -> list[list[_Word]]:
    """Words next to each other in the query, grouped."""
    runs: list[list[_Word]] = []
    for word in words:
        if runs and runs[-1][-1].end in (word.start - 1, word.start):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


# ---------------------------------------------------------------- from pieces to a ParsedQuery


@dataclass
class _Result:
    reading: _Reading
    fields: dict = field(default_factory=dict)
    chips: list[tuple[int, Chip]] = field(default_factory=list)

    def chip(self, piece: _Piece, kind: str, label: str, matched: bool = True) -> None:
        self.chip_over(piece.start, piece.end, kind, label, matched)

    def chip_over(self, start: int, end: int, kind: str, label: str, matched: bool = True) -> None:
        start = self._take_lead_words(kind, start)
        self.chips.append((start, Chip(kind, label, self.reading.normalized[start:end], matched)))

    def _take_lead_words(self, kind: str, start: int) -> int:
        for word in self.reading.words_before(start)[:2]:
            if word.text not in LEAD_WORDS.get(kind, ()):
                break
            word.claimed = True
            start = word.start
        return start

    def of_kind(self, kind: str) -> list[_Piece]:
        return [piece for piece in self.reading.pieces if piece.kind == kind]

    def add_subjects(self) -> None:
        pieces = self.of_kind("subject")
        kept = [piece for piece in pieces if not any(_narrower(other, piece) for other in pieces)]
        services: list[str] = []
        for piece in sorted(kept, key=lambda piece: (-piece.meaning.rank, piece.start)):
            services.extend(piece.meaning.services)
        self.fields["services"] = tuple(dict.fromkeys(services))
        labels: set[str] = set()
        for piece in sorted(kept, key=lambda piece: piece.start):
            if piece.meaning.label not in labels:
                labels.add(piece.meaning.label)
                self.chip(piece, "subject", piece.meaning.label)

    def add_learner_and_level(self) -> None:
        for kind, attribute in (("learner", "age_group"), ("level", "level")):
            pieces = self.of_kind(kind)
            if pieces:
                meaning = pieces[0].meaning
                self.fields[attribute] = getattr(meaning, attribute)
                self.chip(pieces[0], kind, meaning.label)

    def add_place(self) -> None:
        places = self.of_kind("place")
        known = [piece for piece in places if piece.matched]
        if known:
            borough = known[0].meaning.borough
            within = [piece for piece in known if piece.meaning.borough == borough and piece.meaning.neighborhood]
            chosen = known[0] if known[0].meaning.neighborhood or not within else within[0]
            self.fields["borough"] = borough
            self.fields["neighborhood"] = chosen.meaning.neighborhood
            self.chip(chosen, "place", chosen.meaning.label)
        for piece in places:
            if not piece.matched:
                self.chip(piece, "place", piece.label, matched=False)
        where = [piece for piece in self.of_kind("where") if piece.meaning.location_type]
        if where:
            self.fields["location_type"] = where[0].meaning.location_type
            self.chip(where[0], "place", where[0].meaning.label)

    def add_price(self) -> None:
        low = high = None
        for piece in self.of_kind("price"):
            price: Price = piece.meaning
            new_low, new_high = _tighter(low, price.low, max), _tighter(high, price.high, min)
            possible = price.possible and (new_low is None or new_high is None or new_low <= new_high)
            if possible:
                low, high = new_low, new_high
            self.chip(piece, "price", price.label, matched=possible)
        self.fields["price_min_cents"], self.fields["price_max_cents"] = low, high
        sorts = self.of_kind("sort")
        if sorts:
            self.fields["cheapest_first"] = True
            self.chip(sorts[0], "sort", sorts[0].meaning.label)

    def add_time(self) -> None:
        pieces = sorted(self.of_kind("time"), key=lambda piece: piece.start)
        if not pieces:
            return
        window = _window([piece.meaning for piece in pieces], self.reading.today)
        self.fields["window"] = window
        for run in self._time_runs(pieces):
            label = _time_label(run, self.reading.normalized)
            self.chip_over(run[0].start, run[-1].end, "time", label, matched=window is not None)

    def _time_runs(self, pieces: list[_Piece]) -> list[list[_Piece]]:
        """Time phrases joined by "on", "in the", "or"... read as one ("saturday or sunday
        mornings")."""
        runs = [[pieces[0]]]
        for piece in pieces[1:]:
            between = self.reading.unclaimed_between(runs[-1][-1].end, piece.start)
            if between is not None and all(word.text in TIME_JOINERS for word in between):
                for word in between:
                    word.claimed = True
                runs[-1].append(piece)
            else:
                runs.append([piece])
        return runs

    def add_names(self) -> None:
        names = self.of_kind("name")
        self.fields["name_words"] = tuple(word.text for piece in names for word in self._words_of(piece))
        for piece in names:
            self.chip(piece, "name", piece.label)

    def _words_of(self, piece: _Piece) -> list[_Word]:
        return [word for word in self.reading.words if piece.start <= word.start and word.end <= piece.end]

    def parsed(self, text: str) -> ParsedQuery:
        chips = tuple(chip for _, chip in sorted(self.chips, key=lambda item: item[0]))
        return ParsedQuery(text=text, normalized=self.reading.normalized, chips=chips, **self.fields)


def _tighter(current: int | None, new: int | None, pick: Callable[[int, int], int]) -> int | None:
    return new if current is None else current if new is None else pick(current, new)


def _narrower(other: _Piece, piece: _Piece) -> bool:
    return set(other.meaning.services) < set(piece.meaning.services)


def _window(whens: list[When], today: dt.date) -> TimeWindow | None:
    """Every time phrase of the query at once, or None if together they leave no time."""
    named_days = [when.dates for when in whens if when.dates and when.named_day]
    dates = [when.dates for when in whens if when.dates and not when.named_day]
    if named_days:
        joined = named_days[0]
        for more in named_days[1:]:
            joined = joined.join(more)
        dates.append(joined)
    allowed = dates[0] if dates else Dates(today, today + _days(DAYS_AHEAD - 1))
    for more in dates[1:]:
        allowed = allowed.meet(more)
    parts = [when.part for when in whens if when.part]
    start, end = (min(part[0] for part in parts), max(part[1] for part in parts)) if parts else (0, 1440)
    for clock in (when.clock for when in whens if when.clock):
        start, end = max(start, clock[0]), min(end, clock[1])
    window = TimeWindow(allowed.first, allowed.last, start, end, allowed.weekdays)
    if not all(when.possible for when in whens) or start >= end or not window.dates():
        return None
    return window


def _time_label(run: list[_Piece], normalized: str) -> str:
    """ "Saturday or Sunday mornings"; without "or"/"and", the day first: "7pm tomorrow" reads
    "Tomorrow at 7 pm"."""
    between = " ".join(normalized[before.end : after.start] for before, after in zip(run, run[1:], strict=False))
    if not {"or", "and"} & set(between.split()):
        run = sorted(run, key=lambda piece: (piece.meaning.dates is None, piece.meaning.clock is not None))
        label = " ".join(piece.meaning.label for piece in run)
        return label[:1].upper() + label[1:]
    words = [run[0].meaning.label]
    for before, piece in zip(run, run[1:], strict=False):
        between = normalized[before.end : piece.start].split()
        joiner = next((word for word in between if word in ("or", "and")), None)
        words.extend([joiner, piece.meaning.label] if joiner else [piece.meaning.label])
    label = " ".join(words)
    return label[:1].upper() + label[1:]


# ---------------------------------------------------------------- the public functions


def parse_query(text: str, *, vocabulary: Vocabulary, now: dt.datetime, timezone: str) -> ParsedQuery:
    """What `text` asks for, read with `vocabulary` at `now` (aware) in the student's zone."""
    typed = _typed(text)
    reading = _Reading(normalize(typed), vocabulary, _local_today(now, timezone))
    reading.read_patterns()
    reading.correct_typos()
    reading.match_phrases()
    reading.guess_subject()
    reading.mark_unknown_places()
    reading.collect_names()
    result = _Result(reading)
    result.add_subjects()
    result.add_learner_and_level()
    result.add_place()
    result.add_price()
    result.add_time()
    result.add_names()
    return result.parsed(typed)


def query_without(normalized: str, phrase: str) -> str:
    """The query with a chip's phrase taken out (whole words only), to search again without it."""
    if not phrase:
        return normalized
    remaining = re.sub(rf"(?<![^ -]){re.escape(phrase)}(?![^ -])", " ", normalized)
    return " ".join(remaining.split())


def _typed(text: str) -> str:
    """What was typed, trimmed to 200 characters, control characters blanked."""
    text = text if isinstance(text, str) else ""
    cleaned = "".join(" " if char in CONTROL_CHARACTERS else char for char in text[: MAX_QUERY_LENGTH * 10])
    return cleaned.strip()[:MAX_QUERY_LENGTH].strip()


def _local_today(now: dt.datetime, timezone: str) -> dt.date:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(zone).date()
