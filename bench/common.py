"""What the benchmark scripts share: the bench database, gunicorn on its own core, a threaded
HTTP load generator on the other core, and the aligned table.

Only 127.0.0.1 is ever targeted. Progress goes to stderr (`log`); tables go to stdout.
"""

import http.client
import math
import multiprocessing
import os
import pickle
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only target the scripts ever load
DB_NAME = "instainstru_bench"
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "instainstru.settings",
    "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB_NAME}",
    "REDIS_URL": f"redis://{HOST}:6379/2",
    "CACHE_KEY_PREFIX": "bench",
    "ENV_TIER": "INT",
}
SERVER_ENV = {"DB_POOL": "1", "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": HOST, "ENV_TIER": "INT"}
SERVER_CORE = 0
LOAD_CORE = 1
BASELINE = "/healthz"
CLIENT_SWITCH_INTERVAL = 0.0005  # seconds; see LoadRun.run
CLIENTS_PER_PROCESS = 50  # see LoadRun.run_processes


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- Database ---------------------------------------------------------------------


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


def prepare_database(*, skip_seed: bool) -> None:
    """Always migrate (the code under test may have new migrations); seed_demo unless skipped."""
    create_bench_database_if_missing()
    run_manage("migrate", "--noinput")
    if not skip_seed:
        run_manage("seed_demo")


def setup_django_in_process() -> None:
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


