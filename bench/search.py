"""Search at scale: the search page and API over 10,000 live instructors and a million availability
days, each URL measured beside the bare /healthz view.

    .venv/bin/python bench/search.py [--instructors 10000] [--clients 1,8] [--seconds 5] [--explain]

1. Its own database, instainstru_bench_search (Redis db 3, cache prefix 'bench-search'): created if
   missing, migrated, and seeded once with COPY (bench/_search_seed.py): live instructors with
   names, headlines, bios, service areas over the five boroughs, 1-3 offerings each (popular
   services get many), about 100 days of availability bitmaps each, and confirmed bookings over
   the next two weeks. Later runs reuse the data; --reseed drops the database and starts again.
   Then ANALYZE.
2. In-process (Django test Client, inside a transaction that is rolled back): the SQL queries of
   one request per URL with an empty cache ("q cold"), again with a warm one ("q warm"), and once
   more with all but --small instructors taken offline, to show the count does not grow with the
   data. --explain: EXPLAIN (ANALYZE, BUFFERS) of each URL's slowest statement.
3. Load: gunicorn (--gunicorn, default 2 sync workers; DB_POOL=1, DEBUG off) pinned to core 0,
   loaded from this process pinned to core 1. At each client count: /healthz, every URL, /healthz
   again; each row a warm-up, then up to --requests requests or --seconds seconds.
4. Prints the tables, the p95 targets (text only < 50 ms, with a time window < 100 ms) with
   PASS/FAIL, and exits 1 on any error or failed target.

Progress goes to stderr; the report goes to stdout.
"""

import argparse
import datetime as dt
import http.client
import os
import shlex
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import _search_seed as seeding
from common import (
    BASELINE,
    BENCH_ENV,
    HOST,
    LOAD_COLUMNS,
    LOAD_CORE,
    REPO,
    SERVER_CORE,
    LoadResult,
    LoadRun,
    format_ms,
    load_cells,
    load_line,
    log,
    machine_line,
    pin_load_generator,
    print_table,
    run_manage,
    server_pinned,
    setup_django_in_process,
    start_gunicorn,
    stderr_tail,
    stop_gunicorn,
    wait_until_healthy,
)

# Its own database and Redis db, so neither the other benches' data nor their cache is touched.
# common.py's helpers (run_manage, setup_django_in_process, start_gunicorn) read BENCH_ENV when
# called, so pointing it here points them all.
DB_NAME = "instainstru_bench_search"
BENCH_ENV.update(
    {
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB_NAME}",
        "REDIS_URL": f"redis://{HOST}:6379/3",
        "CACHE_KEY_PREFIX": "bench-search",
    }
)

