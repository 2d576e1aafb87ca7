"""Figures for the public list pages and endpoints, each measured beside the bare /healthz view.

    .venv/bin/python bench/list_pages.py [--requests 400] [--concurrency 4]

1. Prepares its own database (instainstru_bench) and Redis db 2: migrate + seed_demo.
2. Counts SQL queries per URL in-process (Django test Client), on a cold and on a warm cache.
3. Serves the app with gunicorn (2 sync workers, psycopg pool on, DEBUG off) pinned to core 0,
   loads it from this process pinned to core 1, and prints requests/s, p50/p95/p99 latency,
   errors and requests/s as a ratio of /healthz's (measured first and last in the same run).

Progress goes to stderr; the table goes to stdout.
"""

import argparse
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    BASELINE,
    DB_NAME,
    LOAD_COLUMNS,
    LOAD_CORE,
    SERVER_CORE,
    LoadResult,
    LoadRun,
    load_cells,
    load_line,
    log,
    machine_line,
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

SERVER_WORKERS = 2
LIST_URLS = [
    "/",
    "/services/",
    "/services/piano/",
    "/services/piano/?sort=price&borough=manhattan&price_max=150",
    "/search/?q=guitar",
    "/api/v1/instructors/?service=piano&sort=price",
    "/api/v1/catalog/categories/",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="measured requests per URL (default 400)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per URL first (default 20)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds (default 10)")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="cap on the whole load phase (default 240)")
    parser.add_argument("--skip-seed", action="store_true", help="skip seed_demo (migrate still runs)")
    return parser.parse_args()


# --- 2. Query counts (in-process) -------------------------------------------------


@dataclass
class QueryCount:
    status: int
    cold: int
    warm: int


def first_live_profile_id() -> str:
    from instructors.selectors import live_profiles

    profile_id = live_profiles().order_by("pk").values_list("pk", flat=True).first()
    if profile_id is None:
        sys.exit("no live instructor profile in the bench database (did seed_demo run?)")
    return str(profile_id)


def describe_data() -> str:
    from instructors.models import Service
    from instructors.selectors import live_profiles

    return f"{live_profiles().count()} live instructors, {Service.objects.count()} services"


def count_queries(urls: list[str]) -> dict[str, QueryCount]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    counts = {}
    for url in urls:
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            client.get(url)
        with CaptureQueriesContext(connection) as warm:
            response = client.get(url)
        counts[url] = QueryCount(status=response.status_code, cold=len(cold), warm=len(warm))
    return counts


# --- 3. Load ----------------------------------------------------------------------


def measure(port: int, url: str, args: argparse.Namespace, deadline: float) -> LoadResult:
    options = {"concurrency": args.concurrency, "timeout": args.timeout, "deadline": deadline}
    LoadRun(port, url, total=args.warmup, **options).run()
    result = LoadRun(port, url, total=args.requests, **options).run()
    log(f"{url}: {result.requests_per_second:.0f} req/s, {result.errors} errors")
    return result


# --- 4. Report --------------------------------------------------------------------


TABLE_COLUMNS = ["url", "status", "q cold", "q warm", *LOAD_COLUMNS]


def table_rows(results: list[LoadResult], counts: dict[str, QueryCount], baseline_rps: float) -> list[list[str]]:
    rows = [TABLE_COLUMNS]
    seen = set()
    for result in results:
        count = counts.get(result.url)
        label = result.url + (" (again)" if result.url in seen else "") + (" (time cap)" if result.hit_time_cap else "")
        seen.add(result.url)
        rows.append(
            [
                label,
                str(count.status) if count else "-",
                str(count.cold) if count else "-",
                str(count.warm) if count else "-",
                *load_cells(result, baseline_rps),
            ]
        )
    return rows


def print_report(header: list[str], results: list[LoadResult], counts: dict[str, QueryCount]) -> None:
    baselines = [result.requests_per_second for result in results if result.url == BASELINE]
    baseline_rps = sum(baselines) / len(baselines)
    print()
    for line in header:
        print(line)
    print(f"ratio:   req/s / mean /healthz req/s of this run ({baseline_rps:.0f}); q = SQL queries in-process")
    print("         client cpu = load generator CPU / wall time (near 100% = the client, not the server, is the limit)")
    print()
    print_table(table_rows(results, counts, baseline_rps))
    for result in results:
        if result.first_error:
            print(f"first error on {result.url}: {result.first_error}")


# --- Main -------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    machine = machine_line()  # before this process pins itself to one core
    prepare_database(skip_seed=args.skip_seed)
    setup_django_in_process()
    from django.db import connections

    urls = [*LIST_URLS, f"/instructors/{first_live_profile_id()}/"]
    data = describe_data()
    log("counting queries in-process")
    counts = count_queries([BASELINE, *urls])
    connections.close_all()

    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        server = start_gunicorn(Path(workdir), ["-w", str(SERVER_WORKERS), "-k", "sync"])
        try:
            wait_until_healthy(server)
            load_pinned = pin_load_generator()
            pinned = server_pinned(server)
            deadline = time.monotonic() + args.max_seconds
            for url in [BASELINE, *urls, BASELINE]:
                results.append(measure(server.port, url, args, deadline))
            if any(result.errors for result in results):
                print(f"gunicorn stderr (last lines):\n{stderr_tail(server)}", file=sys.stderr)
        finally:
            stop_gunicorn(server)

    reconnects = any(result.server_closed_connections for result in results)
    header = [
        f"InstaInstru list pages, {time.strftime('%Y-%m-%d %H:%M %Z')}: {shlex.join([sys.executable, *sys.argv])}",
        machine,
        f"server:  gunicorn -w {SERVER_WORKERS} -k sync, DB_POOL=1, DJANGO_DEBUG=0, ENV_TIER=INT; "
        f"pinned to core {SERVER_CORE}: {'yes' if pinned else 'no'}",
        "         PostgreSQL and Redis are not pinned: they share both cores",
        f"load:    {load_line(args.concurrency)}"
        f"{' (gunicorn sync workers close it after every response, so each request reconnects)' if reconnects else ''}",
        f"         {args.warmup} warm-up + {args.requests} requests per URL, timeout {args.timeout:g} s; "
        f"pinned to core {LOAD_CORE}: {'yes' if load_pinned else 'no'}",
        f"data:    {DB_NAME} after seed_demo: {data}; Redis db 2, cache prefix 'bench'",
    ]
    print_report(header, results, counts)
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