# --- Gunicorn ---------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    stderr_path: Path
    taskset: bool
    options: list[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(workdir: Path, options: Sequence[str]) -> Server:
    """`gunicorn instainstru.wsgi <options>` pinned to SERVER_CORE, e.g. options ["-w", "2", "-k", "sync"]."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    command = [gunicorn, "instainstru.wsgi", *options, "-b", f"{HOST}:{port}"]
    command.append("--no-control-socket")  # gunicorn 27 otherwise claims ~/.gunicorn/gunicorn.ctl
    taskset = shutil.which("taskset")
    if taskset and os.cpu_count() and os.cpu_count() > 1:
        command = [taskset, "-c", str(SERVER_CORE), *command]
    stderr_path = workdir / "gunicorn.stderr"
    env = {**os.environ, **BENCH_ENV, **SERVER_ENV}
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    log(f"gunicorn pid {process.pid} on {HOST}:{port}: {' '.join(command)}")
    return Server(
        process=process, port=port, stderr_path=stderr_path, taskset=command[0] == taskset, options=[*options]
    )


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


def server_pinned(server: Server) -> bool:
    return server.taskset and server_cores(server) == {SERVER_CORE}


def pin_load_generator() -> bool:
    """Pin this process (and the threads it starts from now on) to the load core."""
    if not hasattr(os, "sched_setaffinity") or LOAD_CORE not in os.sched_getaffinity(0):
        return False
    os.sched_setaffinity(0, {LOAD_CORE})
    return os.sched_getaffinity(0) == {LOAD_CORE}


def machine_line() -> str:
    """Call it before pin_load_generator(): it reads the cores this process may use."""
    import django
    import gunicorn

    allowed_cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return (
        f"machine: {os.cpu_count() or 1} cores (usable {allowed_cores}), {platform.machine()}, "
        f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn {gunicorn.__version__}"
    )


# --- Load generator ---------------------------------------------------------------


@dataclass
class LoadResult:
    url: str  # the row's label: the path, or a name for a rotating set of paths
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

    @property
    def client_cpu_share(self) -> float | None:
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s else None

    def percentile_ms(self, percent: float) -> float | None:
        return percentile(self.latencies_ms, percent)


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class LoadRun:
    """`total` GETs from `concurrency` client threads, each with its own keep-alive connection.

    `paths` is one path, or a sequence that request number i takes path i % len(paths) from.
    The run stops early at `deadline` (time.monotonic()); `hit_time_cap` then says so.
    Above CLIENTS_PER_PROCESS clients the threads are spread over forked processes (same core)
    that take request numbers from one shared counter, so `issued` stays a prefix of the paths.
    """

    def __init__(
        self,
        port: int,
        paths: str | Sequence[str],
        *,
        total: int,
        concurrency: int,
        timeout: float,
        deadline: float,
        label: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.paths = [paths] if isinstance(paths, str) else list(paths)
        self.headers = headers or {}
        self.port, self.timeout, self.deadline = port, timeout, deadline
        self.concurrency = concurrency
        self.processes = math.ceil(concurrency / CLIENTS_PER_PROCESS)
        self.total = total
        self.shared_issued = multiprocessing.Value("q", 0)  # shared with the forked processes
        self.shared_time_cap = multiprocessing.Value("b", 0)
        self.lock = threading.Lock()
        self.result = LoadResult(url=label or self.paths[0])

    @property
    def issued(self) -> int:
        return self.shared_issued.value

    def run(self) -> LoadResult:
        # A thread whose response has arrived waits for the GIL; by default another thread may
        # hold it for up to 5 ms, which the latencies would show as the server's.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(CLIENT_SWITCH_INTERVAL)
        started = time.perf_counter()
        try:
            result = self.run_threads(self.concurrency) if self.processes == 1 else self.run_processes()
        finally:
            sys.setswitchinterval(switch_interval)
        result.elapsed_s = time.perf_counter() - started
        result.hit_time_cap = bool(self.shared_time_cap.value)
        return result

    def run_threads(self, count: int) -> LoadResult:
        cpu_started = time.process_time()
        threads = [threading.Thread(target=self.client_loop, daemon=True) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.result.client_cpu_s = time.process_time() - cpu_started
        return self.result

    def run_processes(self) -> LoadResult:
        """One GIL per CLIENTS_PER_PROCESS threads: 150 threads queueing for one GIL added
        milliseconds to the latencies they measured."""
        base, extra = divmod(self.concurrency, self.processes)
        children = []
        for index in range(self.processes):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: its threads, then its part of the result down the pipe
                os.close(read)
                status = 1
                try:
                    part = self.run_threads(base + (index < extra))
                    with os.fdopen(write, "wb") as out:
                        pickle.dump(part, out)
                    status = 0
                finally:
                    os._exit(status)  # no atexit, no closing of the parent's database connections
            os.close(write)
            children.append((pid, read))
        parts = []
        for pid, read in children:
            with os.fdopen(read, "rb") as source:
                parts.append(pickle.load(source))  # noqa: S301 - written by our own child above
            os.waitpid(pid, 0)
        return merged(self.result.url, parts)

    def take_ticket(self) -> int | None:
        with self.shared_issued.get_lock():
            if self.shared_issued.value >= self.total:
                return None
            if time.monotonic() > self.deadline:
                self.shared_time_cap.value = 1
                return None
            self.shared_issued.value += 1
            return self.shared_issued.value - 1

    def client_loop(self) -> None:
        conn = LeanConnection(self.port, self.timeout)
        try:
            while (ticket := self.take_ticket()) is not None:
                self.one_request(conn, self.paths[ticket % len(self.paths)])
        finally:
            conn.close()

    def one_request(self, conn: "LeanConnection", path: str) -> None:
        request = conn.request_bytes(path, self.headers)
        started = time.perf_counter()
        try:
            status, will_close = conn.get(request)
        except (OSError, ValueError) as error:
            conn.close()
            self.record_error(f"{path}: {type(error).__name__}: {error}")
            return
        latency_ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.result.latencies_ms.append(latency_ms)
            self.result.server_closed_connections |= will_close
        if status != 200:
            self.record_error(f"{path}: HTTP {status}")

    def record_error(self, description: str) -> None:
        with self.lock:
            self.result.errors += 1
            self.result.first_error = self.result.first_error or description


def load_line(clients: int) -> str:
    """How the load generator runs `clients` clients, for the report headers."""
    processes = math.ceil(clients / CLIENTS_PER_PROCESS)
    where = "this process" if processes == 1 else f"{processes} forked processes"
    return f"{clients} client threads in {where}, one bare-socket keep-alive connection each (LeanConnection)"


def merged(url: str, parts: list[LoadResult]) -> LoadResult:
    result = LoadResult(url=url)
    for part in parts:
        result.latencies_ms += part.latencies_ms
        result.errors += part.errors
        result.first_error = result.first_error or part.first_error
        result.client_cpu_s += part.client_cpu_s
        result.server_closed_connections |= part.server_closed_connections
    return result


class LeanConnection:
    """A keep-alive HTTP/1.1 GET client on a bare socket, reconnecting when the server closes.

    http.client parses every response's headers with the email package; at 4,000+ responses/s
    that made the load generator the busiest thing on its core (about 70 %), and 150 threads
    queueing for one GIL showed up in the latencies it measured. This reads the status, the
    Content-Length and Connection headers only (our responses always carry a Content-Length;
    without one the body runs to the end of the connection).
    """

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.sock: socket.socket | None = None

    def request_bytes(self, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def get(self, request: bytes) -> tuple[int, bool]:
        """Sends `request`, reads the whole response; (status, whether the server closed)."""
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(request)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += self.receive()
        head, _, body = buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines if ": " in line)
        will_close = headers.get("connection") == "close"
        if "content-length" in headers:
            remaining = int(headers["content-length"]) - len(body)
            while remaining > 0:
                remaining -= len(self.receive())
        else:
            will_close = True
            while self.receive(allow_end=True):
                pass
        if will_close:
            self.close()
        return int(status_line.split(" ", 2)[1]), will_close

    def receive(self, allow_end: bool = False) -> bytes:
        data = self.sock.recv(65536)
        if not data and not allow_end:
            raise ConnectionError("the server closed the connection mid-response")
        return data

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# --- Report -----------------------------------------------------------------------


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


LOAD_COLUMNS = ["req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "client cpu", "vs healthz"]


def load_cells(result: LoadResult, baseline_rps: float) -> list[str]:
    """A row's LOAD_COLUMNS; `baseline_rps` is the /healthz req/s to compare with."""
    return [
        f"{result.requests_per_second:.0f}",
        format_ms(result.percentile_ms(50)),
        format_ms(result.percentile_ms(95)),
        format_ms(result.percentile_ms(99)),
        str(result.errors),
        format_share(result.client_cpu_share),
        f"{result.requests_per_second / baseline_rps:.2f}" if baseline_rps else "-",
    ]


def print_table(rows: list[list[str]]) -> None:
    """The first row is the header; the first column is left-aligned, the others right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip(), flush=True)
        if index == 0:
            print("  ".join("-" * width for width in widths))
