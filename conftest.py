"""Test setup shared by every app: real PostgreSQL (pytest-django's test database) and
real Redis (a separate database index, flushed around each test)."""

from urllib.parse import urlsplit, urlunsplit

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Keep tests off the development cache: Redis database 15 under its own prefix.
    url = urlsplit(settings.CACHES["default"]["LOCATION"])
    settings.CACHES["default"]["LOCATION"] = urlunsplit(url._replace(path="/15"))
    settings.CACHES["default"]["KEY_PREFIX"] = "ii-test"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def clean_cache_and_limits():
    from django.core.cache import cache

    from core import ratelimit

    cache.clear()
    ratelimit.clear_rule_cache()
    ratelimit.redis_breaker.reset()
    yield
    ratelimit.clear_rule_cache()
    ratelimit.redis_breaker.reset()


@pytest.fixture(autouse=True)
def roles_survive_flushes(request):
    """Transactional tests flush every table after they run, including the role groups the
    data migration made; put the roles back for the tests that come after."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from django.apps import apps

        from accounts.roles import sync_role_permissions

        request.getfixturevalue("transactional_db")
        sync_role_permissions(apps)
