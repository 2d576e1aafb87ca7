"""Cache-aside helpers against the real test Redis, and with Redis refused or hung."""

import logging
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from core.cache import bump_namespace, cached, namespace_version
from core.circuit import redis_breaker

PREFIX = django_settings.CACHES["default"]["KEY_PREFIX"]  # this run's keys only

FRESH = object()


class Counter:
    """A compute function that counts its calls; returns `value`, or a fresh dict per call."""

    def __init__(self, value=FRESH):
        self.calls = 0
        self.value = value

    def __call__(self):
        self.calls += 1
        return {"n": self.calls, "items": ["piano", "guitar"]} if self.value is FRESH else self.value


def test_cached_computes_once_then_serves_from_redis(redis):
    compute = Counter()
    first = cached("catalog", "tree", compute)
    second = cached("catalog", "tree", compute)
    assert compute.calls == 1
    assert first == second == {"n": 1, "items": ["piano", "guitar"]}
    # it really is in Redis, under the test prefix, with the namespace version in the key
    assert redis.keys(f"{PREFIX}:*catalog:1:tree")


def test_cached_keys_are_separate(redis):
    a, b = Counter("A"), Counter("B")
    assert cached("catalog", "a", a) == "A"
    assert cached("catalog", "b", b) == "B"
    assert cached("catalog", "a", b) == "A"
    assert (a.calls, b.calls) == (1, 1)


def test_cached_respects_the_timeout(redis):
    cached("catalog", "tree", Counter(), timeout=42)
    (key,) = redis.keys(f"{PREFIX}:*catalog:1:tree")
    assert 0 < redis.ttl(key) <= 42


def test_falsy_but_real_values_are_cached():
    for value in (0, "", [], False):
        compute = Counter(value)
        assert cached("falsy", repr(value), compute) == value
        assert cached("falsy", repr(value), compute) == value
        assert compute.calls == 1, value


def test_bump_namespace_invalidates_its_keys_only():
    catalog, other = Counter(), Counter()
    cached("catalog", "tree", catalog)
    cached("other", "tree", other)
    bump_namespace("catalog")
    assert cached("catalog", "tree", catalog) == {"n": 2, "items": ["piano", "guitar"]}
    assert cached("catalog", "tree", catalog)["n"] == 2  # cached again under the new version
    cached("other", "tree", other)
    assert (catalog.calls, other.calls) == (2, 1)


def test_namespace_versions_count_up():
    assert namespace_version("catalog") == 1
    bump_namespace("catalog")
    bump_namespace("catalog")
    assert namespace_version("catalog") == 3


def test_bumping_a_namespace_never_read_still_invalidates():
    bump_namespace("fresh")
    assert namespace_version("fresh") == 2
    compute = Counter()
    cached("fresh", "k", compute)
    bump_namespace("fresh")
    cached("fresh", "k", compute)
    assert compute.calls == 2


def test_namespace_version_survives_the_default_timeout(redis):
    namespace_version("catalog")
    (key,) = redis.keys(f"{PREFIX}:*ver:catalog")
    assert redis.ttl(key) == -1  # no expiry: losing it would resurrect stale entries


def test_errors_in_compute_propagate_and_nothing_is_cached():
    def broken():
        raise LookupError("database said no")

    with pytest.raises(LookupError):
        cached("catalog", "tree", broken)
    assert cached("catalog", "tree", Counter("ok")) == "ok"


# --- Redis unavailable ------------------------------------------------------------------


def test_with_redis_refused_cached_computes_every_time(redis_refused):
    compute = Counter()
    assert cached("catalog", "tree", compute)["n"] == 1
    assert cached("catalog", "tree", compute)["n"] == 2
    assert cached("catalog", "tree", compute)["n"] == 3
    assert compute.calls == 3
    bump_namespace("catalog")  # does not raise
    assert namespace_version("catalog") == 1


def test_with_redis_refused_the_failure_is_logged(redis_refused, caplog):
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            cached("catalog", "tree", Counter())
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("core.")]
    assert warnings, "a dead cache must leave a trace in the log"


def test_hung_redis_costs_one_timeout_then_nothing(redis_hung):
    compute = Counter()
    started = time.perf_counter()
    assert cached("catalog", "tree", compute)["n"] == 1
    first = time.perf_counter() - started
    connections_after_first = redis_hung.connections

    started = time.perf_counter()
    for expected in range(2, 12):
        assert cached("catalog", "tree", compute)["n"] == expected
    rest = time.perf_counter() - started

    assert first >= 0.05  # the first call waited for the silent server once ...
    assert first < 0.2  # ... and only once, not once per cache operation
    assert connections_after_first == 1
    assert rest < 0.05  # ten more page loads cost no timeouts
    assert redis_hung.connections == 1
    assert redis_breaker.is_open


def test_bump_namespace_is_attempted_even_while_the_breaker_is_open(redis):
    compute = Counter()
    cached("catalog", "tree", compute)
    redis_breaker.record_failure(ConnectionError("a blip"))  # Redis is actually fine again
    bump_namespace("catalog")  # an instructor saved: this write must not be skipped
    redis_breaker.reset()
    cached("catalog", "tree", compute)
    assert compute.calls == 2


def test_cache_is_used_again_when_redis_is_back():
    compute = Counter()
    redis_breaker.record_failure(ConnectionError("earlier outage"))
    cached("catalog", "tree", compute)
    cached("catalog", "tree", compute)
    assert compute.calls == 2  # skipped while open
    redis_breaker.reset()
    cached("catalog", "tree", compute)
    cached("catalog", "tree", compute)
    assert compute.calls == 3
    assert cache.get("catalog:1:tree") == {"n": 3, "items": ["piano", "guitar"]}


def test_namespace_version_reads_as_one_while_redis_is_skipped(redis):
    bump_namespace("catalog")
    assert namespace_version("catalog") == 2
    redis_breaker.record_failure(ConnectionError("outage"))
    assert namespace_version("catalog") == 1  # no Redis call while the breaker is open


def test_namespace_version_with_redis_refused_opens_the_breaker(redis_refused):
    assert namespace_version("catalog") == 1
    assert redis_breaker.is_open
