"""Public availability (cached and uncached) and the instructor profile page beside the bare
/healthz view, then 100 concurrent bookings of one slot (issue 3's benchmark).

    .venv/bin/python bench/availability.py [--clients 1,16,150] [--seconds 5] [--skip-seed]

1. Prepares its own database (instainstru_bench) and Redis db 2: migrate + seed_demo.
2. In-process: picks the first live instructor with an active online 60-minute offering, counts
   SQL queries per URL (Django test Client), makes 100 bench students (once, through
   accounts.services.register_user with a cheap password hasher) and a fresh session for each,
   and picks the first free 60-minute start from local today + 2 days (bookings.openings).
3. Load: gunicorn (--gunicorn, default 2 sync workers; DB_POOL=1, DEBUG off) pinned to core 0,
   loaded from this process pinned to core 1. At each client count: /healthz, availability
   cached, availability uncached, the profile page, /healthz again; each row a warm-up, then up
   to --requests requests or --seconds seconds, whichever ends first.
4. Contention: a second gunicorn (--contention-gunicorn, default 4 gthread workers x 8 threads,
   so up to 32 attempts are inside Django at once; warmed first with GETs of the lesson list as
   a student), 100 threads, each logged in as its own
   student with its own idempotency key, connect, meet at a barrier and POST /api/v1/bookings/
   for the same slot; then the database is asked how many active bookings overlap that slot.
5. Prints the table and issue 3's targets with PASS/FAIL; the exit status is 1 if any fails.

Cached: after the warm-up, each worker answers from its edge (core/edge.py: process memory, in
front of Django; no Redis, no SQL). Uncached: each request of an "availability uncached" row asks
for a distinct (instructor, start_date) pair, days=14&detail=full, from a shuffled pool of every
live instructor x up to 28 start dates (those whose 14 days lie inside the weeks seed_demo
painted), and every instructor's availability namespace is bumped (core.cache.bump_namespace)
right before the row, so each request misses and computes its calendar (the instructor's small
public-facts entry stays cached, as in production). Checked after the row: the calendar payloads cached under the new
namespace versions must number exactly the requests sent. The row ends early when the pool
runs out (each pair is asked once per row).

Progress goes to stderr; the report goes to stdout.
"""

import argparse
import datetime as dt
import http.client
import json
import random
import secrets
import shlex
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    BASELINE,
    DB_NAME,
    HOST,
    LOAD_COLUMNS,
    LOAD_CORE,
    SERVER_CORE,
    LoadResult,
    LoadRun,
    Server,
    format_ms,
    load_cells,
    load_line,
    log,
    machine_line,
    percentile,
    pin_load_generator,
    prepare_database,
    print_table,
    server_pinned,
    setup_django_in_process,
    start_gunicorn,
    stderr_tail,
    stop_gunicorn,
    wait_until_healthy,
)

AVAILABILITY = "/api/v1/public/instructors/{id}/availability"
CACHED_QUERY = "?days=14&detail=full"
UNCACHED_START_DATES = 28  # at most: today .. today+27, as long as the 14 days stay inside the painted weeks
UNCACHED_DAYS = 14
PROFILE_PAGE = "/instructors/{id}/"
BOOKINGS = "/api/v1/bookings/"
LESSON_MINUTES = 60
FIRST_BOOKABLE_DAY = 2
STUDENT_EMAIL = "bench-student-{:03d}@bench.instainstru.test"
CHEAP_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"  # bench students never log in by password

CACHED, UNCACHED, PROFILE = "availability cached", "availability uncached", "profile page"
HEALTHZ_AGAIN = f"{BASELINE} (again)"

