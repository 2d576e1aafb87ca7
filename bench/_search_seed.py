"""The search benchmark's data: many live instructors, their offerings, service areas, about a
million availability days and confirmed bookings, written with COPY (bench/search.py).

Deterministic: one `random.Random(SEED)` makes every choice, so two seeds of the same size on the
same date hold the same people, offerings and calendars (ids differ: they are made at seed time).
Dates are relative to the seed date (New York's local today): the calendars run from `past_days`
before it to `days` after it, the bookings over the two weeks after it.

Everything is written in one transaction, straight into the tables (no services, no signals), so
a cache or a derived table the services would keep up to date is not. Call `seed()` after
`django.setup()` on the bench database; it assumes the database is migrated and empty of these
people (bench/search.py drops and recreates the whole bench database for --reseed).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

SEED = 20261203
TZ_NAME = "America/New_York"
EMAIL_DOMAIN = "search.bench.instainstru.test"
META_TABLE = "bench_search_seed"  # not a Django model: the seed's parameters and timing, one row
UNUSABLE_PASSWORD = "!bench-search-no-login"  # noqa: S105 - an unusable hash: nobody signs in with it
BOOKING_DAYS = 14  # bookings fall on local today + 1 .. today + BOOKING_DAYS
SLOT_STEP = 15

# How many offerings each service gets, relatively: students ask for these most. Every other
# service of the catalog weighs 1 (the long tail).
POPULAR_SERVICES = {
    "piano": 60, "guitar": 45, "spanish": 40, "sat-prep": 30, "voice": 20, "violin": 15, "french": 15,
    "drums": 12, "esl": 12, "mandarin-chinese": 10, "ukulele": 6, "music-theory": 6, "italian": 6, "japanese": 6,
    "elementary-math": 12, "middle-school-math": 12, "pre-algebra": 8, "algebra-1": 14, "algebra-2": 10,
    "geometry": 10, "precalculus": 8, "calculus": 10, "statistics": 6, "act-prep": 12, "shsat-prep": 10,
    "english-language-arts": 10, "reading": 10, "essay-writing": 8, "chemistry": 10, "biology": 10, "physics": 10,
    "python": 12, "chess": 10, "swimming": 10, "tennis": 10, "yoga": 12, "personal-training": 12, "drawing": 8,
    "homework-help": 8, "early-literacy": 6,
}  # fmt: skip
SAME_CATEGORY_CHANCE = 0.7  # a second or third offering is usually in the main one's category
EXTRA_OFFERINGS = (0, 0, 0, 1, 1, 2)  # 1-3 offerings per instructor, 1.67 on average
RATE_FLOOR, RATE_CEILING = 30, 200  # dollars an hour
CHEAP_CHANCE = 0.12  # instructors who undercut their category: $30-55
DURATION_SETS = ((60,), (30, 60), (45, 60), (60, 90), (30, 45, 60), (60, 90, 120), (45, 60, 90))
DURATION_WEIGHTS = (25, 15, 15, 15, 10, 10, 10)
AGE_SETS = (("kids", "teens", "adults"), ("kids", "teens"), ("teens", "adults"), ("adults",), ("kids",))
AGE_WEIGHTS = (40, 20, 15, 15, 10)
# Categories whose learners lean one way; the others draw from AGE_SETS as they are.
CATEGORY_AGES = {
    "tutoring-math": ("kids", "teens"),
    "tutoring-humanities": ("kids", "teens"),
    "tutoring-science": ("teens", "adults"),
    "coding-tech": ("teens", "adults"),
    "life-skills-business": ("adults",),
    "wellness": ("adults",),
    "cooking-baking": ("teens", "adults"),
}
CATEGORY_AGES_CHANCE = 0.7
LEVEL_SETS = (
    ("beginner", "intermediate", "advanced"),
    ("beginner", "intermediate"),
    ("beginner",),
    ("intermediate", "advanced"),
)
LEVEL_WEIGHTS = (45, 30, 10, 15)
ADULT_TEST_PREP = {
    "lsat-prep", "gre-prep", "gmat-prep", "mcat-prep", "toefl-prep", "ielts-prep", "nclex-prep", "bar-exam-prep",
}  # fmt: skip
NOTICE_MINUTES = (60, 120, 120, 120, 240, 720, 1440)
HORIZON_DAYS = (30, 60, 60, 60, 90, 120)
BUFFER_MINUTES = (0, 10, 15, 15, 15, 30)
LESSONS_PER_DAY = (4, 5, 6, 6, 6, 8, 10)

# Weekly shapes: per kind, the blocks of a teaching weekday and of a teaching weekend day, as
# (start, end) minutes. Each instructor shifts them by their own offset (multiples of 30 min).
H = 60
SCHEDULES = {
    "after school and evenings": ([(15 * H, 18 * H), (18 * H + 30, 21 * H)], [(10 * H, 13 * H), (14 * H, 17 * H)]),
    "daytime": ([(9 * H, 12 * H), (13 * H, 17 * H)], [(10 * H, 14 * H)]),
    "mornings and evenings": ([(7 * H, 10 * H), (17 * H, 21 * H)], [(8 * H, 12 * H)]),
    "weekends": ([(18 * H, 21 * H)], [(9 * H, 13 * H), (14 * H, 18 * H)]),
    "long days": ([(10 * H, 13 * H), (14 * H, 18 * H), (19 * H, 21 * H + 30)], [(11 * H, 15 * H), (16 * H, 19 * H)]),
}
SCHEDULE_WEIGHTS = (35, 20, 15, 15, 15)
DAYS_OFF = (0, 0, 1, 1, 1, 2)  # weekdays without teaching, per instructor
CLOSED_DAY_CHANCE = 0.06  # a teaching day the instructor blocked (trip, sick, ...)
VARIED_DAY_CHANCE = 0.12  # a teaching day with one block dropped or moved an hour

HEADLINES = (
    "{service} {role} in {place}",
    "Patient {service_lower} {role} for {audience} in {place}",
    "{years}+ years teaching {service_lower}: {place} and online",
    "{service} lessons in {place}, beginners welcome",
    "Friendly {service_lower} {role} ({place})",
)
BIO_SENTENCES = (
    "I have taught {service_lower} for {years} years, mostly to {audience}.",
    "Lessons follow your goals: a first recital, a test, or simply enjoying it.",
    "I also teach {others}.",
    "I meet students in {areas}.",
    "Every student gets a short plan to practise between lessons.",
    "I keep lessons relaxed, structured and fun.",
)
AUDIENCES = {
    ("kids", "teens", "adults"): "students of all ages",
    ("kids",): "kids",
    ("teens",): "teens",
    ("adults",): "adults",
    ("teens", "adults"): "teens and adults",
    ("kids", "teens"): "kids and teens",
}


@dataclass
class Offering:
    id: str
    service_id: str
    service_name: str
    rate_cents: int
    durations: tuple[int, ...]
    location_types: list[str]


@dataclass
class Instructor:
    index: int
    user_id: str
    profile_id: str
    first_name: str
    last_name: str
    buffer: int
    lessons_per_day: int
    offerings: list[Offering] = field(default_factory=list)
    days: dict[dt.date, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # open ranges, seed window only


@dataclass
class SeedSummary:
    requested: dict = field(default_factory=dict)  # the arguments of seed()
    instructors: int = 0
    offerings: int = 0
    service_areas: int = 0
    availability_days: int = 0
    students: int = 0
    bookings: int = 0
    seed_date: str = ""
    seconds: float = 0.0
    steps: list[list] = field(default_factory=list)  # [name, seconds] in order (jsonb keeps no key order)

    def as_json(self) -> str:
        return json.dumps(self.__dict__)


class Ids:
    """ULID-shaped ids (26 Crockford base-32 characters): the seed time's 10-character time part,
    then a 16-character counter. Unique and time-sortable like the app's own (core.fields), at a
    fraction of the cost of 1.2 million ULID() calls."""

    ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    def __init__(self) -> None:
        from ulid import ULID

        self.prefix = str(ULID())[:10]
        self.counter = 0

    def next(self) -> str:
        self.counter += 1
        value, chars = self.counter, []
        for _ in range(16):
            value, digit = divmod(value, 32)
            chars.append(self.ALPHABET[digit])
        return self.prefix + "".join(reversed(chars))


# --- writing ------------------------------------------------------------------------------------


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    """COPY `rows` (an iterable of sequences) into `table`; returns the row count."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def copy_models(cursor, objects: list) -> int:
    """COPY unsaved model instances: every concrete field, prepared the way Django saves it, so a
    column someone adds later with a Python default is filled too."""
    from django.db import connection

    if not objects:
        return 0
    meta = objects[0]._meta
    fields = meta.concrete_fields
    columns = [connection.ops.quote_name(f.column) for f in fields]
    rows = ([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] for obj in objects)
    return copy_rows(cursor, connection.ops.quote_name(meta.db_table), columns, rows)


