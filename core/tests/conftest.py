"""Fixtures for the core tests: real ways for Redis to be unavailable.

`redis_refused` points the cache at a closed port (connections are refused at once);
`redis_hung` points it at a real TCP listener that accepts connections and never answers,
like a Redis host that stopped responding, and counts the connections made to it.
Django rebuilds its cache handlers when the CACHES setting changes, so everything that
goes through `django.core.cache` or `django_redis.get_redis_connection` follows.
"""

import copy
import socket
import threading

import pytest
from django_redis import get_redis_connection

SOCKET_TIMEOUT = 0.1  # seconds: short, so a hung Redis costs the tests little


def _cache_settings(settings, location: str) -> dict:
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = location
    caches["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] = SOCKET_TIMEOUT
    caches["default"]["OPTIONS"]["SOCKET_TIMEOUT"] = SOCKET_TIMEOUT
    return caches


def _assert_redis_points_at(port: int) -> None:
    connection_kwargs = get_redis_connection("default").connection_pool.connection_kwargs
    assert (connection_kwargs["host"], connection_kwargs["port"]) == ("127.0.0.1", port)


@pytest.fixture
def redis_refused(settings):
    settings.CACHES = _cache_settings(settings, "redis://127.0.0.1:1/0")
    _assert_redis_points_at(1)


class SilentServer:
    """A TCP listener that accepts connections, counts them and never sends a byte."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._accepted)

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._accepted.append(conn)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=1)
        self._listener.close()
        with self._lock:
            for conn in self._accepted:
                conn.close()


@pytest.fixture
def redis_hung(settings):
    server = SilentServer()
    settings.CACHES = _cache_settings(settings, f"redis://127.0.0.1:{server.port}/0")
    _assert_redis_points_at(server.port)
    yield server
    server.close()


@pytest.fixture
def redis():
    """The raw connection to the test Redis (database 15)."""
    connection = get_redis_connection("default")
    assert connection.connection_pool.connection_kwargs["db"] == 15
    return connection