# Issue 3's targets.
CACHED_MIN_RPS = 1000
CACHED_MIN_RATIO = 0.5
MAX_P99_MS = 50.0
P99_CLIENTS = 150
RPS_TARGET_CLIENTS = (16, 150)  # the levels that saturate the server; one client measures latency
NOISE_SPREAD = 0.2  # /healthz first vs last at one client count further apart than this: a busy machine


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,16,150", help="client counts, comma-separated (default 1,16,150)")
    parser.add_argument("--seconds", type=float, default=5.0, help="cap per measured row, seconds (default 5)")
    parser.add_argument("--requests", type=int, default=20000, help="cap per measured row, requests (default 20000)")
    parser.add_argument("--warmup-seconds", type=float, default=1.0, help="unmeasured warm-up per row (default 1)")
    parser.add_argument("--contenders", type=int, default=100, help="concurrent booking attempts (default 100)")
    parser.add_argument("--gunicorn", default="-w 2 -k sync", help="gunicorn options for the load rows")
    parser.add_argument(
        "--contention-gunicorn", default="-w 4 -k gthread --threads 8", help="gunicorn options for the contention run"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds (default 10)")
    parser.add_argument("--skip-seed", action="store_true", help="skip seed_demo (migrate still runs)")
    args = parser.parse_args()
    args.client_counts = [int(part) for part in args.clients.split(",")]
    return args


# --- 2. In-process setup ------------------------------------------------------------


@dataclass
class Subject:
    """The instructor under load, the uncached pool and the contended slot."""

    profile_id: str
    offering_id: str
    description: str
    uncached_paths: list[str]
    pool_profile_ids: list[str]
    slot_start: dt.datetime | None = None
    slot_end: dt.datetime | None = None

    @property
    def cached_path(self) -> str:
        return AVAILABILITY.format(id=self.profile_id) + CACHED_QUERY

    @property
    def profile_path(self) -> str:
        return PROFILE_PAGE.format(id=self.profile_id)


def pick_subject() -> Subject:
    from django.db.models import Max

    from availability.models import AvailabilityDay
    from bookings.openings import local_today
    from instructors.models import InstructorService, LocationType
    from instructors.selectors import live_profiles

    offering = (
        InstructorService.objects.filter(
            is_active=True,
            durations__contains=[LESSON_MINUTES],
            location_types__contains=[LocationType.ONLINE],
            instructor__in=live_profiles(),
        )
        .select_related("instructor__user", "service")
        .order_by("instructor_id", "pk")
        .first()
    )
    if offering is None:
        sys.exit(f"no live instructor with an active online {LESSON_MINUTES}-minute offering (did seed_demo run?)")
    profiles = list(live_profiles().select_related("user").order_by("pk"))
    painted = AvailabilityDay.objects.filter(instructor__in=profiles).values("instructor")
    last_painted = dict(painted.annotate(last=Max("date")).values_list("instructor", "last"))
    paths = []
    for profile in profiles:
        today = local_today(profile)
        last_start = last_painted.get(profile.pk, today) - dt.timedelta(days=UNCACHED_DAYS - 1)
        for offset in range(min(UNCACHED_START_DATES, (last_start - today).days + 1)):
            start = (today + dt.timedelta(days=offset)).isoformat()
            paths.append(f"{AVAILABILITY.format(id=profile.pk)}?start_date={start}&days={UNCACHED_DAYS}&detail=full")
    random.Random(3).shuffle(paths)
    profile = offering.instructor
    return Subject(
        profile_id=str(profile.pk),
        offering_id=str(offering.pk),
        description=f"instructor {profile.pk} ({profile.user.public_name}, {profile.user.timezone}), "
        f"offering {offering.pk} ({offering.service.name}, online, {LESSON_MINUTES} min)",
        uncached_paths=paths,
        pool_profile_ids=[str(profile.pk) for profile in profiles],
    )


def pick_slot(subject: Subject) -> None:
    from bookings.openings import local_today, start_times
    from instructors.models import InstructorProfile

    profile = InstructorProfile.objects.select_related("user").get(pk=subject.profile_id)
    first = local_today(profile) + dt.timedelta(days=FIRST_BOOKABLE_DAY)
    times = start_times(profile, duration=LESSON_MINUTES, first=first, days=14)
    if not times:
        sys.exit(f"no free {LESSON_MINUTES}-minute start for {subject.profile_id} in the 14 days from {first}")
    subject.slot_start = times[0].start_at
    subject.slot_end = times[0].start_at + dt.timedelta(minutes=LESSON_MINUTES)


def bump_availability(profile_ids: list[str]) -> None:
    from availability.services import availability_namespace
    from core.cache import bump_namespace

    for profile_id in profile_ids:
        bump_namespace(availability_namespace(profile_id))


def current_payload_keys(profile_ids: list[str]) -> int:
    """Public-availability payloads cached under each instructor's current namespace version."""
    from django.core.cache import cache

    from availability.services import availability_namespace
    from core.cache import namespace_version

    marker = ":public:"
    current = set()
    for profile_id in profile_ids:
        namespace = availability_namespace(profile_id)
        current.add(str(cache.make_key(f"{namespace}:{namespace_version(namespace)}{marker}")))
    found = 0
    for raw in cache.client.get_client().scan_iter(match=str(cache.make_key(f"availability:*{marker}*")), count=1000):
        key = raw.decode()
        found += key[: key.index(marker) + len(marker)] in current
    return found


def warm_public_facts(profile_ids: list[str]) -> None:
    from django.conf import settings

    from bookings import selectors

    for profile_id in profile_ids:
        selectors.public_instructor(profile_id, timeout=settings.PUBLIC_AVAILABILITY_CACHE_SECONDS)


def count_queries(subject: Subject) -> dict[str, str]:
    """SQL queries per request in-process; "cold" = right after a namespace bump."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code} in-process")
        return len(captured)

    warm_public_facts(subject.pool_profile_ids)
    bump_availability(subject.pool_profile_ids)
    cold_cached, warm_cached = queries(subject.cached_path), queries(subject.cached_path)
    uncached = queries(subject.uncached_paths[0])
    cold_profile, warm_profile = queries(subject.profile_path), queries(subject.profile_path)
    return {
        BASELINE: str(queries(BASELINE)),
        CACHED: f"{warm_cached} ({cold_cached} cold)",
        UNCACHED: str(uncached),
        PROFILE: f"{warm_profile} ({cold_profile} cold)",
    }


def bench_students(count: int) -> list:
    """`count` students made through the signup service on the first run, reused afterwards."""
    from django.test.utils import override_settings

    from accounts.models import User
    from accounts.services import register_user

    existing = {user.email: user for user in User.objects.filter(email__endswith="@bench.instainstru.test")}
    students = []
    with override_settings(PASSWORD_HASHERS=[CHEAP_HASHER]):
        for number in range(count):
            email = STUDENT_EMAIL.format(number)
            user = existing.get(email) or register_user(
                email=email,
                password=secrets.token_urlsafe(18),
                first_name="Bench",
                last_name=f"Student {number:03d}",
                timezone="America/New_York",
            )
            students.append(user)
    return students


@dataclass
class Contender:
    headers: dict[str, str]
    body: bytes


def contenders(subject: Subject, students: list, run_id: str) -> list[Contender]:
    """Per student: a session made directly (no login) and a CSRF cookie + header pair."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    result = []
    for number, student in enumerate(students):
        session = SessionStore()
        session[SESSION_KEY] = student._meta.pk.value_to_string(student)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = student.get_session_auth_hash()
        session.create()
        csrf = secrets.token_hex(16)  # 32 characters, like Django's own CSRF secrets
        body = {
            "offering_id": subject.offering_id,
            "start_at": subject.slot_start.isoformat(),
            "duration": LESSON_MINUTES,
            "idempotency_key": f"{run_id}-{number:03d}",
        }
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
        }
        result.append(Contender(headers=headers, body=json.dumps(body).encode()))
    return result


