"""GCRA rate limiting on Redis.

Each bucket (login, signup, send_message, ...) allows `burst` requests at once and
then `limit` per `period`. The check is one atomic Lua script per request. Settings
come from settings.RATE_LIMITS, overridden at runtime by core.RateLimitRule rows
(admin). Shadow mode logs a would-be block and lets the request through. If Redis is
down the limiter fails open: it allows, logs, and skips Redis for a cool-down.
"""

import logging
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from .circuit import redis_breaker
from .exceptions import RateLimited

log = logging.getLogger("core.ratelimit")

# KEYS[1]: the bucket key. ARGV: now_ms, emission interval ms, burst.
# Stores the theoretical arrival time (TAT); allows when TAT - now stays within burst * interval.
GCRA_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
return {1, 0}
"""

# The same test without counting a request (would one more be allowed now?).
GCRA_PEEK_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if allow_at > now then
  return {0, allow_at - now}
end
return {1, 0}
"""

_RULE_CACHE_SECONDS = 5.0
_rule_cache: dict[str, tuple[float, "Rule | None"]] = {}


@dataclass(frozen=True)
class Rule:
    bucket: str
    limit: int
    period_seconds: int
    burst: int
    shadow: bool = False
    enabled: bool = True
    overridden: bool = False  # staff changed it in the admin (a RateLimitRule row)

    @property
    def interval_ms(self) -> float:
        return self.period_seconds * 1000 / self.limit


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds, rounded up
    shadowed: bool = False  # would have been blocked, let through by shadow mode


def clear_rule_cache() -> None:
    _rule_cache.clear()


def rule_for(bucket: str) -> Rule | None:
    """The bucket's effective rule: the admin override if any, else settings."""
    cached = _rule_cache.get(bucket)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    rule = _load_rule(bucket)
    _rule_cache[bucket] = (time.monotonic() + _RULE_CACHE_SECONDS, rule)
    return rule


def _load_rule(bucket: str) -> Rule | None:
    from .models import RateLimitRule

    return _rule_from(bucket, RateLimitRule.objects.filter(bucket=bucket).first())


def _rule_from(bucket: str, override) -> Rule | None:
    """The admin's override row if any, else the settings default (None: the bucket is unknown)."""
    if override:
        return Rule(
            bucket=bucket,
            limit=override.limit,
            period_seconds=override.period_seconds,
            burst=override.burst,
            shadow=override.shadow or settings.RATE_LIMIT_SHADOW,
            enabled=override.enabled,
            overridden=True,
        )
    default = settings.RATE_LIMITS.get(bucket)
    if default is None:
        return None
    return Rule(
        bucket=bucket,
        limit=default["limit"],
        period_seconds=default["period"],
        burst=default["burst"],
        shadow=settings.RATE_LIMIT_SHADOW,
    )


def check(bucket: str, key: str, *, count: bool = True) -> Decision:
    """Count one request for `key` in `bucket` and say whether it may proceed (`count=False`:
    only say whether one more would be allowed now, counting nothing)."""
    rule = rule_for(bucket)
    if rule is None or not rule.enabled:
        return Decision(allowed=True)
    if redis_breaker.is_open:
        return Decision(allowed=True)
    try:
        allowed, wait_ms = _run_gcra(rule, key, script=GCRA_SCRIPT if count else GCRA_PEEK_SCRIPT)
    except (RedisError, OSError) as error:
        redis_breaker.record_failure(error)
        return Decision(allowed=True)
    if allowed:
        return Decision(allowed=True)
    retry_after = max(1, math.ceil(wait_ms / 1000))
    if rule.shadow:
        log.warning("rate limit (shadow) bucket=%s key=%s retry_after=%ss", bucket, key, retry_after)
        return Decision(allowed=True, retry_after=retry_after, shadowed=True)
    log.info("rate limited bucket=%s key=%s retry_after=%ss", bucket, key, retry_after)
    return Decision(allowed=False, retry_after=retry_after)


def enforce(bucket: str, key: str, *, count: bool = True) -> None:
    """Raise RateLimited when `key` has used up `bucket` (counting this request unless `count`
    is False: then only what was counted before decides)."""
    decision = check(bucket, key, count=count)
    if not decision.allowed:
        wait = wait_in_words(decision.retry_after)
        raise RateLimited(f"Too many attempts. Please try again in {wait}.", retry_after=decision.retry_after)


def wait_in_words(seconds: int) -> str:
    """'1 second', '45 seconds', '3 minutes'."""
    if seconds >= 120:
        return f"{math.ceil(seconds / 60)} minutes"
    return "1 second" if seconds == 1 else f"{seconds} seconds"


def reset(bucket: str, key: str) -> None:
    try:
        get_redis_connection("default").delete(_redis_key(bucket, key))
    except (RedisError, OSError) as error:
        redis_breaker.record_failure(error)


def _redis_key(bucket: str, key: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:rl:{bucket}:{key}"


def _run_gcra(rule: Rule, key: str, *, script: str = GCRA_SCRIPT) -> tuple[bool, float]:
    connection = get_redis_connection("default")
    now_ms = time.time() * 1000  # Python's clock, so time travel in tests moves it too
    allowed, wait_ms = connection.eval(script, 1, _redis_key(rule.bucket, key), now_ms, rule.interval_ms, rule.burst)
    return bool(allowed), float(wait_ms)


def client_ip(request) -> str:
    """The client address. Behind a proxy, set the proxy to overwrite REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR") or "unknown"


# The address of the request being served (set by core.middleware.ClientAddressMiddleware), so a
# service can limit per client as well as per person whichever channel called it.
current_client_ip: ContextVar[str | None] = ContextVar("current_client_ip", default=None)


def enforce_money_path(bucket: str, user) -> None:
    """The money paths (holds, checkout, card saves, payment retries): `bucket` per person, and
    `<bucket>_ip` per client address when a request is being served (tasks have none)."""
    enforce(bucket, f"user:{user.pk}")
    if address := current_client_ip.get():
        enforce(f"{bucket}_ip", address)


def rules_in_force() -> list[Rule]:
    """Every bucket the site limits, as it is limited now: settings, overridden by the admin's rows."""
    from .models import RateLimitRule

    overrides = {row.bucket: row for row in RateLimitRule.objects.all()}
    return [_rule_from(bucket, overrides.get(bucket)) for bucket in sorted(set(settings.RATE_LIMITS) | set(overrides))]
