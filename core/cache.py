"""Cache-aside helpers for public reads.

A dead or hung Redis reads as a miss: the value is computed, the failure is logged once and
Redis is skipped for a cool-down (the shared `redis_breaker`), so an outage costs one timeout
per cool-down instead of several per page. The django-redis client is called directly because
the cache API's IGNORE_EXCEPTIONS would hide the failure from the breaker.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from .circuit import redis_breaker
from .edge import bump_channel

T = TypeVar("T")

REDIS_FAILURES = (ConnectionInterrupted, RedisError, OSError)


def _version_key(namespace: str) -> str:
    return f"ver:{namespace}"


def _read_version(namespace: str) -> int:
    client = cache.client
    version = client.get(_version_key(namespace))
    if version is None:
        client.add(_version_key(namespace), 1, timeout=None)
        version = client.get(_version_key(namespace))
    return int(version or 1)


def namespace_version(namespace: str) -> int:
    if redis_breaker.is_open:
        return 1
    try:
        return _read_version(namespace)
    except REDIS_FAILURES as error:
        redis_breaker.record_failure(error)
        return 1


def bump_namespace(namespace: str) -> None:
    """Invalidate every key cached under `namespace` (old keys simply expire), and tell the edge
    (core.edge), whose listeners retire the responses built from it.

    Tried even while the breaker is open: a lost bump would serve stale data after a blip.
    """
    try:
        try:
            cache.client.incr(_version_key(namespace))
        except ValueError:  # no version yet
            cache.client.set(_version_key(namespace), 2, timeout=None)
        cache.client.get_client(write=True).publish(bump_channel(), namespace)
    except REDIS_FAILURES as error:
        redis_breaker.record_failure(error)


def cached(namespace: str, key: str, compute: Callable[[], T], timeout: int = 300) -> T:
    if redis_breaker.is_open:
        return compute()
    try:
        full_key = versioned_key(namespace, _read_version(namespace), key)
        value = cache.client.get(full_key)
    except REDIS_FAILURES as error:
        redis_breaker.record_failure(error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.client.set(full_key, value, timeout=timeout)
        except REDIS_FAILURES as error:
            redis_breaker.record_failure(error)
    return value


def versioned_key(namespace: str, version: int, key: str) -> str:
    """The key `cached` uses for `key` under `namespace` at `version`."""
    return f"{namespace}:{version}:{key}"