TEXT, WINDOW = "text", "time window"
TARGET_P95_MS = {TEXT: 50.0, WINDOW: 100.0}
URLS = [
    (TEXT, "/search/?q=piano"),
    (TEXT, "/search/?q=guitar+lessons+for+kids+in+brooklyn"),
    (TEXT, "/search/?q=spanish+tutor+under+$60"),
    (TEXT, "/search/?q=gutiar"),
    (TEXT, "/api/v1/search/?q=piano+in+manhattan"),
    (WINDOW, "/search/?q=piano+tomorrow+evening"),
    (WINDOW, "/search/?q=math+tutor+this+weekend"),
    (WINDOW, "/api/v1/search/?q=guitar+saturday+morning"),
    (WINDOW, "/search/?q=tomorrow+evening"),
]
# --url: a URL with one of these is held to the time-window target
TIME_WORDS = ("today", "tonight", "tomorrow", "week", "day", "morning", "afternoon", "evening", "night")
HEALTHZ_AGAIN = f"{BASELINE} (again)"
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
NOISE_SPREAD = 0.2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_argument_group("data")
    data.add_argument("--instructors", type=int, default=10_000, help="live instructors to seed (default 10000)")
    data.add_argument("--days", type=int, default=100, help="days of availability from today (default 100)")
    data.add_argument("--past-days", type=int, default=20, help="days of availability before today (default 20)")
    data.add_argument(
        "--bookings", type=int, help="confirmed bookings over the next 2 weeks (default 2 per instructor)"
    )
    data.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    data.add_argument(
        "--small", type=int, default=1000, help="live instructors for the second query count (default 1000)"
    )
    load = parser.add_argument_group("load")
    load.add_argument("--clients", default="1,8", help="client counts, comma-separated (default 1,8)")
    load.add_argument("--seconds", type=float, default=5.0, help="cap per measured row, seconds (default 5)")
    load.add_argument("--requests", type=int, default=20000, help="cap per measured row, requests (default 20000)")
    load.add_argument("--warmup-seconds", type=float, default=1.0, help="unmeasured warm-up per row (default 1)")
    load.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds (default 10)")
    load.add_argument("--gunicorn", default="-w 2 -k sync", help="gunicorn options (default '-w 2 -k sync')")
    load.add_argument(
        "--vary",
        action="store_true",
        help="add a distinct &bench=N to every request, so no response cache keyed on the URL can answer it",
    )
    load.add_argument("--no-load", action="store_true", help="in-process part only (query counts, --explain)")
    parser.add_argument("--url", action="append", help="measure this URL instead of the default list (repeatable)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each URL's slowest SQL statement")
    parser.add_argument(
        "--explain-width", type=int, default=400, help="cut --explain lines at this many characters (0: never)"
    )
    args = parser.parse_args()
    args.client_counts = [int(part) for part in args.clients.split(",")]
    if args.bookings is None:
        args.bookings = 2 * args.instructors
    if args.small >= args.instructors:
        args.small = max(1, args.instructors // 10)
    return args


def url_list(args: argparse.Namespace) -> list[tuple[str, str]]:
    if not args.url:
        return URLS
    return [(WINDOW if any(word in url.lower() for word in TIME_WORDS) else TEXT, url) for url in args.url]


# --- 1. The database ------------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(f"postgres://postgres@{HOST}:5432/postgres", autocommit=True)


def prepare_database(reseed: bool) -> None:
    from psycopg import sql

    with admin_connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and reseed:
            log(f"dropping {DB_NAME} (--reseed)")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            log(f"created database {DB_NAME}")
    run_manage("migrate", "--noinput")


def bench_connection():
    import psycopg

    return psycopg.connect(BENCH_ENV["DATABASE_URL"], autocommit=True)


def ensure_seeded(args: argparse.Namespace) -> tuple[seeding.SeedSummary, bool]:
    """(the seed's summary, whether this run made it)."""
    summary = seeding.stored_summary()
    wanted = {
        "instructors": args.instructors,
        "days": args.days,
        "past_days": args.past_days,
        "bookings": args.bookings,
    }
    if summary is not None:
        if summary.requested != wanted:
            sys.exit(
                f"{DB_NAME} holds a seed of {summary.requested}, not {wanted}: add --reseed to replace it "
                "(or pass the same sizes)"
            )
        log(f"reusing the seed of {summary.seed_date} ({summary.instructors} instructors); --reseed to redo it")
        return summary, False
    log(f"seeding {args.instructors} instructors, {args.past_days}+{args.days} days, {args.bookings} bookings")
    summary = seeding.seed(
        instructors=args.instructors, days=args.days, past_days=args.past_days, bookings=args.bookings, log=log
    )
    log(f"seeded in {summary.seconds:.1f} s; VACUUM ANALYZE")
    started = time.perf_counter()
    with bench_connection() as conn:
        conn.execute("VACUUM (ANALYZE)")
    vacuum = time.perf_counter() - started
    summary.steps.append(["VACUUM ANALYZE", round(vacuum, 1)])
    seeding.save_summary(summary)
    log(f"VACUUM ANALYZE in {vacuum:.1f} s")
    return summary, True


def analyze() -> float:
    started = time.perf_counter()
    with bench_connection() as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def database_sizes() -> list[str]:
    tables = [
        "availability_availabilityday",
        "bookings_booking",
        "instructors_instructorservice",
        "instructors_instructorprofile",
        "accounts_user",
        "instructors_instructorprofile_service_areas",
    ]
    with bench_connection() as conn:
        total = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        parts = []
        for table in tables:
            rows, size = conn.execute(
                "SELECT reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid)) "
                "FROM pg_class WHERE oid = %s::regclass",
                [table],
            ).fetchone()
            parts.append(f"{table} {size} (~{rows:,} rows)")
    return [f"size:    database {total}; " + ", ".join(parts[:3]), "         " + ", ".join(parts[3:])]


def unthrottle_search() -> list[str]:
    """Rate-limit buckets named like search get an admin override so generous that the limiter
    still runs (one Redis call, as in production) but never refuses the bench's one client address."""
    from django.conf import settings

    from core.models import RateLimitRule

    buckets = [name for name in getattr(settings, "RATE_LIMITS", {}) if "search" in name]
    for bucket in buckets:
        RateLimitRule.objects.update_or_create(
            bucket=bucket,
            defaults={
                "limit": 1_000_000_000,
                "period_seconds": 1,
                "burst": 1_000_000_000,
                "shadow": False,
                "enabled": True,
            },
        )
    return buckets


def clear_cache() -> None:
    """Deletes this bench's keys only (prefix 'bench-search'), never the whole Redis db."""
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    for start in range(0, len(keys), 1000):
        redis.delete(*keys[start : start + 1000])


def drop_queued_tasks() -> int:
    """Messages the views queued for Celery on the bench's broker (Redis db 3; no worker runs)."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    queued = redis.llen("celery")
    if queued:
        redis.delete("celery")
    return queued


# --- 2. In-process --------------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    params: object
    ms: float


class StatementRecorder:
    """A connection.execute_wrapper that keeps every statement with its parameters and its time
    (perf_counter: CaptureQueriesContext rounds times to whole milliseconds)."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append(Statement(sql, params, (time.perf_counter() - started) * 1000))


@dataclass
class Request:
    """One GET in-process."""

    status: int
    error: str = ""
    statements: list[Statement] = field(default_factory=list)  # savepoints left out
    ms: float = 0.0  # wall time in the view and middleware, in-process
    results: str = "-"

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def queries(self) -> int | None:
        return len(self.statements) if self.ok else None

    @property
    def sql_ms(self) -> float:
        return sum(statement.ms for statement in self.statements)


@dataclass
class Probe:
    """One URL in-process: with an empty cache, again warm, and with fewer live instructors."""

    url: str
    kind: str
    cold: Request | None = None
    warm: Request | None = None
    small: Request | None = None
    explain: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.cold is not None and self.cold.ok


def run_in_process(client, url: str) -> Request:
    from django.db import connection

    recorder = StatementRecorder()
    started = time.perf_counter()
    with connection.execute_wrapper(recorder):
        try:
            response = client.get(url)
        except Exception as error:  # noqa: BLE001 - reported under the table, the run goes on
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f" (at {Path(frame.filename).name}:{frame.lineno})"
            return Request(status=500, error=f"{type(error).__name__}: {error}"[:300] + where)
    ms = (time.perf_counter() - started) * 1000
    statements = [s for s in recorder.statements if not s.sql.lstrip().upper().startswith(TRANSACTION_CONTROL)]
    return Request(response.status_code, statements=statements, ms=ms, results=result_count(response))


def result_count(response) -> str:
    """The API's result count when the body says it; "-" otherwise."""
    if "json" not in response.get("Content-Type", ""):
        return "-"
    try:
        data = response.json()
    except ValueError:
        return "-"
    if isinstance(data, dict):
        for key in ("count", "total", "result_count"):
            if isinstance(data.get(key), int):
                return str(data[key])
        if isinstance(data.get("results"), list):
            return f"{len(data['results'])} shown"
    return "-"


class Rollback(Exception):
    pass


def median_request(client, url: str, runs: int = 3) -> Request:
    """`runs` cold requests (cache emptied before each); the one with the median wall time."""
    requests = []
    for _ in range(runs):
        clear_cache()
        requests.append(run_in_process(client, url))
        if not requests[-1].ok:
            return requests[-1]
    return sorted(requests, key=lambda request: request.ms)[len(requests) // 2]


def probe_urls(urls: list[tuple[str, str]], small: int, explain: bool, explain_width: int) -> list[Probe]:
    """Counts in a transaction that is rolled back: whatever the views write (history, events)
    never stays, and taking instructors offline for the small count is undone."""
    from django.db import transaction
    from django.test import Client

    client = Client(raise_request_exception=True)
    probes = [Probe(url=url, kind=kind) for kind, url in urls]
    try:
        with transaction.atomic():
            for probe in probes:  # imports, URL resolver, first connection: not counted
                clear_cache()
                run_in_process(client, probe.url)
            for probe in probes:
                probe.cold = median_request(client, probe.url)
                if probe.ok:
                    probe.warm = run_in_process(client, probe.url)
                if explain and probe.ok:
                    probe.explain = explain_slowest(client, probe, explain_width)
            with transaction.atomic():
                offline = take_offline_all_but(small)
                log(f"query counts again with {small} live instructors ({offline} taken offline in the transaction)")
                for probe in probes:
                    clear_cache()
                    probe.small = run_in_process(client, probe.url)
                raise Rollback
    except Rollback:
        pass
    clear_cache()
    return probes


def take_offline_all_but(small: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE instructors_instructorprofile SET is_live = false WHERE is_live AND id NOT IN "
            "(SELECT id FROM instructors_instructorprofile WHERE is_live ORDER BY id LIMIT %s)",
            [small],
        )
        return cursor.rowcount


def clip(line: str, width: int) -> str:
    """Long IN lists (every candidate's id) make lines of 300,000 characters."""
    if width <= 0 or len(line) <= width:
        return line
    return f"{line[:width]} ... [{len(line) - width:,} more characters]"


def explain_slowest(client, probe: Probe, width: int, runs: int = 3) -> list[str]:
    """The statement with the highest median time over `runs` cold requests, explained with
    ANALYZE inside a savepoint that is rolled back (it may be a write)."""
    from django.db import connection, transaction

    timings: list[list[Statement]] = []
    for _ in range(runs):
        clear_cache()
        request = run_in_process(client, probe.url)
        if request.ok:
            timings.append(request.statements)
    if not timings:
        return ["(no successful request to explain)"]
    if all(len(run) == len(timings[0]) for run in timings):
        medians = [statistics.median(run[i].ms for run in timings) for i in range(len(timings[0]))]
        statements = timings[0]
    else:
        statements = timings[-1]
        medians = [statement.ms for statement in statements]
    if not statements:
        return ["(no SQL)"]
    index = max(range(len(statements)), key=medians.__getitem__)
    slowest = statements[index]
    lines = [f"every statement, median ms over {len(timings)} cold requests:"]
    for number, (statement, ms) in enumerate(zip(statements, medians, strict=True), start=1):
        lines.append(f"  {number:>3}. {ms:8.2f} ms  {clip(' '.join(statement.sql.split()), 110)}")
    lines.append(f"the slowest, statement {index + 1} ({medians[index]:.2f} ms):")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                sql = connection.ops.compose_sql(slowest.sql, slowest.params)
                lines += ["  " + clip(line, width) for line in sql.splitlines()]
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest.sql}", slowest.params)
                lines += ["  | " + clip(row[0], width) for row in cursor.fetchall()]
            transaction.set_rollback(True)
    except Exception as error:  # noqa: BLE001 - reported with the plan, the run goes on
        lines.append(f"  (EXPLAIN failed: {type(error).__name__}: {error})")
    return lines


# --- 3. Load --------------------------------------------------------------------------------------


@dataclass
class Row:
    clients: int
    name: str
    kind: str
    result: LoadResult
    note: str = ""


def drain(port: int, within: float = 120.0) -> str:
    """After a row with errors (timeouts, mostly) the sync workers are still busy with requests
    nobody waits for: wait until /healthz answers within a second again, so the next row does
    not pay for them."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        conn = http.client.HTTPConnection(HOST, port, timeout=1.0)
        try:
            conn.request("GET", BASELINE)
            if conn.getresponse().status == 200:
                return f"the server was busy with abandoned requests for {time.monotonic() - started:.1f} s after it"
        except OSError:
            pass
        finally:
            conn.close()
    return f"the server was still busy {within:.0f} s after it: later rows are unreliable"


def measure(port: int, name: str, kind: str, clients: int, args: argparse.Namespace) -> Row:
    options = {"concurrency": clients, "timeout": args.timeout}
    paths: str | list[str] = name.removesuffix(" (again)")
    if args.vary and kind != "baseline":
        separator = "&" if "?" in paths else "?"
        paths = [f"{paths}{separator}bench={number}" for number in range(2 * args.requests)]
    warmup = LoadRun(port, paths, total=args.requests, deadline=time.monotonic() + args.warmup_seconds, **options)
    warmup.run()
    if not isinstance(paths, str):
        paths = paths[warmup.issued :]  # --vary: no path twice, warm-up included
    run = LoadRun(port, paths, total=args.requests, deadline=time.monotonic() + args.seconds, label=name, **options)
    result = run.run()
    p95 = format_ms(result.percentile_ms(95))
    log(f"{clients:>2} clients  {name}: {result.requests_per_second:.0f} req/s, p95 {p95} ms, {result.errors} errors")
    return Row(clients, name, kind, result)


@dataclass
class LoadPhase:
    options: list[str]
    rows: list[Row] = field(default_factory=list)
    server_pinned: bool = False
    load_pinned: bool = False
    load_averages: tuple[str, str] = ("?", "?")


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def run_load(probes: list[Probe], args: argparse.Namespace) -> LoadPhase:
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        server = start_gunicorn(Path(workdir), shlex.split(args.gunicorn))
        phase = LoadPhase(options=server.options)
        try:
            wait_until_healthy(server)
            phase.load_pinned, phase.server_pinned = pin_load_generator(), server_pinned(server)
            for clients in args.client_counts:
                phase.rows.append(measure(server.port, BASELINE, "baseline", clients, args))
                for probe in probes:
                    if probe.ok:
                        row = measure(server.port, probe.url, probe.kind, clients, args)
                        phase.rows.append(row)
                        if row.result.errors:
                            row.note = drain(server.port)
                phase.rows.append(measure(server.port, HEALTHZ_AGAIN, "baseline", clients, args))
            if any(row.result.errors for row in phase.rows):
                print(f"gunicorn stderr (last lines):\n{stderr_tail(server)}", file=sys.stderr)
        finally:
            stop_gunicorn(server)
    phase.load_averages = (before, load_average())
    return phase


# --- 4. Report ------------------------------------------------------------------------------------


def plural(clients: int) -> str:
    return f"{clients} client" + ("" if clients == 1 else "s")


def count_cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def query_table(probes: list[Probe], summary: seeding.SeedSummary, small: int) -> list[list[str]]:
    big, few = f"@{summary.instructors:,}", f"@{small:,}"
    table = [
        ["url", "kind", "status", f"q cold {big}", f"q cold {few}", "q warm", f"results {big}", few,
         "SQL ms", "view ms"]
    ]  # fmt: skip

    def cells(request: Request | None, *getters) -> list[str]:
        if request is None or not request.ok:
            return ["-" for _ in getters]
        return [getter(request) for getter in getters]

    for probe in probes:
        cold, small_run = probe.cold, probe.small
        table.append(
            [
                probe.url,
                probe.kind,
                str(cold.status) + (" (error)" if cold.error else ""),
                *cells(cold, lambda r: str(r.queries)),
                *cells(small_run, lambda r: str(r.queries)),
                *cells(probe.warm, lambda r: str(r.queries)),
                *cells(cold, lambda r: r.results),
                *cells(small_run, lambda r: r.results),
                *cells(cold, lambda r: f"{r.sql_ms:.1f}"),
                *cells(cold, lambda r: f"{r.ms:.1f}"),
            ]
        )
    return table


def healthz_rps(rows: list[Row], clients: int) -> float:
    figures = [row.result.requests_per_second for row in rows if row.clients == clients and row.kind == "baseline"]
    return sum(figures) / len(figures) if figures else 0.0


def target_met(row: Row) -> bool | None:
    if row.kind not in TARGET_P95_MS:
        return None
    p95 = row.result.percentile_ms(95)
    return p95 is not None and p95 < TARGET_P95_MS[row.kind] and not row.result.errors


def load_table(rows: list[Row]) -> list[list[str]]:
    table = [["clients", "url", *LOAD_COLUMNS, "p95 target", "result"]]
    for row in rows:
        met = target_met(row)
        table.append(
            [
                str(row.clients),
                row.name,
                *load_cells(row.result, healthz_rps(rows, row.clients)),
                f"< {TARGET_P95_MS[row.kind]:g} ms" if row.kind in TARGET_P95_MS else "",
                "" if met is None else ("PASS" if met else "FAIL"),
            ]
        )
    return table


def noise_notes(rows: list[Row]) -> list[str]:
    notes = []
    for clients in dict.fromkeys(row.clients for row in rows):
        figures = [row.result.requests_per_second for row in rows if row.clients == clients and row.kind == "baseline"]
        if len(figures) == 2 and max(figures):
            spread = abs(figures[0] - figures[1]) / max(figures)
            if spread > NOISE_SPREAD:
                notes.append(
                    f"NOISY: at {plural(clients)} /healthz made {figures[0]:.0f} then {figures[1]:.0f} req/s "
                    f"({spread:.0%} apart): other work was using the cores; ratios at this count are unreliable"
                )
    return notes


def seed_lines(summary: seeding.SeedSummary, seeded_now: bool) -> list[str]:
    age = (seeding.local_today() - dt.date.fromisoformat(summary.seed_date)).days
    when = "seeded by this run" if seeded_now else f"seeded on {summary.seed_date} ({age} days ago), reused"
    steps = ", ".join(f"{name} {seconds:g} s" for name, seconds in summary.steps)
    lines = [
        f"data:    {DB_NAME}, {when}: {summary.instructors:,} live instructors, {summary.offerings:,} offerings, "
        f"{summary.service_areas:,} service areas,",
        f"         {summary.availability_days:,} availability days ({summary.requested['past_days']} days before "
        f"to {summary.requested['days']} after {summary.seed_date}), {summary.bookings:,} confirmed bookings "
        f"(next {seeding.BOOKING_DAYS} days) of {summary.students:,} students",
        f"seed:    {summary.seconds:g} s in one transaction, then VACUUM ANALYZE ({steps})",
    ]
    if age > 3:
        lines.append(
            f"         WARNING: the seed is {age} days old: its bookings and calendars have moved into the past "
            "(--reseed)"
        )
    return lines


def header_lines(args, machine, summary, seeded_now, phase: LoadPhase | None, extra: list[str]) -> list[str]:
    lines = [
        f"InstaInstru search, {time.strftime('%Y-%m-%d %H:%M %Z')}: {shlex.join([sys.executable, *sys.argv])}",
        machine,
        *seed_lines(summary, seeded_now),
        *extra,
    ]
    if phase is not None:
        reconnects = any(row.result.server_closed_connections for row in phase.rows)
        before, after = phase.load_averages
        lines += [
            f"         load average (1 min) {before} before the load rows, {after} after them",
            f"server:  gunicorn {' '.join(phase.options)}, DB_POOL=1, DJANGO_DEBUG=0, ENV_TIER=INT; "
            f"pinned to core {SERVER_CORE}: {'yes' if phase.server_pinned else 'no'}",
            "         PostgreSQL and Redis are not pinned: they share both cores",
            f"load:    {load_line(max(args.client_counts))} at the most"
            + (" (the server closed it after every response: each request reconnected)" if reconnects else ""),
            f"         per row: {args.warmup_seconds:g} s warm-up, then up to {args.requests} requests or "
            f"{args.seconds:g} s; timeout {args.timeout:g} s; pinned to core {LOAD_CORE}: "
            f"{'yes' if phase.load_pinned else 'no'}"
            + (
                "; --vary: every request's URL ends in a distinct &bench=N"
                if args.vary
                else "; the same URL every time"
            ),
        ]
    lines += [
        "q:       SQL queries of one request in-process (Django test Client; savepoints not counted): cold = empty",
        f"         cache, warm = the same request again; @{args.small:,} = with all but {args.small:,} instructors "
        "offline (in a rolled-back transaction)",
        f"         SQL ms, view ms: the SQL time, all in-process, cold, @{summary.instructors:,}, median of 3",
        "vs healthz: req/s over the mean /healthz req/s at the same client count (measured first and last there)",
    ]
    return lines


def print_report(header: list[str], probes: list[Probe], summary, args, phase: LoadPhase | None) -> bool:
    print()
    print("\n".join(header))
    print()
    print_table(query_table(probes, summary, args.small))
    for probe in probes:
        if probe.cold.error:
            print(f"in-process error on {probe.url}: {probe.cold.error}")
        elif not probe.ok:
            print(f"not measured under load: {probe.url} answered {probe.cold.status} in-process")
        if probe.small is not None and probe.ok and probe.small.queries != probe.cold.queries:
            print(f"QUERY COUNT GROWS: {probe.url}: {probe.small.queries} queries with {args.small:,} instructors, "
                  f"{probe.cold.queries} with {summary.instructors:,}")  # fmt: skip
    cached = [p.url for p in probes if p.ok and p.cold.queries and p.warm and p.warm.queries == 0]
    if cached and not args.vary:
        print(f"note: {len(cached)} URL(s) ran no SQL the second time (a cache answered): the load rows measure that "
              "cache; --vary defeats caches keyed on the URL")  # fmt: skip
    passed = True
    if phase is not None:
        print()
        print_table(load_table(phase.rows))
        for row in phase.rows:
            if row.result.first_error:
                print(f"first error, {plural(row.clients)}, {row.name}: {row.result.first_error}")
            if row.note:
                print(f"{plural(row.clients)}, {row.name}: {row.note}")
        notes = noise_notes(phase.rows)
        if notes:
            print("\n".join(notes))
        print(
            f"targets: p95 < {TARGET_P95_MS[TEXT]:g} ms text only, < {TARGET_P95_MS[WINDOW]:g} ms with a time window; "
            f"with N clients and {workers(phase.options)} workers a request also waits for the ones ahead of it"
        )
        passed = all(target_met(row) is not False for row in phase.rows)
        passed = passed and not any(row.result.errors for row in phase.rows)
    missing = [probe.url for probe in probes if not probe.ok]
    if args.explain:
        print()
        for probe in probes:
            print(f"EXPLAIN, slowest statement of {probe.url}:")
            print("\n".join(probe.explain or ["  (not explained: the request failed)"]))
            print()
    return passed and not missing


def workers(options: list[str]) -> str:
    for flag in ("-w", "--workers"):
        if flag in options:
            return options[options.index(flag) + 1]
    return "1"


# --- Main -----------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    os.chdir(REPO)  # Celery's Django fixup puts the working directory first on sys.path: bench/ would shadow apps
    machine = machine_line()  # before this process pins itself to one core
    prepare_database(args.reseed)
    setup_django_in_process()
    from django.db import connections

    summary, seeded_now = ensure_seeded(args)
    analyze_seconds = analyze()
    log(f"ANALYZE in {analyze_seconds:.1f} s")
    extra = database_sizes()
    buckets = unthrottle_search()
    if buckets:
        extra.append(f"limits:  rate-limit bucket(s) {', '.join(buckets)} overridden to 1e9/s (the limiter still runs)")
    urls = url_list(args)
    log("counting queries in-process" + (" and explaining" if args.explain else ""))
    probes = probe_urls(urls, args.small, args.explain, args.explain_width)
    with bench_connection() as conn:  # the rolled-back "offline" UPDATE left dead versions: rewrite the table
        conn.execute("VACUUM (FULL, ANALYZE) instructors_instructorprofile")
    connections.close_all()

    phase = None if args.no_load else run_load(probes, args)
    dropped = drop_queued_tasks()
    if dropped:
        extra.append(
            f"celery:  {dropped} task message(s) the requests queued on Redis db 3 (no worker runs) were dropped"
        )
    connections.close_all()
    passed = print_report(header_lines(args, machine, summary, seeded_now, phase, extra), probes, summary, args, phase)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
