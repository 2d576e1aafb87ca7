"""The edge (core.edge): what it keeps and serves, what it leaves to Django, and how bumps
published on the real Redis retire what it kept."""

import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django_redis import get_redis_connection

from core import edge
from core.cache import bump_namespace
from core.edge import MARKER, BumpListener, Edge, EdgeStore, Kept, bump_channel, mark_for_edge, parse_marker
from core.tests.edge_support import WsgiClient, listening_store, wait_until

BODY = {"days": ["2026-12-03"]}


class CountingApp:
    """A WSGI app answering like a Django view would; counts what reaches it."""

    def __init__(self, respond=None):
        self.calls = 0
        self.closed = 0
        self.respond = respond or (lambda: marked(JsonResponse(BODY), "availability:A"))

    def __call__(self, environ, start_response):
        self.calls += 1
        response = self.respond()
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)  # as WSGIHandler does
        app = self

        class Body(list):
            def close(self):
                app.closed += 1

        return Body([response.content])


def marked(response, *namespaces, max_age=60):
    mark_for_edge(response, max_age=max_age, namespaces=namespaces or ("listings",))
    return response


def environ(path="/api/v1/thing", method="GET", **extra):
    return getattr(RequestFactory(), method.lower())(path, **extra).environ


class Client(WsgiClient):
    def get(self, path="/api/v1/thing", **extra):
        return super().get(path, **extra)


@pytest.fixture
def store():
    store = EdgeStore(max_entries=10)
    store.go_live()
    return store


@pytest.fixture
def inner():
    return CountingApp()


@pytest.fixture
def client(inner, store):
    return Client(Edge(inner, store=store))


# --- the marker -------------------------------------------------------------------------------


def test_the_marker_says_how_long_and_which_namespaces():
    response = marked(HttpResponse("x"), "listings", "availability:A", max_age=42)
    assert parse_marker(response[MARKER]) == (42, ("listings", "availability:A"))


def test_no_marker_for_a_zero_max_age():
    response = marked(HttpResponse("x"), "listings", max_age=0)
    assert MARKER not in response


# --- serving from memory ------------------------------------------------------------------------


def test_a_repeated_get_is_answered_from_memory_with_the_same_bytes_and_headers(client, inner):
    first = client.get(HTTP_ACCEPT="application/json")
    second = client.get(HTTP_ACCEPT="application/json")
    assert inner.calls == 1
    assert second == first
    status, headers, body = second
    assert status == "200 OK" and body == b'{"days": ["2026-12-03"]}'
    assert MARKER not in headers  # the marker is for the edge, never for the client
    assert inner.closed == 1  # Django's response was closed (request_finished ran)


def test_path_query_and_accept_each_make_their_own_entry(client, inner):
    for request in (
        {"path": "/api/v1/thing"},
        {"path": "/api/v1/thing?days=2"},
        {"path": "/api/v1/thing?days=3"},
        {"path": "/api/v1/other"},
        {"path": "/api/v1/thing", "HTTP_ACCEPT": "*/*"},
    ):
        client.get(**request)
        client.get(**request)
    assert inner.calls == 5


def test_unmarked_responses_are_never_kept(store):
    inner = CountingApp(lambda: JsonResponse(BODY))
    client = Client(Edge(inner, store=store))
    client.get()
    client.get()
    assert inner.calls == 2


@pytest.mark.parametrize(
    "respond",
    [
        lambda: marked(JsonResponse({"error": "x"}, status=400)),
        lambda: marked(JsonResponse({"error": "x"}, status=404)),
        lambda: marked(JsonResponse({"error": "x"}, status=500)),
    ],
)
def test_only_a_200_is_kept(store, respond):
    inner = CountingApp(respond)
    client = Client(Edge(inner, store=store))
    client.get()
    status, headers, _ = client.get()
    assert inner.calls == 2
    assert MARKER not in headers and not status.startswith("200")


def test_a_response_setting_a_cookie_is_not_kept(store):
    def with_cookie():
        response = marked(JsonResponse(BODY))
        response.set_cookie("sessionid", "abc")
        return response

    inner = CountingApp(with_cookie)
    client = Client(Edge(inner, store=store))
    client.get()
    client.get()
    assert inner.calls == 2


