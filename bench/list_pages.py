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
import http.client
import math
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only target this script ever loads
DB_NAME = "instainstru_bench"
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "instainstru.settings",
    "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB_NAME}",
    "REDIS_URL": f"redis://{HOST}:6379/2",
    "CACHE_KEY_PREFIX": "bench",
    "ENV_TIER": "INT",
}
SERVER_ENV = {"DB_POOL": "1", "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": HOST, "ENV_TIER": "INT"}
SERVER_WORKERS = 2
SERVER_CORE = 0
LOAD_CORE = 1
BASELINE = "/healthz"
LIST_URLS = [
    "/",
    "/services/",
    "/services/piano/",
    "/services/piano/?sort=price&borough=manhattan&price_max=150",
    "/search/?q=guitar",
    "/api/v1/instructors/?service=piano&sort=price",
    "/api/v1/catalog/categories/",
]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="measured requests per URL (default 400)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per URL first (default 20)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout, seconds (default 10)")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="cap on the whole load phase (default 240)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the bench database as it is")
    return parser.parse_args()


# --- 1. Database ----------------------------------------------------------------


def create_bench_database_if_missing() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"postgres://postgres@{HOST}:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            log(f"created database {DB_NAME}")


def run_manage(*args: str) -> None:
    env = {**os.environ, **BENCH_ENV}
    log(f"manage.py {' '.join(args)}")
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


# --- 2. Query counts (in-process) -------------------------------------------------


@dataclass
class QueryCount:
    status: int
    cold: int
    warm: int


def setup_django_in_process() -> None:
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


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


# --- 3. Gunicorn ------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    stderr_path: Path
    taskset: bool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(workdir: Path) -> Server:
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "instainstru.wsgi", "-w", str(SERVER_WORKERS), "-k", "sync", "-b", f"{HOST}:{port}"]
    command.append("--no-control-socket")  # gunicorn 27 otherwise claims ~/.gunicorn/gunicorn.ctl
    taskset = shutil.which("taskset")
    if taskset and os.cpu_count() and os.cpu_count() > 1:
        command = [taskset, "-c", str(SERVER_CORE), *command]
    stderr_path = workdir / "gunicorn.stderr"
    env = {**os.environ, **BENCH_ENV, **SERVER_ENV}
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    log(f"gunicorn pid {process.pid} on {HOST}:{port}: {' '.join(command)}")
    return Server(process=process, port=port, stderr_path=stderr_path, taskset=command[0] == taskset)


def wait_until_healthy(server: Server, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.process.returncode}):\n{stderr_tail(server)}")
        conn = http.client.HTTPConnection(HOST, server.port, timeout=2)
        try:
            conn.request("GET", BASELINE)
            response = conn.getresponse()
            if response.status == 200 and response.read() == b"ok":
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer within {within:.0f} s:\n{stderr_tail(server)}")


def stop_gunicorn(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    log(f"gunicorn stopped ({server.process.returncode})")


def stderr_tail(server: Server, lines: int = 40) -> str:
    return "\n".join(server.stderr_path.read_text(errors="replace").splitlines()[-lines:])


def server_cores(server: Server) -> set[int]:
    """Cores of the gunicorn master and its workers (read back, not assumed)."""
    pids = [server.process.pid]
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    cores: set[int] = set()
    for pid in pids:
        try:
            cores |= os.sched_getaffinity(pid)
        except OSError:
            continue
    return cores


def pin_load_generator() -> bool:
    """Pin this process (and the threads it starts from now on) to the load core."""
    if not hasattr(os, "sched_setaffinity") or LOAD_CORE not in os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, {LOAD_CORE})
    return os.sched_getaffinity(0) == {LOAD_CORE}


# --- 4. Load generator ------------------------------------------------------------


