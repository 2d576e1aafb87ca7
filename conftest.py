"""Test setup shared by every app: real PostgreSQL (pytest-django's test database) and
real Redis (a separate database index, flushed around each test)."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Keep tests off the development cache: Redis database 15 under its own prefix.
    url = urlsplit(settings.CACHES["default"]["LOCATION"])
    settings.CACHES["default"]["LOCATION"] = urlunsplit(url._replace(path="/15"))
    # One prefix per test database, so parallel local runs don't wipe each other's keys.
    settings.CACHES["default"]["KEY_PREFIX"] = f"ii-test-{os.environ.get('TEST_DATABASE_NAME', 'main')}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks queued after a commit run inline: tests never leave messages on a real broker.
    from instainstru.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True


def _delete_this_runs_keys():
    """Cache entries and rate-limit buckets under this run's prefix (clear() would flush
    the whole Redis database, other runs' keys included)."""
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    if keys:
        redis.delete(*keys)


@pytest.fixture(autouse=True)
def clean_cache_and_limits():
    from core import ratelimit

    _delete_this_runs_keys()
    ratelimit.clear_rule_cache()
    ratelimit.redis_breaker.reset()
    yield
    ratelimit.clear_rule_cache()
    ratelimit.redis_breaker.reset()


@pytest.fixture(autouse=True)
def roles_survive_flushes(request):
    """Transactional tests flush every table after they run, including the role groups the
    data migration made; put the roles back for the tests that come after."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        from django.apps import apps

        from accounts.roles import sync_role_permissions

        request.getfixturevalue("transactional_db")
        sync_role_permissions(apps)
