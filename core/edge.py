"""The edge: a response cache in front of Django for public reads that a view opts into.

Why (figures in bench/README.md): on this kind of machine one Redis round trip costs 80-150 us
and Django's handler with its middleware 150-350 us, while the WSGI server itself needs about
200 us per request. So a cache hit answered inside Django, or one that asks Redis, serves a
fraction of what the server can. The hottest public read (an instructor's public availability)
is asked by everyone and changes rarely; the edge answers it from process memory, before Django.

A view opts in with `mark_for_edge(response, max_age=..., namespaces=...)`: the response is the
same bytes for everyone and depends on nothing but the path, the query string and Accept, and it
is built from cache namespaces (core.cache). The edge strips the marker, and keeps a 200 without
cookies for `max_age` seconds, keyed by path, query string and Accept. It forgets it as soon as
one of its namespaces is bumped: `core.cache.bump_namespace` publishes the namespace on a Redis
channel, and a listener thread in each process retires what that namespace built. A response
Django computed while one of its namespaces was bumped is not kept (the snapshot check).

Until the listener has subscribed, and from the moment its connection fails until it has
subscribed again, the edge keeps and serves nothing: Django answers everything. A kept
response is therefore behind a bump for as long as the message takes on an open connection:
well under a millisecond, a thread switch interval at worst. So even the process that made the
change may answer a GET that arrives within that moment with the old response. A connection
that dies without a word (half-open TCP) reads as silence; the listener PINGs after
PING_AFTER_SECONDS of it and gives the connection up after SILENCE_LIMIT_SECONDS, so a bump
can go unheard for at most that long (and never past a response's max-age).

Before serving, the edge checks what Django would have refused or redirected first (a Host not
in ALLOWED_HOSTS, plain HTTP under SECURE_SSL_REDIRECT) and leaves those requests to Django.
"""

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest

MARKER = "X-Edge-Cache"
PING_AFTER_SECONDS = 3.0  # the listener PINGs after this much silence ...
SILENCE_LIMIT_SECONDS = 6.0  # ... and calls the connection dead after this much
log = logging.getLogger("core.edge")


def mark_for_edge(response, *, max_age: int, namespaces: Iterable[str]) -> None:
    """Let the edge serve `response` to the same request for up to `max_age` seconds, until one
    of `namespaces` is bumped. Only for responses that are the same for everyone."""
    if max_age > 0:
        response[MARKER] = f"max-age={max_age}; namespaces={' '.join(namespaces)}"


def parse_marker(value: str) -> tuple[int, tuple[str, ...]]:
    max_age, _, namespaces = value.partition("; namespaces=")
    return int(max_age.removeprefix("max-age=")), tuple(namespaces.split())


def bump_channel() -> str:
    """The Redis channel bumps are published on (per key prefix, so test runs don't cross)."""
    return cache.make_key("edge:bumps")


# --- what one process keeps ---------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    secure: bool  # HTTPS responses carry HSTS: served only to HTTPS requests, and vice versa
    namespaces: tuple[str, ...]
    snapshot: int  # the bump clock before Django computed it
    expires: float  # time.monotonic()


class EdgeStore:
    """Kept responses, least recently used first, and the bumps this process has heard of.

    `clock` counts the bumps (and outages) heard; `bumped_at[namespace]` is the clock of the
    namespace's last bump. A response is good while none of its namespaces was bumped after the
    snapshot taken before Django computed it.
    """

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self.live = False
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._clock = 0
        self._dark_at = 0
        self._bumped_at: dict[str, int] = {}

    def snapshot(self) -> int | None:
        """The clock to pass to `keep` later, or None while nothing may be kept."""
        with self._lock:  # `live` and the clock as one reading, never across a go_dark
            return self._clock if self.live else None

    def keep(self, key: tuple, kept: Kept) -> None:
        with self._lock:
            if not self.live or self._dark_at > kept.snapshot or self._stale(kept):
                return
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)

    def fresh(self, key: tuple) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or not self.live:
                return None
            if kept.expires <= time.monotonic() or self._stale(kept):
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return kept

    def _stale(self, kept: Kept) -> bool:
        return any(self._bumped_at.get(namespace, 0) > kept.snapshot for namespace in kept.namespaces)

    def forget(self, namespace: str) -> None:
        with self._lock:
            self._clock += 1
            self._bumped_at[namespace] = self._clock

    def go_live(self) -> None:
        self.live = True

    def go_dark(self) -> None:
        """Bumps may be missed from now on: drop everything and keep nothing until live again."""
        with self._lock:
            self.live = False
            self._kept.clear()
            self._clock += 1
            self._dark_at = self._clock