def test_other_methods_always_reach_django_and_never_see_the_marker(client, inner):
    client.get()
    for method in ("POST", "HEAD", "PUT"):
        _, headers, _ = client.call(environ(method=method))  # Django answers HEAD with the marked GET view
        assert MARKER not in headers
    assert inner.calls == 4


def test_switched_off_the_marker_is_still_stripped(client, inner, settings):
    settings.EDGE_CACHE_ENTRIES = 0
    _, headers, _ = client.get()
    assert inner.calls == 1 and MARKER not in headers


def test_off_when_no_entries_are_allowed(client, inner, settings):
    settings.EDGE_CACHE_ENTRIES = 0
    client.get()
    client.get()
    assert inner.calls == 2


def test_a_host_django_would_refuse_is_left_to_django(client, inner):
    client.get()
    client.get(HTTP_HOST="evil.example")
    assert inner.calls == 2


def test_plain_http_under_ssl_redirect_is_left_to_django(client, inner, settings):
    settings.SECURE_SSL_REDIRECT = True
    client.get(secure=True)
    client.get(secure=True)
    assert inner.calls == 1
    client.get(secure=False)  # Django redirects this one
    assert inner.calls == 2


def test_what_https_built_is_not_served_over_http(client, inner):
    client.get(secure=True)  # its headers may carry HSTS
    client.get(secure=False)
    assert inner.calls == 2


# --- what the store forgets -------------------------------------------------------------------


def kept(snapshot=0, namespaces=("availability:A",), expires_in=60.0):
    return Kept(
        status="200 OK",
        headers=(),
        body=b"{}",
        secure=False,
        namespaces=namespaces,
        snapshot=snapshot,
        expires=time.monotonic() + expires_in,
    )


def test_a_bump_retires_what_its_namespace_built_and_nothing_else(store):
    store.keep(("a",), kept(store.snapshot(), ("listings", "availability:A")))
    store.keep(("b",), kept(store.snapshot(), ("listings", "availability:B")))
    store.forget("availability:A")
    assert store.fresh(("a",)) is None
    assert store.fresh(("b",)) is not None
    store.forget("listings")
    assert store.fresh(("b",)) is None


def test_a_response_computed_across_a_bump_is_not_kept(store):
    snapshot = store.snapshot()  # before Django computes ...
    store.forget("availability:A")  # ... the instructor saves meanwhile ...
    store.keep(("a",), kept(snapshot))  # ... so what Django computed may be the old calendar
    assert store.fresh(("a",)) is None
    store.keep(("a",), kept(store.snapshot()))  # the next computation is kept
    assert store.fresh(("a",)) is not None


def test_an_expired_response_is_not_served(store):
    store.keep(("a",), kept(store.snapshot(), expires_in=-0.001))
    assert store.fresh(("a",)) is None


def test_the_least_recently_used_response_goes_first():
    store = EdgeStore(max_entries=2)
    store.go_live()
    store.keep(("a",), kept(store.snapshot()))
    store.keep(("b",), kept(store.snapshot()))
    assert store.fresh(("a",)) is not None  # "a" was used, so "b" is now the oldest
    store.keep(("c",), kept(store.snapshot()))
    assert store.fresh(("b",)) is None
    assert store.fresh(("a",)) is not None and store.fresh(("c",)) is not None


def test_nothing_is_kept_or_served_while_dark(store):
    store.keep(("a",), kept(store.snapshot()))
    snapshot = store.snapshot()
    store.go_dark()  # bumps may be missed from here on
    assert store.snapshot() is None
    assert store.fresh(("a",)) is None
    store.go_live()
    store.keep(("b",), kept(snapshot))  # computed before the outage
    assert store.fresh(("a",)) is None and store.fresh(("b",)) is None


def test_a_store_that_never_went_live_keeps_nothing(inner):
    client = Client(Edge(inner, store=EdgeStore(max_entries=10)))
    client.get()
    client.get()
    assert inner.calls == 2


# --- bumps over the real Redis -----------------------------------------------------------------


@pytest.fixture
def listening():
    with listening_store() as store:
        yield store