# --- 3. Load ----------------------------------------------------------------------


@dataclass
class Row:
    clients: int
    name: str
    result: LoadResult
    sent: int  # requests sent, warm-up included
    note: str = ""
    all_missed: bool | None = None  # uncached rows: did every request compute its calendar?
    used_up: bool = False  # the row ended when its list of paths ran out, before --seconds


def measure(port: int, name: str, paths: str | list[str], clients: int, args: argparse.Namespace) -> Row:
    """A warm-up, then the measured requests. A list of paths is consumed: no path is
    requested twice in the row, warm-up included (the uncached row)."""
    options = {"concurrency": clients, "timeout": args.timeout}
    warmup_total = args.requests if isinstance(paths, str) else 2 * clients
    warmup = LoadRun(port, paths, total=warmup_total, deadline=time.monotonic() + args.warmup_seconds, **options)
    warmup.run()
    total = args.requests
    if not isinstance(paths, str):
        paths = paths[warmup.issued :]
        total = min(total, len(paths))
    run = LoadRun(port, paths, total=total, deadline=time.monotonic() + args.seconds, label=name, **options)
    result = run.run()
    log(f"{clients:>3} clients  {name}: {result.requests_per_second:.0f} req/s, {result.errors} errors")
    row = Row(clients, name, result, sent=warmup.issued + run.issued)
    row.used_up = not isinstance(paths, str) and run.issued == len(paths)
    return row