# --- choosing -----------------------------------------------------------------------------------


def email_part(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9-]", "", ascii_name.lower())


def weighted(rng: random.Random, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


def choose_services(rng, services, by_category, weights) -> list:
    main = rng.choices(services, weights=weights, k=1)[0]
    chosen = [main]
    for _ in range(rng.choice(EXTRA_OFFERINGS)):
        for _attempt in range(5):
            if rng.random() < SAME_CATEGORY_CHANCE:
                pool = by_category[main.category_id]
                candidate = rng.choices(pool, weights=[POPULAR_SERVICES.get(s.slug, 1) for s in pool], k=1)[0]
            else:
                candidate = rng.choices(services, weights=weights, k=1)[0]
            if candidate not in chosen:
                chosen.append(candidate)
                break
    return chosen


def role_of(category_slug: str) -> str:
    if category_slug.startswith("tutoring") or category_slug == "test-prep":
        return "tutor"
    return "coach" if category_slug in ("sports-fitness", "life-skills-business", "wellness") else "teacher"


def lower_name(name: str) -> str:
    """ "Piano" -> "piano"; "Spanish", "SAT Prep" and "Python" stay as they are."""
    from instructors.demo import PROPER_WORDS

    words = name.split()
    if any(word in PROPER_WORDS or any(c.isupper() for c in word[1:]) for word in words):
        return name
    return name.lower()


def rate_dollars(rng: random.Random, low: int, high: int) -> int:
    if rng.random() < CHEAP_CHANCE:
        dollars = rng.uniform(RATE_FLOOR, 55)
    else:
        dollars = low + rng.betavariate(2, 2.5) * (high - low)
    return min(RATE_CEILING, max(RATE_FLOOR, 5 * round(dollars / 5)))


def age_groups_for(rng: random.Random, service) -> tuple[str, ...]:
    category = service.category.slug
    if category == "kids-early-learning":
        return ("kids",)
    if category == "test-prep":
        return ("adults",) if service.slug in ADULT_TEST_PREP else ("teens",)
    if category in CATEGORY_AGES and rng.random() < CATEGORY_AGES_CHANCE:
        return CATEGORY_AGES[category]
    return weighted(rng, AGE_SETS, AGE_WEIGHTS)


def location_types_for(rng: random.Random, options: tuple[str, ...]) -> list[str]:
    from instructors.models import LocationType

    chosen = set(rng.sample(options, rng.randint(1, len(options))))
    return [value for value in LocationType.values if value in chosen]


def week_shape(rng: random.Random) -> dict[int, list[tuple[int, int]]]:
    """Open blocks for each teaching weekday (0 = Monday), shifted by the instructor's offset."""
    weekday_blocks, weekend_blocks = weighted(rng, list(SCHEDULES.values()), SCHEDULE_WEIGHTS)
    shift = 30 * rng.randint(-2, 2)
    days_off = set(rng.sample(range(7), rng.choice(DAYS_OFF)))
    shape = {}
    for weekday in range(7):
        if weekday in days_off:
            continue
        blocks = weekend_blocks if weekday >= 5 else weekday_blocks
        shape[weekday] = [(max(0, start + shift), min(1440, end + shift)) for start, end in blocks]
    return shape


def day_ranges(rng: random.Random, blocks: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    roll = rng.random()
    if roll < CLOSED_DAY_CHANCE:
        return ()
    if roll < CLOSED_DAY_CHANCE + VARIED_DAY_CHANCE:
        blocks = list(blocks)
        victim = rng.randrange(len(blocks))
        if len(blocks) > 1 and rng.random() < 0.5:
            del blocks[victim]
        else:
            start, end = blocks[victim]
            move = rng.choice((-60, 60))
            blocks[victim] = (max(0, start + move), min(1440, end + move))
    return tuple(blocks)


# --- the seed -----------------------------------------------------------------------------------


def seed(*, instructors: int, days: int, past_days: int, bookings: int, log=print) -> SeedSummary:
    """Seed the bench database in one transaction. `bookings` confirmed lessons are attempted;
    fewer are made when the calendars are too full."""
    from django.db import connection, transaction

    from instructors.catalog import load_areas, load_catalog

    rng = random.Random(SEED)  # noqa: S311 - bench data, not security
    summary = SeedSummary(
        requested={"instructors": instructors, "days": days, "past_days": past_days, "bookings": bookings}
    )
    started = time.perf_counter()

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        summary.steps.append([name, round(now - since, 1)])
        log(f"seed: {name} in {now - since:.1f} s")
        return now

    with transaction.atomic():
        load_catalog()
        load_areas()
        mark = step("catalog and areas", started)
        ids = Ids()
        today = local_today()
        summary.seed_date = today.isoformat()
        now = _now()
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor, for COPY
            people = make_instructors(rng, ids, cursor, instructors, now, summary)
            mark = step(f"{instructors} instructors, their offerings and areas", mark)
            summary.availability_days = write_availability(rng, ids, cursor, people, today, days, past_days, now)
            mark = step(f"{summary.availability_days} availability days", mark)
            write_bookings(rng, ids, cursor, people, today, bookings, now, summary)
            mark = step(f"{summary.students} students and {summary.bookings} confirmed bookings", mark)
        summary.seconds = round(time.perf_counter() - started, 1)
        save_summary(summary)
    return summary


def save_summary(summary: SeedSummary) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id int PRIMARY KEY, summary jsonb NOT NULL)")
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET summary = EXCLUDED.summary",  # noqa: S608 - a constant
            [summary.as_json()],
        )


