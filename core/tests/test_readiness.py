"""Liveness and readiness (issue 10, item 6): /healthz says the process answers, touching nothing;
/readyz says PostgreSQL and Redis both answer, within bounded timeouts, or 503 naming what is
missing, for a load balancer to take the instance out of rotation."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DEAD = "127.0.0.1:1"  # nothing listens on port 1

pytestmark = pytest.mark.django_db


def test_ready_when_both_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "redis": "ok"}


def test_not_ready_without_redis_and_says_so_quickly(client, settings):
    settings.REDIS_URL = f"redis://{DEAD}/0"
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"ready": False, "database": "ok", "redis": "unavailable"}
    assert client.get("/healthz").status_code == 200  # still alive: don't restart it


def test_not_ready_without_the_database_but_still_alive():
    code = (
        "import django, time; django.setup(); from django.test import Client; c = Client(); t = time.monotonic(); "
        "r = c.get('/readyz', HTTP_HOST='127.0.0.1'); print(r.status_code, r.json()['database'], "
        "round(time.monotonic() - t)); print(c.get('/healthz', HTTP_HOST='127.0.0.1').status_code)"
    )
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@{DEAD}/nothing", "DB_CONNECT_TIMEOUT": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    ready, alive = done.stdout.split("\n")[:2]
    status, database, seconds = ready.split()
    assert (status, database, alive) == ("503", "unavailable", "200"), done.stderr[-2000:]
    assert int(seconds) <= 3
