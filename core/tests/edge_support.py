"""Test helpers for the edge (core.edge): call a WSGI app as gunicorn would, wait for a bump to
arrive, and run a store with a real listener on this run's bump channel."""

import contextlib
import time

from django.conf import settings
from django.test import RequestFactory

from core.edge import BumpListener, EdgeStore, bump_channel


def wait_until(condition, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


class WsgiClient:
    """GETs through a WSGI app; returns (status, headers, body)."""

    def __init__(self, app):
        self.app = app

    def get(self, path: str, method: str = "GET", **extra):
        return self.call(getattr(RequestFactory(), method.lower())(path, **extra).environ)

    def call(self, environ):
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return started["status"], dict(started["headers"]), body


@contextlib.contextmanager
def listening_store(max_entries: int = 10):
    """A fresh store whose listener has subscribed to this run's bump channel."""
    store = EdgeStore(max_entries=max_entries)
    listener = BumpListener(store, settings.CACHES["default"]["LOCATION"], bump_channel())
    listener.start()
    try:
        if not wait_until(lambda: store.live):
            raise AssertionError("the edge listener did not subscribe")
        yield store
    finally:
        listener.stop()