@dataclass
class LoadResult:
    url: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    server_closed_connections: bool = False
    hit_time_cap: bool = False

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, percent: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class LoadRun:
    """`total` GETs of one URL from `concurrency` threads, each with its own keep-alive connection."""

    def __init__(self, port: int, url: str, *, total: int, concurrency: int, timeout: float, deadline: float):
        self.port, self.url, self.timeout, self.deadline = port, url, timeout, deadline
        self.concurrency = concurrency
        self.remaining = total
        self.lock = threading.Lock()
        self.result = LoadResult(url=url)

    def run(self) -> LoadResult:
        started, cpu_started = time.perf_counter(), time.process_time()
        threads = [threading.Thread(target=self.client_loop, daemon=True) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.result.elapsed_s = time.perf_counter() - started
        self.result.client_cpu_s = time.process_time() - cpu_started
        return self.result

    def take_ticket(self) -> bool:
        with self.lock:
            if time.monotonic() > self.deadline:
                self.result.hit_time_cap = self.remaining > 0
                return False
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True

    def client_loop(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)  # reconnects on its own
        try:
            while self.take_ticket():
                self.one_request(conn)
        finally:
            conn.close()

    def one_request(self, conn: http.client.HTTPConnection) -> None:
        started = time.perf_counter()
        try:
            conn.request("GET", self.url)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            self.record_error(f"{type(error).__name__}: {error}")
            return
        latency_ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.result.latencies_ms.append(latency_ms)
            self.result.server_closed_connections |= response.will_close
        if response.status != 200:
            self.record_error(f"HTTP {response.status}")

    def record_error(self, description: str) -> None:
        with self.lock:
            self.result.errors += 1
            self.result.first_error = self.result.first_error or description


def measure(port: int, url: str, args: argparse.Namespace, deadline: float) -> LoadResult:
    options = {"concurrency": args.concurrency, "timeout": args.timeout, "deadline": deadline}
    LoadRun(port, url, total=args.warmup, **options).run()
    result = LoadRun(port, url, total=args.requests, **options).run()
    log(f"{url}: {result.requests_per_second:.0f} req/s, {result.errors} errors")
    return result


# --- 5. Report --------------------------------------------------------------------


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


TABLE_COLUMNS = ["url", "status", "q cold", "q warm", "req/s", "p50 ms", "p95 ms", "p99 ms"]
TABLE_COLUMNS += ["errors", "client cpu", "vs healthz"]


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
                f"{result.requests_per_second:.0f}",
                format_ms(result.percentile_ms(50)),
                format_ms(result.percentile_ms(95)),
                format_ms(result.percentile_ms(99)),
                str(result.errors),
                f"{100 * result.client_cpu_s / result.elapsed_s:.0f}%" if result.elapsed_s else "-",
                f"{result.requests_per_second / baseline_rps:.2f}" if baseline_rps else "-",
            ]
        )
    return rows


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip(), flush=True)
        if index == 0:
            print("  ".join("-" * width for width in widths))


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
    import django
    import gunicorn

    machine_cores = os.cpu_count() or 1
    allowed_cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []

    create_bench_database_if_missing()
    if not args.skip_seed:
        run_manage("migrate", "--noinput")
        run_manage("seed_demo")

    setup_django_in_process()
    from django.db import connections

    urls = [*LIST_URLS, f"/instructors/{first_live_profile_id()}/"]
    data = describe_data()
    log("counting queries in-process")
    counts = count_queries([BASELINE, *urls])
    connections.close_all()

    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        server = start_gunicorn(Path(workdir))
        try:
            wait_until_healthy(server)
            load_pinned = pin_load_generator()
            server_pinned = server.taskset and server_cores(server) == {SERVER_CORE}
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
        f"machine: {machine_cores} cores (usable {allowed_cores}), {platform.machine()}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn {gunicorn.__version__}",
        f"server:  gunicorn -w {SERVER_WORKERS} -k sync, DB_POOL=1, DJANGO_DEBUG=0, ENV_TIER=INT; "
        f"pinned to core {SERVER_CORE}: {'yes' if server_pinned else 'no'}",
        "         PostgreSQL and Redis are not pinned: they share both cores",
        f"load:    {args.concurrency} threads in this process, one http.client keep-alive connection each"
        f"{' (gunicorn sync workers close it after every response, so each request reconnects)' if reconnects else ''}",
        f"         {args.warmup} warm-up + {args.requests} requests per URL, timeout {args.timeout:g} s; "
        f"pinned to core {LOAD_CORE}: {'yes' if load_pinned else 'no'}",
        f"data:    {DB_NAME} after seed_demo: {data}; Redis db 2, cache prefix 'bench'",
    ]
    print_report(header, results, counts)
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