def measure_level(port: int, clients: int, subject: Subject, args: argparse.Namespace) -> list[Row]:
    rows = [measure(port, BASELINE, BASELINE, clients, args), measure(port, CACHED, subject.cached_path, clients, args)]
    bump_availability(subject.pool_profile_ids)
    uncached = measure(port, UNCACHED, subject.uncached_paths, clients, args)
    written = current_payload_keys(subject.pool_profile_ids)
    uncached.note = f"{written} calendars computed and cached for {uncached.sent} requests sent (warm-up included)"
    if uncached.used_up:
        uncached.note += f"; the row ended after {uncached.result.elapsed_s:.1f} s, when every pair had been asked once"
    uncached.all_missed = written == uncached.sent
    rows += [uncached, measure(port, PROFILE, subject.profile_path, clients, args)]
    rows.append(measure(port, HEALTHZ_AGAIN, BASELINE, clients, args))
    return rows


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


@dataclass
class LoadPhase:
    server: Server
    rows: list[Row] = field(default_factory=list)
    server_pinned: bool = False
    load_pinned: bool = False
    load_averages: tuple[str, str] = ("?", "?")  # /proc/loadavg's 1-minute figure before and after


def run_load(workdir: Path, subject: Subject, args: argparse.Namespace) -> LoadPhase:
    before = load_average()
    phase = LoadPhase(server=start_gunicorn(workdir, shlex.split(args.gunicorn)))
    try:
        wait_until_healthy(phase.server)
        phase.load_pinned, phase.server_pinned = pin_load_generator(), server_pinned(phase.server)
        for clients in args.client_counts:
            phase.rows += measure_level(phase.server.port, clients, subject, args)
        if any(row.result.errors for row in phase.rows):
            print(f"gunicorn stderr (last lines):\n{stderr_tail(phase.server)}", file=sys.stderr)
    finally:
        stop_gunicorn(phase.server)
    phase.load_averages = (before, load_average())
    return phase


# --- 4. Contention ----------------------------------------------------------------


@dataclass
class Attempt:
    status: int = 0  # 0: no response
    code: str = ""  # the error code of a JSON error, or the exception
    latency_ms: float | None = None


@dataclass
class Contention:
    server: Server
    attempts: list[Attempt] = field(default_factory=list)
    elapsed_s: float = 0.0
    active_on_slot: int = -1
    rows_made: int = -1

    def count(self, low: int, high: int) -> int:
        return sum(low <= attempt.status < high for attempt in self.attempts)