def test_bump_namespace_publishes_the_namespace(redis):
    pubsub = get_redis_connection("default").pubsub()
    pubsub.subscribe(bump_channel())
    assert pubsub.get_message(timeout=1)["type"] == "subscribe"
    bump_namespace("availability:A")
    message = pubsub.get_message(timeout=1)
    pubsub.close()
    assert (message["type"], message["data"]) == ("message", b"availability:A")


def test_a_bump_anywhere_reaches_the_listening_edge(listening, inner):
    store = listening
    client = Client(Edge(inner, store=store))
    client.get()
    client.get()
    assert inner.calls == 1
    bump_namespace("availability:B")  # another instructor
    bump_namespace("availability:A")
    assert wait_until(lambda: store.fresh(("/api/v1/thing", "", "")) is None)
    client.get()
    assert inner.calls == 2


def test_a_lost_channel_turns_the_edge_dark_until_it_is_back(listening, inner):
    store = listening
    client = Client(Edge(inner, store=store))
    client.get()
    redis = get_redis_connection("default")
    # Every listener on this run's channel: an earlier live-server test's edge may still be listening.
    listeners = [c for c in redis.client_list() if c["name"] == f"edge-listener:{bump_channel()}"]
    assert listeners
    for listener_client in listeners:
        redis.client_kill_filter(_id=listener_client["id"])
    assert wait_until(lambda: not store.live)
    client.get()
    assert inner.calls == 2  # nothing served from memory while bumps could be missed
    assert wait_until(lambda: store.live, within=5)  # reconnected after its pause
    client.get()
    client.get()
    assert inner.calls == 3


def test_with_redis_refused_the_edge_stays_dark():
    store = EdgeStore(max_entries=10)
    listener = BumpListener(store, "redis://127.0.0.1:1/0", bump_channel())
    listener.start()
    try:
        assert not wait_until(lambda: store.live, within=1.5)  # past the first retry pause
        assert listener.is_alive() and listener.pause > 1.0  # still trying, further apart
        inner = CountingApp()
        client = Client(Edge(inner, store=store))
        client.get()
        client.get()
        assert inner.calls == 2
    finally:
        listener.stop()


def test_a_bump_while_django_computes_means_nothing_is_kept(listening):
    """The instructor saves while Django is still building the old answer: it is sent, not kept."""
    store = listening

    def saving_meanwhile():
        clock = store.snapshot()
        bump_namespace("availability:A")
        assert wait_until(lambda: store.snapshot() != clock)  # this process has heard it
        return marked(JsonResponse(BODY), "availability:A")

    inner = CountingApp(saving_meanwhile)
    client = Client(Edge(inner, store=store))
    assert client.get()[0] == "200 OK"
    client.get()
    assert inner.calls == 2


class Freezable:
    """A TCP proxy to Redis that can stop passing bytes without closing anything: the
    half-open connection a dead network or host leaves behind."""

    def __init__(self, target_port: int):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target_port = target_port
        self.frozen = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    def pipe(self, source, sink):
        while not self.frozen.is_set():
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if not self.frozen.is_set():
                sink.sendall(data)

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            sock.close()


def test_a_silently_dead_connection_turns_the_edge_dark(monkeypatch, inner):
    monkeypatch.setattr(edge, "PING_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(edge, "SILENCE_LIMIT_SECONDS", 0.6)
    location = urlsplit(django_settings.CACHES["default"]["LOCATION"])
    proxy = Freezable(location.port or 6379)
    store = EdgeStore(max_entries=10)
    listener = BumpListener(store, urlunsplit(location._replace(netloc=f"127.0.0.1:{proxy.port}")), bump_channel())
    listener.start()
    try:
        assert wait_until(lambda: store.live)
        time.sleep(1.0)  # quiet but alive: the PINGs are answered
        assert store.live
        proxy.frozen.set()  # from now on not a byte either way, and no FIN or RST
        assert wait_until(lambda: not store.live, within=3)
        client = Client(Edge(inner, store=store))
        client.get()
        client.get()
        assert inner.calls == 2
    finally:
        listener.stopping.set()
        proxy.close()
        listener.join(timeout=5)