def stored_summary() -> SeedSummary | None:
    """The summary the last complete seed stored, or None (no seed, or one that failed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT summary FROM {META_TABLE} WHERE id = 1")  # noqa: S608 - a constant table name
        row = cursor.fetchone()
    if row is None:
        return None
    data = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return SeedSummary(**data)


def local_today() -> dt.date:
    from core.timeutil import to_local

    return to_local(_now(), TZ_NAME).date()


def _now() -> dt.datetime:
    from core.timeutil import now

    return now()


def make_instructors(rng, ids: Ids, cursor, count: int, now: dt.datetime, summary: SeedSummary) -> list[Instructor]:
    from django.contrib.auth.models import Group

    from accounts import roles
    from accounts.models import User
    from instructors.demo import (
        BOROUGH_WEIGHTS,
        CATEGORY_STYLES,
        FIRST_NAMES,
        LAST_NAMES,
        LOCATION_OVERRIDES,
        RATE_OVERRIDES,
        choose_neighborhoods,
        neighborhoods_by_borough,
    )
    from instructors.models import InstructorProfile, InstructorService, Service

    services = list(Service.objects.select_related("category").order_by("slug"))
    weights = [POPULAR_SERVICES.get(service.slug, 1) for service in services]
    by_category = defaultdict(list)
    for service in services:
        by_category[service.category_id].append(service)
    areas = neighborhoods_by_borough()
    boroughs, borough_weights = list(BOROUGH_WEIGHTS), list(BOROUGH_WEIGHTS.values())
    instructor_group = Group.objects.get(name=roles.INSTRUCTOR).pk

    users, profiles, offerings, area_rows, group_rows, people = [], [], [], [], [], []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        went_live = now - dt.timedelta(days=rng.uniform(1, 730))
        joined = went_live - dt.timedelta(days=rng.uniform(1, 30))
        user = User(
            id=ids.next(),
            email=f"{email_part(first)}.{email_part(last)}.{index:05d}@{EMAIL_DOMAIN}",
            password=UNUSABLE_PASSWORD,
            first_name=first,
            last_name=last,
            timezone=TZ_NAME,
            date_joined=joined,
        )
        home = weighted(rng, boroughs, borough_weights)
        neighborhoods = choose_neighborhoods(rng, home=home, areas=areas)
        chosen = choose_services(rng, services, by_category, weights)
        years = min(30, max(1, round(rng.triangular(1, 30, 7))))
        person = Instructor(
            index=index,
            user_id=user.id,
            profile_id=ids.next(),
            first_name=first,
            last_name=last,
            buffer=rng.choice(BUFFER_MINUTES),
            lessons_per_day=rng.choice(LESSONS_PER_DAY),
        )
        ages_of_main = ()
        for service in chosen:
            style = CATEGORY_STYLES[service.category.slug]
            low, high = RATE_OVERRIDES.get(service.slug, style.rate_dollars)
            ages = age_groups_for(rng, service)
            ages_of_main = ages_of_main or ages
            durations = weighted(rng, DURATION_SETS, DURATION_WEIGHTS)
            levels = weighted(rng, LEVEL_SETS, LEVEL_WEIGHTS)
            who = AUDIENCES[ages]
            offering = InstructorService(
                id=ids.next(),
                created_at=went_live,
                updated_at=now,
                instructor_id=person.profile_id,
                service_id=service.pk,
                hourly_rate_cents=rate_dollars(rng, low, high) * 100,
                durations=list(durations),
                location_types=location_types_for(rng, LOCATION_OVERRIDES.get(service.slug, style.location_types)),
                description=f"{service.name} lessons for {who}, "
                + ("from the very first steps." if "beginner" in levels else "for students who already play or study."),
                age_groups=list(ages),
                levels=list(levels),
            )
            offerings.append(offering)
            person.offerings.append(
                Offering(
                    offering.id,
                    service.pk,
                    service.name,
                    offering.hourly_rate_cents,
                    durations,
                    offering.location_types,
                )
            )
        main = chosen[0]
        fill = {
            "service": main.name,
            "service_lower": lower_name(main.name),
            "role": role_of(main.category.slug),
            "place": neighborhoods[0].name,
            "years": years,
            "audience": AUDIENCES[ages_of_main],
            "others": ", ".join(service.name for service in chosen[1:]) or "",
            "areas": ", ".join(n.name for n in neighborhoods),
        }
        headline = rng.choice(HEADLINES).format(**fill)[:120]
        sentences = [BIO_SENTENCES[0], BIO_SENTENCES[3], rng.choice(BIO_SENTENCES[4:]), BIO_SENTENCES[1]]
        if len(chosen) > 1:
            sentences.insert(1, BIO_SENTENCES[2])
        profiles.append(
            InstructorProfile(
                id=person.profile_id,
                created_at=joined,
                updated_at=now,
                user_id=user.id,
                headline=headline,
                bio=" ".join(sentences).format(**fill),
                years_experience=years,
                min_notice_minutes=rng.choice(NOTICE_MINUTES),
                booking_horizon_days=rng.choice(HORIZON_DAYS),
                buffer_minutes=person.buffer,
                max_lessons_per_day=person.lessons_per_day,
                requires_confirmation=rng.random() < 0.1,
                is_live=True,
                went_live_at=went_live,
            )
        )
        users.append(user)
        group_rows.append((user.id, instructor_group))
        area_rows += [(person.profile_id, neighborhood.pk) for neighborhood in neighborhoods]
        people.append(person)

    copy_models(cursor, users)
    copy_rows(cursor, "accounts_user_groups", ["user_id", "group_id"], group_rows)
    copy_models(cursor, profiles)
    summary.service_areas = copy_rows(
        cursor, "instructors_instructorprofile_service_areas", ["instructorprofile_id", "neighborhood_id"], area_rows
    )
    summary.offerings = copy_models(cursor, offerings)
    summary.instructors = len(people)
    return people


def write_availability(
    rng, ids: Ids, cursor, people: list[Instructor], today: dt.date, days: int, past_days: int, now: dt.datetime
) -> int:
    """One row per instructor per open local date in [today - past_days, today + days)."""
    from availability.bitmaps import from_ranges

    bitmap_of: dict[tuple, bytes] = {}  # a few thousand distinct days: build each bitmap once
    dates = [today + dt.timedelta(days=offset) for offset in range(-past_days, days)]
    booking_dates = {today + dt.timedelta(days=offset) for offset in range(1, BOOKING_DAYS + 1)}

    def rows():
        for person in people:
            shape = week_shape(rng)
            for day in dates:
                blocks = shape.get(day.weekday())
                if not blocks:
                    continue
                ranges = day_ranges(rng, blocks)
                if not ranges:
                    continue
                bits = bitmap_of.get(ranges)
                if bits is None:
                    bits = bitmap_of[ranges] = from_ranges(ranges)
                if day in booking_dates:
                    person.days[day] = ranges
                yield (ids.next(), now, now, person.profile_id, day, bits)

    columns = ["id", "created_at", "updated_at", "instructor_id", "date", "bits"]
    return copy_rows(cursor, "availability_availabilityday", columns, rows())


def write_bookings(
    rng, ids: Ids, cursor, people: list[Instructor], today: dt.date, target: int, now: dt.datetime, summary
) -> None:
    """`target` confirmed lessons over the next BOOKING_DAYS days, each inside its instructor's
    open time, clear of their other lessons (with their buffer) and under their lessons-per-day
    cap, and for a student with no other lesson at that time (both exclusion constraints hold)."""
    from django.contrib.auth.models import Group

    from accounts import roles
    from accounts.models import User
    from availability.bitmaps import local_minute_to_utc
    from bookings.models import Booking, BookingStatus
    from instructors.demo import FIRST_NAMES, LAST_NAMES
    from instructors.models import LocationType

    student_count = max(50, target // 7) if target else 0
    students = []
    for number in range(student_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        students.append(
            User(
                id=ids.next(),
                email=f"student-{number:05d}@{EMAIL_DOMAIN}",
                password=UNUSABLE_PASSWORD,
                first_name=first,
                last_name=last,
                timezone=TZ_NAME,
                date_joined=now - dt.timedelta(days=rng.uniform(1, 365)),
            )
        )
    student_group = Group.objects.get(name=roles.STUDENT).pk
    busy_students: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    booked: dict[tuple[int, dt.date], list[tuple[int, int]]] = defaultdict(list)  # (person, date) -> minutes
    bookings = []
    attempts = 0
    with_days = [person for person in people if person.days]
    while len(bookings) < target and with_days and attempts < target * 5:
        attempts += 1
        person = rng.choice(with_days)
        day = rng.choice(list(person.days))
        lessons = booked[(person.index, day)]
        if len(lessons) >= person.lessons_per_day:
            continue
        offering = rng.choice(person.offerings)
        duration = rng.choice(offering.durations)
        starts = [
            start
            for begin, end in person.days[day]
            for start in range(-(-begin // SLOT_STEP) * SLOT_STEP, end - duration + 1, SLOT_STEP)
            if all(start + duration + person.buffer <= a or start >= b + person.buffer for a, b in lessons)
        ]
        if not starts:
            continue
        start = rng.choice(starts)
        start_at = local_minute_to_utc(day, start, TZ_NAME)
        end_at = local_minute_to_utc(day, start + duration, TZ_NAME)
        student = None
        for candidate in rng.sample(students, min(8, len(students))):
            if all(end_at <= a or start_at >= b for a, b in busy_students[candidate.id]):
                student = candidate
                break
        if student is None:
            continue
        lessons.append((start, start + duration))
        busy_students[student.id].append((start_at, end_at))
        location = rng.choice(offering.location_types)
        confirmed = now - dt.timedelta(hours=rng.uniform(1, 24 * 20))
        end_minute = start + duration
        bookings.append(
            Booking(
                id=ids.next(),
                created_at=confirmed - dt.timedelta(minutes=10),
                updated_at=confirmed,
                student_id=student.id,
                instructor_id=person.profile_id,
                offering_id=offering.id,
                service_name=offering.service_name,
                date=day,
                start_time=dt.time(start // 60, start % 60),
                end_time=dt.time((end_minute // 60) % 24, end_minute % 60),
                instructor_timezone=TZ_NAME,
                start_at=start_at,
                end_at=end_at,
                duration_minutes=duration,
                hourly_rate_cents=offering.rate_cents,
                price_cents=offering.rate_cents * duration // 60,
                location_type=location,
                location_address="1 Bench Street, New York, NY" if location == LocationType.STUDENT_LOCATION else "",
                status=BookingStatus.CONFIRMED,
                confirmed_at=confirmed,
                idempotency_key=f"bench-search-{len(bookings):06d}",
            )
        )
    copy_models(cursor, students)
    copy_rows(cursor, "accounts_user_groups", ["user_id", "group_id"], [(s.id, student_group) for s in students])
    summary.students = len(students)
    summary.bookings = copy_models(cursor, bookings)
