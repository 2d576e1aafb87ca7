"""A tiny circuit breaker: after a failure, skip the dependency for a cool-down.

So a dead Redis costs one timeout per cool-down, not one per request.
"""

import logging
import threading
import time


class CircuitBreaker:
    def __init__(self, name: str, cooldown_seconds: float = 30.0):
        self.name = name
        self.cooldown_seconds = cooldown_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()
        self._log = logging.getLogger(f"core.circuit.{name}")

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def record_failure(self, error: Exception) -> None:
        with self._lock:
            was_open = self.is_open
            self._open_until = time.monotonic() + self.cooldown_seconds
        if not was_open:
            self._log.warning("%s unavailable, failing open for %ss: %s", self.name, self.cooldown_seconds, error)

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


# One breaker for the one Redis: when the rate limiter or the cache finds it dead, both skip it.
redis_breaker = CircuitBreaker("redis", cooldown_seconds=30)
