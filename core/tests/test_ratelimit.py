"""The GCRA limiter against the real test Redis (and real ways for Redis to be gone)."""

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from core import ratelimit, services
from core.circuit import CircuitBreaker
from core.exceptions import RateLimited
from core.models import RateLimitRule
from core.ratelimit import check, enforce, redis_breaker, rule_for

PREFIX = django_settings.CACHES["default"]["KEY_PREFIX"]  # this run's keys only

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)  # a whole second: float ms stay exact


@pytest.fixture
def bucket(settings):
    """A settings bucket of our own: 10 per minute (one every 6 s), burst 3."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "test": {"limit": 10, "period": 60, "burst": 3}}
    return "test"


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def save_rule(**fields) -> RateLimitRule:
    fields.setdefault("period_seconds", 60)
    return services.save_rate_limit_rule(RateLimitRule(**fields))


def drain(bucket: str, key: str, times: int) -> list[ratelimit.Decision]:
    return [check(bucket, key) for _ in range(times)]


# --- GCRA ------------------------------------------------------------------------------


@pytest.mark.parametrize("burst", [1, 3, 7])
def test_burst_requests_pass_at_once_then_the_next_is_blocked(settings, frozen, burst):
    settings.RATE_LIMITS = {"burst-test": {"limit": 10, "period": 60, "burst": burst}}
    decisions = drain("burst-test", "1.2.3.4", burst + 1)
    assert [d.allowed for d in decisions] == [True] * burst + [False]
    assert decisions[-1].retry_after == 6  # one emission interval: 60 s / 10
    assert not decisions[-1].shadowed


def test_retry_after_is_at_least_one_second(settings, frozen):
    settings.RATE_LIMITS = {"fast": {"limit": 100, "period": 1, "burst": 1}}  # one every 10 ms
    assert check("fast", "k").allowed
    blocked = check("fast", "k")
    assert not blocked.allowed
    assert blocked.retry_after == 1


def test_blocked_requests_do_not_push_the_wait_further(bucket, frozen):
    drain(bucket, "k", 3)
    waits = [check(bucket, "k").retry_after for _ in range(5)]
    assert waits == [6, 6, 6, 6, 6]


def test_keys_are_independent(bucket, frozen):
    assert all(d.allowed for d in drain(bucket, "alice", 3))
    assert not check(bucket, "alice").allowed
    assert all(d.allowed for d in drain(bucket, "bob", 3))
    assert not check(bucket, "bob").allowed


def test_buckets_are_independent_for_the_same_key(settings, frozen):
    settings.RATE_LIMITS = {"a": {"limit": 10, "period": 60, "burst": 1}, "b": {"limit": 10, "period": 60, "burst": 1}}
    assert check("a", "k").allowed
    assert not check("a", "k").allowed
    assert check("b", "k").allowed


def test_one_request_is_allowed_again_after_one_interval_and_not_before(bucket, frozen):
    drain(bucket, "k", 3)
    assert check(bucket, "k").retry_after == 6

    frozen.shift(5.5)
    early = check(bucket, "k")
    assert not early.allowed
    assert early.retry_after == 1  # half a second left, rounded up

    frozen.shift(0.5)  # exactly one emission interval after the burst
    assert check(bucket, "k").allowed
    blocked = check(bucket, "k")  # only one was earned back
    assert not blocked.allowed
    assert blocked.retry_after == 6


def test_sustained_rate_is_one_per_interval(bucket, frozen):
    drain(bucket, "k", 3)
    allowed = 0
    for _ in range(60):  # one minute in one-second steps
        frozen.shift(1)
        allowed += check(bucket, "k").allowed
    assert allowed == 10  # the configured 10 per minute


def test_after_a_long_pause_the_full_burst_comes_back_but_no_more(bucket, frozen):
    drain(bucket, "k", 3)
    frozen.shift(3600)
    assert [d.allowed for d in drain(bucket, "k", 4)] == [True, True, True, False]


def test_state_expires_from_redis(bucket, frozen, redis):
    drain(bucket, "k", 2)
    key = ratelimit._redis_key(bucket, "k")
    assert key.startswith(f"{PREFIX}:rl:test:")
    ttl_ms = redis.pttl(key)
    assert 0 < ttl_ms <= 12_000  # two intervals of debt, never a key that lives forever


def test_reset_forgets_a_key(bucket, frozen, redis):
    drain(bucket, "k", 3)
    assert not check(bucket, "k").allowed
    ratelimit.reset(bucket, "k")
    assert redis.exists(ratelimit._redis_key(bucket, "k")) == 0
    assert check(bucket, "k").allowed


def test_concurrent_requests_never_exceed_the_burst(settings):
    settings.RATE_LIMITS = {"race": {"limit": 1, "period": 3600, "burst": 5}}
    rule_for("race")  # warm the rule cache so the threads need no database
    start = threading.Barrier(20)

    def hit(_):
        start.wait()
        return check("race", "same-ip").allowed

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(hit, range(40)))
    assert sum(results) == 5


# --- rules: settings, overrides, shadow, disabled, unknown -------------------------------


def test_default_buckets_are_configured():
    for name in ("login", "signup", "password_reset"):
        rule = rule_for(name)
        assert rule is not None and rule.enabled
        assert rule.limit >= 1 and rule.period_seconds >= 1 and rule.burst >= 1


def test_unknown_bucket_never_limits(redis):
    decisions = drain("no-such-bucket", "k", 50)
    assert rule_for("no-such-bucket") is None
    assert all(d.allowed and not d.shadowed for d in decisions)
    assert redis.keys(f"{PREFIX}:rl:*") == []


def test_disabled_rule_never_limits(django_capture_on_commit_callbacks, redis):
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(bucket="off", limit=1, burst=1, enabled=False)
    decisions = drain("off", "k", 20)
    assert all(d.allowed and not d.shadowed for d in decisions)
    assert redis.keys(f"{PREFIX}:rl:*") == []
    enforce("off", "k")


def test_shadow_rule_lets_everything_through_and_logs(django_capture_on_commit_callbacks, frozen, caplog):
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(bucket="quiet", limit=10, burst=2, shadow=True)
    with caplog.at_level(logging.INFO, logger="core.ratelimit"):
        decisions = drain("quiet", "9.9.9.9", 5)
        enforce("quiet", "9.9.9.9")  # does not raise
    assert all(d.allowed for d in decisions)
    # counted exactly as the real limiter would: the first two are fine, the rest would block
    assert [d.shadowed for d in decisions] == [False, False, True, True, True]
    assert decisions[2].retry_after == 6
    warnings = [r for r in caplog.records if r.name == "core.ratelimit" and r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert "shadow" in warnings[0].getMessage()
    assert "bucket=quiet" in warnings[0].getMessage()
    assert "key=9.9.9.9" in warnings[0].getMessage()


def test_global_shadow_setting_lets_everything_through(settings, bucket, frozen, caplog):
    settings.RATE_LIMIT_SHADOW = True
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        decisions = drain(bucket, "k", 6)
    assert all(d.allowed for d in decisions)
    assert sum(d.shadowed for d in decisions) == 3
    assert sum("shadow" in r.getMessage() for r in caplog.records) == 3


def test_global_shadow_setting_wins_over_an_enforcing_rule(settings, django_capture_on_commit_callbacks, frozen):
    settings.RATE_LIMIT_SHADOW = True
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(bucket="strict", limit=10, burst=1, shadow=False)
    assert rule_for("strict").shadow
    assert all(d.allowed for d in drain("strict", "k", 3))


def test_blocks_are_logged_at_info(bucket, frozen, caplog):
    with caplog.at_level(logging.INFO, logger="core.ratelimit"):
        drain(bucket, "k", 4)
    records = [r for r in caplog.records if r.name == "core.ratelimit"]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO
    assert "bucket=test key=k retry_after=6s" in records[0].getMessage()


def test_override_saved_through_the_service_applies_at_once(bucket, django_capture_on_commit_callbacks, frozen):
    assert rule_for(bucket).burst == 3  # the settings rule is now in the per-process cache
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(bucket=bucket, limit=10, burst=1)
    assert check(bucket, "k").allowed
    assert not check(bucket, "k").allowed


def test_rule_cache_is_cleared_on_commit_not_before(bucket, django_capture_on_commit_callbacks):
    assert rule_for(bucket).burst == 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        save_rule(bucket=bucket, limit=10, burst=1)
    assert rule_for(bucket).burst == 3  # not committed yet: the cached rule stands
    assert len(callbacks) == 1
    callbacks[0]()
    assert rule_for(bucket).burst == 1


def test_editing_and_deleting_a_rule(bucket, django_capture_on_commit_callbacks, frozen):
    with django_capture_on_commit_callbacks(execute=True):
        rule = save_rule(bucket=bucket, limit=10, burst=1)
    assert [d.allowed for d in drain(bucket, "a", 2)] == [True, False]

    rule.burst = 4
    with django_capture_on_commit_callbacks(execute=True):
        services.save_rate_limit_rule(rule)
    assert [d.allowed for d in drain(bucket, "b", 5)] == [True] * 4 + [False]

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_rate_limit_rule(rule)
    assert not RateLimitRule.objects.filter(bucket=bucket).exists()
    assert rule_for(bucket).burst == 3  # back to settings


@pytest.mark.parametrize("field", ["limit", "burst", "period_seconds"])
def test_service_rejects_zero_values(field):
    fields = {"bucket": "zero", "limit": 5, "burst": 5, "period_seconds": 60, field: 0}
    with pytest.raises(ValidationError):
        services.save_rate_limit_rule(RateLimitRule(**fields))
    assert not RateLimitRule.objects.exists()


@pytest.mark.parametrize("field", ["limit", "burst", "period_seconds"])
def test_database_refuses_zero_values(field):
    fields = {"bucket": "zero", "limit": 5, "burst": 5, "period_seconds": 60, field: 0}
    with pytest.raises(IntegrityError, match=f"core_ratelimitrule_{field.split('_')[0]}"), transaction.atomic():
        RateLimitRule.objects.create(**fields)


def test_bucket_names_are_unique(django_capture_on_commit_callbacks):
    save_rule(bucket="login", limit=5, burst=5)
    with pytest.raises(ValidationError, match="already exists"):
        save_rule(bucket="login", limit=9, burst=9)
    assert RateLimitRule.objects.get(bucket="login").limit == 5


def test_rule_str():
    rule = RateLimitRule(bucket="login", limit=10, period_seconds=60, burst=5)
    assert str(rule) == "login: 10/60s burst 5"


# --- enforce ----------------------------------------------------------------------------


def test_enforce_raises_rate_limited_with_retry_after(bucket, frozen):
    for _ in range(3):
        enforce(bucket, "k")
    with pytest.raises(RateLimited) as excinfo:
        enforce(bucket, "k")
    error = excinfo.value
    assert error.retry_after == 6
    assert error.status == 429
    assert error.code == "rate_limited"
    assert error.message == "Too many attempts. Please try again in 6 seconds."
    assert error.as_dict()["retry_after"] == 6


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (1, "1 second."),
        (2, "2 seconds."),
        (119, "119 seconds."),
        (120, "2 minutes."),
        (150, "3 minutes."),
        (3600, "60 minutes."),
    ],
)
def test_enforce_message_says_how_long_to_wait(settings, frozen, period, text):
    settings.RATE_LIMITS = {"slow": {"limit": 1, "period": period, "burst": 1}}
    enforce("slow", "k")
    with pytest.raises(RateLimited) as excinfo:
        enforce("slow", "k")
    assert excinfo.value.retry_after == period
    assert excinfo.value.message == f"Too many attempts. Please try again in {text}"


def test_client_ip():
    factory = RequestFactory()
    assert ratelimit.client_ip(factory.get("/", REMOTE_ADDR="203.0.113.7")) == "203.0.113.7"
    request = factory.get("/")
    del request.META["REMOTE_ADDR"]
    assert ratelimit.client_ip(request) == "unknown"


# --- Redis unavailable: fail open, log once, stop asking ------------------------------


def breaker_warnings(caplog):
    return [r for r in caplog.records if r.name.startswith("core.circuit") and r.levelno == logging.WARNING]


def test_redis_refused_fails_open_logs_once_and_opens_the_breaker(bucket, redis_refused, caplog):
    assert not redis_breaker.is_open
    with caplog.at_level(logging.WARNING):
        first = check(bucket, "k")
        assert first.allowed
        assert redis_breaker.is_open
        assert len(breaker_warnings(caplog)) == 1
        assert "failing open" in breaker_warnings(caplog)[0].getMessage()

        started = time.perf_counter()
        later = drain(bucket, "k", 20)
        elapsed = time.perf_counter() - started
    assert all(d.allowed for d in later)
    assert len(breaker_warnings(caplog)) == 1  # no new attempt, so nothing new to log
    assert elapsed < 0.1


def test_enforce_never_raises_while_redis_is_down(bucket, redis_refused):
    for _ in range(10):
        enforce(bucket, "k")


def test_hung_redis_costs_one_timeout_then_nothing(bucket, redis_hung, caplog):
    with caplog.at_level(logging.WARNING):
        started = time.perf_counter()
        assert check(bucket, "k").allowed
        first = time.perf_counter() - started
        assert redis_hung.connections == 1
        assert redis_breaker.is_open

        started = time.perf_counter()
        assert all(d.allowed for d in drain(bucket, "k", 20))
        rest = time.perf_counter() - started
    assert first >= 0.05  # the first call did wait for the silent server
    assert rest < 0.05  # twenty more calls did not
    assert redis_hung.connections == 1  # and never connected again
    assert len(breaker_warnings(caplog)) == 1


def test_after_the_cooldown_redis_is_tried_again(bucket, redis_hung, monkeypatch, caplog):
    monkeypatch.setattr(redis_breaker, "cooldown_seconds", 0.05)
    with caplog.at_level(logging.WARNING):
        check(bucket, "k")
        assert redis_hung.connections == 1
        time.sleep(0.06)
        assert not redis_breaker.is_open
        assert check(bucket, "k").allowed
    assert redis_hung.connections == 2
    assert len(breaker_warnings(caplog)) == 2


def test_reset_with_redis_down_does_not_raise(bucket, redis_refused):
    ratelimit.reset(bucket, "k")
    assert redis_breaker.is_open


def test_limiter_works_again_when_redis_is_back(bucket, frozen):
    redis_breaker.record_failure(ConnectionError("earlier outage"))
    assert all(d.allowed for d in drain(bucket, "k", 10))  # skipped while open
    redis_breaker.reset()
    assert [d.allowed for d in drain(bucket, "k", 4)] == [True, True, True, False]


# --- the circuit breaker itself --------------------------------------------------------


def test_circuit_breaker_opens_for_its_cooldown_and_logs_once(caplog):
    breaker = CircuitBreaker("test-dependency", cooldown_seconds=60)
    assert not breaker.is_open
    with caplog.at_level(logging.WARNING, logger="core.circuit.test-dependency"):
        breaker.record_failure(OSError("connection refused"))
        breaker.record_failure(OSError("connection refused"))
    assert breaker.is_open
    assert len(caplog.records) == 1
    assert "test-dependency unavailable" in caplog.records[0].getMessage()
    assert "connection refused" in caplog.records[0].getMessage()
    breaker.reset()
    assert not breaker.is_open


def test_circuit_breaker_closes_by_itself():
    breaker = CircuitBreaker("short", cooldown_seconds=0.02)
    breaker.record_failure(OSError("down"))
    assert breaker.is_open
    time.sleep(0.03)
    assert not breaker.is_open