def contend(port: int, prepared: list[Contender], timeout: float) -> tuple[list[Attempt], float]:
    barrier = threading.Barrier(len(prepared) + 1)
    attempts = [Attempt() for _ in prepared]

    def attempt(number: int, contender: Contender) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.connect()
        except OSError as error:  # it still meets the barrier; the request then reconnects
            attempts[number].code = f"connect: {error}"
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request("POST", BOOKINGS, body=contender.body, headers=contender.headers)
            response = conn.getresponse()
            attempts[number].code = error_code(response.read())
            attempts[number].status = response.status
        except (OSError, http.client.HTTPException) as error:
            attempts[number].code = f"{type(error).__name__}: {error}"
        finally:
            attempts[number].latency_ms = (time.perf_counter() - started) * 1000
            conn.close()

    threads = [threading.Thread(target=attempt, args=item, daemon=True) for item in enumerate(prepared)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return attempts, time.perf_counter() - started


def error_code(payload: bytes) -> str:
    try:
        return json.loads(payload)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""


def run_contention(workdir: Path, subject: Subject, prepared: list[Contender], args: argparse.Namespace) -> Contention:
    server = start_gunicorn(workdir, shlex.split(args.contention_gunicorn))
    try:
        wait_until_healthy(server)
        # Warm every worker thread (imports, URL resolver, DB pool, sessions): GET the lessons list as a student.
        warmup = LoadRun(
            server.port,
            BOOKINGS,
            total=200,
            concurrency=32,
            timeout=args.timeout,
            deadline=time.monotonic() + 10,
            headers=prepared[0].headers,
        )
        if warmup.run().errors:
            log(f"contention warm-up: {warmup.result.errors} errors, first: {warmup.result.first_error}")
        log(f"contention: {len(prepared)} booking attempts on {subject.slot_start.isoformat()}")
        attempts, elapsed = contend(server.port, prepared, args.timeout)
        if any(attempt.status == 0 or attempt.status >= 500 for attempt in attempts):
            print(f"gunicorn stderr (last lines):\n{stderr_tail(server)}", file=sys.stderr)
    finally:
        stop_gunicorn(server)
    return Contention(server=server, attempts=attempts, elapsed_s=elapsed)


def check_slot(subject: Subject, contention: Contention, run_id: str) -> None:
    from bookings.models import ACTIVE_STATUSES, Booking

    overlapping = Booking.objects.filter(
        instructor_id=subject.profile_id, start_at__lt=subject.slot_end, end_at__gt=subject.slot_start
    )
    contention.active_on_slot = overlapping.filter(status__in=ACTIVE_STATUSES).count()
    contention.rows_made = Booking.objects.filter(idempotency_key__startswith=f"{run_id}-").count()


# --- 5. Report --------------------------------------------------------------------


TABLE_COLUMNS = ["clients", "endpoint", "q", *LOAD_COLUMNS]


def healthz_rps(rows: list[Row], clients: int) -> float:
    figures = [row.result.requests_per_second for row in rows if row.clients == clients and BASELINE in row.name]
    return sum(figures) / len(figures) if figures else 0.0


def table_rows(rows: list[Row], queries: dict[str, str]) -> list[list[str]]:
    table = [TABLE_COLUMNS]
    for row in rows:
        table.append(
            [
                str(row.clients),
                row.name,
                queries.get(row.name.removesuffix(" (again)"), "-"),
                *load_cells(row.result, healthz_rps(rows, row.clients)),
            ]
        )
    return table


def plural(clients: int) -> str:
    return f"{clients} client" + ("" if clients == 1 else "s")


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def target_rows(rows: list[Row], contention: Contention) -> list[list[str]]:
    table = [["target (issue 3)", "figure", "result"]]
    cached = {row.clients: row.result for row in rows if row.name == CACHED}
    for clients in RPS_TARGET_CLIENTS:
        if clients in cached:
            rps = cached[clients].requests_per_second
            table.append(
                [
                    f"cached availability >= {CACHED_MIN_RPS} req/s, {plural(clients)}",
                    f"{rps:.0f}",
                    verdict(rps >= CACHED_MIN_RPS),
                ]
            )
    for clients, result in cached.items():
        ratio = result.requests_per_second / healthz_rps(rows, clients)
        label = f"cached availability >= {CACHED_MIN_RATIO} x /healthz req/s, {plural(clients)}"
        table.append([label, f"{ratio:.2f}", verdict(ratio >= CACHED_MIN_RATIO)])
    if P99_CLIENTS in cached:
        p99 = cached[P99_CLIENTS].percentile_ms(99)
        label = f"cached availability p99 < {MAX_P99_MS:g} ms, {P99_CLIENTS} clients"
        table.append([label, format_ms(p99), verdict(p99 is not None and p99 < MAX_P99_MS)])
    errors = sum(row.result.errors for row in rows)
    table.append(["zero errors, every row above", str(errors), verdict(errors == 0)])
    misses = [row.all_missed for row in rows if row.all_missed is not None]
    table.append(["(check) uncached rows: every request missed", f"{sum(misses)}/{len(misses)}", verdict(all(misses))])
    successes, fives = sum(a.status == 201 for a in contention.attempts), contention.count(500, 600)
    table.append(["contention: exactly 1 success (201)", str(successes), verdict(successes == 1)])
    table.append(["contention: 0 5xx", str(fives), verdict(fives == 0)])
    active = contention.active_on_slot
    table.append(["contention: exactly 1 active booking on the slot (database)", str(active), verdict(active == 1)])
    return table


def contention_lines(contention: Contention) -> list[str]:
    attempts = contention.attempts
    latencies = [attempt.latency_ms for attempt in attempts if attempt.latency_ms is not None]
    answers = Counter(
        f"{attempt.status} {attempt.code}".strip() if attempt.status else attempt.code for attempt in attempts
    )
    conflicts = sum(attempt.status == 409 for attempt in attempts)
    return [
        f"contention: {len(attempts)} POST {BOOKINGS} for one slot at once, gunicorn "
        f"{' '.join(contention.server.options)} (same env, pinned to core {SERVER_CORE})",
        f"  {sum(a.status == 201 for a in attempts)} success (201), {conflicts} 409, "
        f"{contention.count(400, 500) - conflicts} other 4xx, {contention.count(500, 600)} 5xx, "
        f"{sum(a.status == 0 for a in attempts)} without response; p50 {format_ms(percentile(latencies, 50))} ms, "
        f"p99 {format_ms(percentile(latencies, 99))} ms; all answered in {contention.elapsed_s * 1000:.0f} ms",
        f"  answers: {', '.join(f'{answer} x{count}' for answer, count in answers.most_common())}",
        f"  database: {contention.active_on_slot} active booking(s) overlap the slot; "
        f"{contention.rows_made} booking row(s) made by this run's attempts",
    ]


def noise_notes(rows: list[Row]) -> list[str]:
    """/healthz first and last at a client count should agree; when they don't, something else
    was using the cores, and the ratios at that count are not to be trusted."""
    notes = []
    for clients in dict.fromkeys(row.clients for row in rows):
        first, last = (
            row.result.requests_per_second for row in rows if row.clients == clients and BASELINE in row.name
        )
        spread = abs(first - last) / max(first, last) if max(first, last) else 0.0
        if spread > NOISE_SPREAD:
            notes.append(
                f"NOISY: at {plural(clients)} /healthz made {first:.0f} then {last:.0f} req/s ({spread:.0%} apart): "
                "other work was using the cores; ratios at this count are unreliable"
            )
    return notes


def littles_law_note(rows: list[Row]) -> list[str]:
    baseline = [row for row in rows if row.clients == P99_CLIENTS and row.name == BASELINE]
    if not baseline:
        return []
    result = baseline[0].result
    return [
        f"note: {P99_CLIENTS} clients that never pause keep {P99_CLIENTS} requests in flight, so the mean latency is "
        f"{P99_CLIENTS} / req/s (Little's law):",
        f"      p99 < {MAX_P99_MS:g} ms needs more than {P99_CLIENTS / MAX_P99_MS * 1000:.0f} req/s; the bare /healthz "
        f"made {result.requests_per_second:.0f} req/s with p99 {format_ms(result.percentile_ms(99))} ms here.",
    ]


def print_report(header: list[str], rows: list[Row], queries: dict[str, str], contention: Contention) -> bool:
    print()
    print("\n".join(line for line in header if line))
    print()
    print_table(table_rows(rows, queries))
    for row in rows:
        if row.result.first_error:
            print(f"first error, {plural(row.clients)}, {row.name}: {row.result.first_error}")
        if row.note:
            print(f"{plural(row.clients)}, {row.name}: {row.note}")
    print()
    print("\n".join(contention_lines(contention)))
    print()
    targets = target_rows(rows, contention)
    print_table(targets)
    notes = littles_law_note(rows) + noise_notes(rows)
    if notes:
        print("\n".join(notes))
    return all(row[2] == "PASS" for row in targets[1:])


# --- Main -------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    machine = machine_line()  # before this process pins itself to one core
    prepare_database(skip_seed=args.skip_seed)
    setup_django_in_process()
    from django.db import connections

    subject = pick_subject()
    log(f"subject: {subject.description}")
    log("counting queries in-process")
    queries = count_queries(subject)
    log(f"{args.contenders} bench students and their sessions")
    run_id = f"bench-{secrets.token_hex(4)}"
    pick_slot(subject)
    prepared = contenders(subject, bench_students(args.contenders), run_id)
    warm_public_facts(subject.pool_profile_ids)
    connections.close_all()

    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        phase = run_load(Path(workdir), subject, args)
        contention = run_contention(Path(workdir), subject, prepared, args)
    check_slot(subject, contention, run_id)

    passed = print_report(header_lines(args, machine, subject, phase), phase.rows, queries, contention)
    return 0 if passed else 1


def header_lines(args: argparse.Namespace, machine: str, subject: Subject, phase: LoadPhase) -> list[str]:
    instructors, paths = len(subject.pool_profile_ids), len(subject.uncached_paths)
    pool = f"{paths} ({instructors} live instructors x up to {UNCACHED_START_DATES} dates, within their painted weeks)"
    reconnects = any(row.result.server_closed_connections for row in phase.rows)
    before, after = phase.load_averages
    return [
        f"InstaInstru availability, {time.strftime('%Y-%m-%d %H:%M %Z')}: {shlex.join([sys.executable, *sys.argv])}",
        machine,
        f"         load average (1 min) {before} before the load rows, {after} after them (this run adds about 2)",
        f"server:  gunicorn {' '.join(phase.server.options)}, DB_POOL=1, DJANGO_DEBUG=0, ENV_TIER=INT; "
        f"pinned to core {SERVER_CORE}: {'yes' if phase.server_pinned else 'no'}",
        "         PostgreSQL and Redis are not pinned: they share both cores",
        f"load:    {load_line(max(args.client_counts))} at the most",
        "         (the server closed it after every response: each request reconnected)" if reconnects else "",
        f"         per row: {args.warmup_seconds:g} s warm-up (uncached: at most 2 requests per client), then up to "
        f"{args.requests} requests or {args.seconds:g} s; timeout {args.timeout:g} s",
        f"         pinned to core {LOAD_CORE}: {'yes' if phase.load_pinned else 'no'}",
        f"data:    {DB_NAME} after seed_demo, Redis db 2 (prefix 'bench'); {subject.description}",
        f"cached:  GET {AVAILABILITY}{CACHED_QUERY} of that instructor",
        "         (after the warm-up answered by the edge, core/edge.py, from each worker's memory)",
        f"uncached: a distinct (instructor, start_date) per request, days=14&detail=full, from {pool};",
        "         every availability namespace bumped before the row: each request computes its calendar (checked)",
        "q:       SQL queries per request in-process (Django test Client); cold = right after a namespace bump",
        "vs healthz: req/s over the mean /healthz req/s at the same client count (measured first and last there)",
        "client cpu: load generator CPU / wall time; near 100% = the client, not the server, set the pace",
    ]


if __name__ == "__main__":
    sys.exit(main())