class BumpListener(threading.Thread):
    """Subscribes to the bump channel and tells the store; on any failure the store goes dark
    and the listener reconnects after a growing pause (1 s to 30 s)."""

    def __init__(self, store: EdgeStore, url: str, channel: str):
        super().__init__(name="edge-bump-listener", daemon=True)
        self.store, self.url, self.channel = store, url, channel
        self.pause = 1.0
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self.listen()
                except Exception as error:  # noqa: BLE001 - whatever broke, bumps may be missed now
                    if self.store.live or self.pause == 1.0:
                        log.warning("edge: bump channel lost, Django answers everything until it is back: %s", error)
                    self.store.go_dark()
                self.stopping.wait(self.pause)
                self.pause = min(self.pause * 2, 30.0)
        finally:
            self.store.go_dark()  # however the thread ends, nothing is served without it

    def listen(self) -> None:
        client = redis.Redis.from_url(
            self.url,
            socket_connect_timeout=1,
            socket_timeout=5,
            socket_keepalive=True,
            client_name=f"edge-listener:{self.channel}",
        )
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            heard = time.monotonic()
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is not None:
                    heard = time.monotonic()
                    self.handle(message)
                    continue
                # A connection that died without a word (a half-open TCP connection) reads as
                # silence: PING when quiet, and give up when not even the PONG comes back.
                silence = time.monotonic() - heard
                if silence > SILENCE_LIMIT_SECONDS:
                    raise ConnectionError(f"no word from Redis for {silence:.0f} s")
                if silence > PING_AFTER_SECONDS:
                    pubsub.ping()
        finally:
            pubsub.close()
            client.close()

    def handle(self, message: dict) -> None:
        if message["type"] == "subscribe":
            self.pause = 1.0
            self.store.go_live()
        elif message["type"] == "message":
            self.store.forget(message["data"].decode())

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


_process_lock = threading.Lock()
_process: dict = {"pid": None, "store": None}


def process_store() -> EdgeStore:
    """This process's store; its listener starts on first use (after gunicorn has forked)."""
    if _process["pid"] != os.getpid():
        with _process_lock:
            if _process["pid"] != os.getpid():
                store = EdgeStore(settings.EDGE_CACHE_ENTRIES)
                try:
                    BumpListener(store, settings.CACHES["default"]["LOCATION"], bump_channel()).start()
                except RuntimeError as error:  # no thread, no bumps: the store stays dark
                    log.warning("edge: the bump listener did not start, Django answers everything: %s", error)
                _process.update(pid=os.getpid(), store=store)
    return _process["store"]


# --- the WSGI wrapper ----------------------------------------------------------------------------


def _request_key(environ) -> tuple:
    return (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""))


def _is_secure_allowed_request(environ) -> bool | None:
    """Whether the request is HTTPS, or None when Django would refuse or redirect it first."""
    request = WSGIRequest(environ)
    try:
        request.get_host()
    except DisallowedHost:
        return None
    secure = request.is_secure()
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    return secure


class Edge:
    """WSGI middleware: `application = Edge(get_wsgi_application())`."""

    def __init__(self, app, store: EdgeStore | None = None):
        self.app = app
        self.store = store  # None: this process's (tests pass their own)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not settings.EDGE_CACHE_ENTRIES:
            return self.app(environ, _without_marker(start_response))  # HEAD runs the marked GET view
        store = self.store or process_store()
        key = _request_key(environ)
        kept = store.fresh(key)
        if kept is not None and _is_secure_allowed_request(environ) is kept.secure:
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        return self.through_django(store, key, environ, start_response)

    def through_django(self, store: EdgeStore, key: tuple, environ, start_response):
        snapshot = store.snapshot()
        marked: dict = {}

        def start(status, headers, exc_info=None):
            marker, headers = _split_marker(headers)
            if marker is not None:
                marked.update(status=status, headers=tuple(headers), marker=marker)
            return start_response(status, headers, exc_info)

        response = self.app(environ, start)
        if snapshot is None or not _keepable(marked):
            return response
        try:
            body = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()  # Django's request_finished
        secure = _is_secure_allowed_request(environ)
        if secure is not None:
            max_age, namespaces = parse_marker(marked["marker"])
            kept = Kept(
                status=marked["status"],
                headers=marked["headers"],
                body=body,
                secure=secure,
                namespaces=namespaces,
                snapshot=snapshot,
                expires=time.monotonic() + max_age,
            )
            store.keep(key, kept)
        return [body]


def _split_marker(headers) -> tuple[str | None, list[tuple[str, str]]]:
    """The marker's value (None when unmarked), and the headers a client may see."""
    marker = next((value for name, value in headers if name == MARKER), None)
    return marker, [(name, value) for name, value in headers if name != MARKER]


def _without_marker(start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, _split_marker(headers)[1], exc_info)

    return start


def _keepable(marked: dict) -> bool:
    return (
        bool(marked)
        and marked["status"].startswith("200 ")
        and not any(name.lower() == "set-cookie" for name, _ in marked["headers"])
    )
