"""Search analytics: what a request gathers, the one task it queues (and only queues), the task
writing once however often it runs, the search trail through profile and booking pages to a
confirmed booking, and the page surviving a dead broker."""

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from kombu.exceptions import OperationalError
from ulid import ULID

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.tests.factories import book, open_instructor
from core.fields import new_ulid
from instructors.tests.factories import InstructorProfileFactory
from search import receivers, tasks, tracking
from search.models import DeviceType, InteractionKind, SearchEvent, SearchHistory, SearchInteraction
from search.query import Chip, ParsedQuery
from search.visitor import COOKIE_NAME, ensure_visitor_id

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LESSON_AT = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
CLIENT_IP = "203.0.113.7"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
PARSED = ParsedQuery(
    text="Piano in Narnia",
    normalized="piano in narnia",
    chips=(Chip("subject", "Piano", "piano"), Chip("place", "Narnia", "in narnia", matched=False)),
)
CLICKED, VIEWED, STARTED, BOOKED = (
    InteractionKind.RESULT_CLICKED,
    InteractionKind.PROFILE_VIEWED,
    InteractionKind.BOOKING_STARTED,
    InteractionKind.BOOKED,
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def broker_up():
    tracking.broker_breaker.reset()
    yield
    tracking.broker_breaker.reset()


class Browser:
    """One browser: its session and cookies carry over from request to request."""

    def __init__(self, user=None):
        self.user = user or AnonymousUser()
        self.session = SessionStore()
        self.cookies = {}

    def request(self, path="/search/", *, agent=DESKTOP, **params):
        request = RequestFactory().get(path, params, HTTP_USER_AGENT=agent, REMOTE_ADDR=CLIENT_IP)
        request.user, request.session = self.user, self.session
        request.COOKIES.update(self.cookies)
        return request

    def keep_cookies(self, response):
        self.cookies.update({name: morsel.value for name, morsel in response.cookies.items()})


def run_search(browser, capture, *, parsed=PARSED, results=0, agent=DESKTOP) -> str:
    """What the search page does: track, then answer (setting the visitor cookie)."""
    search_id = tracking.new_search_id()
    request = browser.request(agent=agent, q=parsed.text)
    with capture(execute=True):
        tracking.track_search(request, search_id=search_id, parsed=parsed, result_count=results, channel="page")
    response = HttpResponse()
    ensure_visitor_id(request, response)
    browser.keep_cookies(response)
    return search_id


def steps() -> set[tuple]:
    return set(SearchInteraction.objects.values_list("search_id", "kind", "position"))


# --- what is gathered ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (DESKTOP, DeviceType.DESKTOP),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15", DeviceType.DESKTOP),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", DeviceType.DESKTOP),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            DeviceType.MOBILE,
        ),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", DeviceType.TABLET),
        ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", DeviceType.BOT),
        ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X) Chrome/126.0 Mobile Safari (compatible; Googlebot/2.1)", "bot"),
        ("curl/8.5.0", DeviceType.BOT),
        ("python-requests/2.32", DeviceType.BOT),
        ("Mozilla/5.0 AppleWebKit/537.36 HeadlessChrome/126.0", DeviceType.BOT),
        ("", DeviceType.UNKNOWN),
        ("SomethingElse/1.0", DeviceType.UNKNOWN),
    ],
)
def test_device_type_from_the_user_agent(agent, expected):
    assert tracking.device_type(agent) == expected


def test_the_client_address_is_kept_only_as_a_keyed_hash():
    request = Browser().request()
    hashed = tracking.ip_hash(request)

    assert len(hashed) == 64 and CLIENT_IP not in hashed
    assert hashed == tracking.ip_hash(Browser().request())  # the same address counts as one searcher
    other = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1")
    assert tracking.ip_hash(other) != hashed
    assert tracking.ip_hash(RequestFactory().get("/", REMOTE_ADDR="")) == ""


def test_the_page_only_queues_one_task_and_the_task_writes(django_capture_on_commit_callbacks, monkeypatch):
    maya = UserFactory()
    queued = []
    monkeypatch.setattr(tasks.record_search, "apply_async", lambda kwargs, retry: queued.append(kwargs))
    search_id = tracking.new_search_id()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tracking.track_search(
            Browser(maya).request(), search_id=search_id, parsed=PARSED, result_count=0, channel="page"
        )
        assert queued == []  # not before the request's transaction commits
    assert len(callbacks) == 1 and len(queued) == 1
    assert not SearchEvent.objects.exists() and not SearchHistory.objects.exists()  # the page wrote nothing

    [kwargs] = queued
    assert json.loads(json.dumps(kwargs)) == kwargs  # plain values: any broker can carry them
    assert CLIENT_IP not in json.dumps(kwargs)
    tasks.record_search(**kwargs)

    event = SearchEvent.objects.get()
    assert (event.pk, event.user, event.visitor_id, event.created_at) == (search_id, maya, "", NOW)
    assert (event.query, event.normalized_query, event.result_count) == ("Piano in Narnia", "piano in narnia", 0)
    assert (event.device_type, event.channel, len(event.ip_hash)) == ("desktop", "page", 64)
    assert event.understood == [
        {"kind": "subject", "label": "Piano", "matched": True},
        {"kind": "place", "label": "Narnia", "matched": False},
    ]
    assert SearchHistory.objects.get(user=maya).search_count == 1


def test_running_the_task_twice_writes_the_event_and_counts_the_history_once(django_capture_on_commit_callbacks):
    maya = UserFactory()
    search_id = run_search(Browser(maya), django_capture_on_commit_callbacks)
    kwargs = {
        "search_id": search_id,
        "at": NOW.isoformat(),
        "user_id": maya.pk,
        "visitor_id": "",
        "channel": "page",
        "query": "Piano in Narnia",
        "normalized_query": "piano in narnia",
        "understood": [],
        "result_count": 0,
        "ip_hash": "",
        "device_type": "desktop",
    }

    tasks.record_search(**kwargs)  # the same task again (a retry, or delivered twice)

    assert SearchEvent.objects.count() == 1
    assert SearchHistory.objects.get().search_count == 1


def test_an_anonymous_search_belongs_to_the_browsers_new_visitor_id(django_capture_on_commit_callbacks):
    browser = Browser()
    run_search(browser, django_capture_on_commit_callbacks)

    event = SearchEvent.objects.get()
    assert event.user is None and len(event.visitor_id) == 26
    assert event.visitor_id in browser.cookies[COOKIE_NAME]  # the cookie keeps the id the event used
    assert SearchHistory.objects.get(visitor_id=event.visitor_id).normalized_query == "piano in narnia"

    run_search(browser, django_capture_on_commit_callbacks)
    assert set(SearchEvent.objects.values_list("visitor_id", flat=True)) == {event.visitor_id}
    assert SearchHistory.objects.get().search_count == 2


def test_an_anonymous_api_search_without_the_cookie_is_counted_but_starts_no_history(
    django_capture_on_commit_callbacks,
):
    request = Browser().request("/api/v1/search/")
    with django_capture_on_commit_callbacks(execute=True):
        tracking.track_search(request, search_id=tracking.new_search_id(), parsed=PARSED, result_count=1, channel="api")

    event = SearchEvent.objects.get()
    assert (event.channel, event.visitor_id, len(event.ip_hash)) == ("api", "", 64)
    assert not SearchHistory.objects.exists()


def test_an_empty_query_is_an_event_without_history(django_capture_on_commit_callbacks):
    run_search(Browser(UserFactory()), django_capture_on_commit_callbacks, parsed=ParsedQuery(text="", normalized=""))

    assert SearchEvent.objects.get().normalized_query == ""
    assert not SearchHistory.objects.exists()


def test_a_bots_search_is_counted_as_a_bots_and_gets_no_history(django_capture_on_commit_callbacks):
    run_search(Browser(), django_capture_on_commit_callbacks, agent="Googlebot/2.1 (+http://www.google.com/bot.html)")

    assert SearchEvent.objects.get().device_type == DeviceType.BOT
    assert not SearchHistory.objects.exists()


def test_a_dead_broker_drops_the_event_logs_it_and_is_not_tried_again_at_once(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    tries = []

    def refuse(**kwargs):
        tries.append(kwargs)
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.record_search, "apply_async", refuse)
    browser = Browser()

    with caplog.at_level(logging.WARNING, logger="search"):
        run_search(browser, django_capture_on_commit_callbacks)  # does not raise
        run_search(browser, django_capture_on_commit_callbacks)

    assert len(tries) == 1  # the breaker skips the broker for its cool-down
    assert "dropped" in caplog.text
    assert not SearchEvent.objects.exists()


# --- the trail -------------------------------------------------------------------------------------------


def follow_result(browser, capture, profile, search_id: str, position: int = 1):
    """The search page's result link, opened: the profile page notes the click and the view."""
    request = browser.request(f"/instructors/{profile.pk}/", **{"sid": search_id, "pos": str(position)})
    with capture(execute=True):
        tracking.note_profile_view(request, profile.pk)


def open_booking_page(browser, capture, profile):
    with capture(execute=True):
        tracking.note_booking_started(browser.request(f"/instructors/{profile.pk}/book/"), profile.pk)


def test_a_result_link_records_the_click_and_the_view_then_the_booking_page_the_start(
    django_capture_on_commit_callbacks,
):
    capture, browser, profile = django_capture_on_commit_callbacks, Browser(), InstructorProfileFactory()
    search_id = run_search(browser, capture, results=5)

    follow_result(browser, capture, profile, search_id, position=3)
    open_booking_page(browser, capture, profile)

    assert steps() == {(search_id, CLICKED, 3), (search_id, VIEWED, None), (search_id, STARTED, None)}
    assert browser.session[tracking.TRAIL_SESSION_KEY] == {profile.pk: search_id}


def test_each_step_is_recorded_once_however_often_the_page_is_seen(django_capture_on_commit_callbacks):
    capture, browser, profile = django_capture_on_commit_callbacks, Browser(), InstructorProfileFactory()
    search_id = run_search(browser, capture)

    for _ in range(3):
        follow_result(browser, capture, profile, search_id)
        with capture(execute=True):
            tracking.note_profile_view(browser.request(f"/instructors/{profile.pk}/"), profile.pk)  # a reload
        open_booking_page(browser, capture, profile)

    assert SearchInteraction.objects.count() == 3
    assert {kind for _, kind, _ in steps()} == {CLICKED, VIEWED, STARTED}


@pytest.mark.parametrize("position", ["0", "²", "-1", "99999", "3.5", ""])
def test_a_position_that_is_not_a_rank_is_left_out(django_capture_on_commit_callbacks, position):
    capture, browser, profile = django_capture_on_commit_callbacks, Browser(), InstructorProfileFactory()
    search_id = run_search(browser, capture)

    with capture(execute=True):
        tracking.note_profile_view(browser.request(sid=search_id, pos=position), profile.pk)

    assert (search_id, CLICKED, None) in steps()


def test_pages_seen_without_a_search_queue_nothing(django_capture_on_commit_callbacks):
    browser, profile = Browser(), InstructorProfileFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        tracking.note_profile_view(browser.request(f"/instructors/{profile.pk}/"), profile.pk)
        tracking.note_booking_started(browser.request(), profile.pk)

    assert callbacks == []


def test_the_trail_remembers_the_last_twenty_instructors(django_capture_on_commit_callbacks):
    browser = Browser()
    search_id = run_search(browser, django_capture_on_commit_callbacks)
    profiles = [InstructorProfileFactory() for _ in range(tracking.TRAIL_SIZE + 5)]

    for profile in profiles:
        request = browser.request()
        tracking.remember_result_click(request, search_id=search_id, instructor_id=profile.pk, position=None)

    assert list(browser.session[tracking.TRAIL_SESSION_KEY]) == [profile.pk for profile in profiles[5:]]


def test_someone_elses_search_id_records_nothing(django_capture_on_commit_callbacks):
    capture, profile = django_capture_on_commit_callbacks, InstructorProfileFactory()
    bens_search = run_search(Browser(UserFactory()), capture)

    follow_result(Browser(UserFactory()), capture, profile, bens_search)  # a link Ben shared
    follow_result(Browser(), capture, profile, bens_search)

    assert steps() == set()


def test_a_forged_search_id_is_skipped_quietly(django_capture_on_commit_callbacks):
    capture, browser, profile = django_capture_on_commit_callbacks, Browser(), InstructorProfileFactory()
    run_search(browser, capture)

    follow_result(browser, capture, profile, new_ulid())  # recent-looking: waited for, then skipped
    follow_result(browser, capture, profile, "not-a-search-id")
    old = str(ULID.from_datetime(NOW - dt.timedelta(days=3)))
    result = tasks.record_interaction.apply(
        kwargs={
            "search_id": old,
            "kind": CLICKED,
            "instructor_id": profile.pk,
            "position": 1,
            "at": NOW.isoformat(),
            "user_id": None,
            "visitor_id": "",
        }
    )

    assert result.successful()
    assert steps() == set()


def test_an_interaction_arriving_before_its_search_is_waited_for_only_if_the_search_is_recent():
    recent = str(ULID.from_datetime(NOW - dt.timedelta(minutes=2)))
    old = str(ULID.from_datetime(NOW - dt.timedelta(hours=1)))

    assert tracking.may_still_arrive(recent) and not tracking.may_still_arrive(old)


def test_a_step_for_an_instructor_that_does_not_exist_is_skipped(django_capture_on_commit_callbacks):
    browser = Browser()
    search_id = run_search(browser, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        tracking.remember_result_click(browser.request(), search_id=search_id, instructor_id=new_ulid(), position=1)

    assert steps() == set()


def test_signing_in_then_acting_on_an_anonymous_search_makes_it_the_accounts(django_capture_on_commit_callbacks):
    capture, browser, profile = django_capture_on_commit_callbacks, Browser(), InstructorProfileFactory()
    search_id = run_search(browser, capture)
    follow_result(browser, capture, profile, search_id)

    browser.user = maya = UserFactory()  # signed in: same session (Django keeps its data) and cookie
    open_booking_page(browser, capture, profile)

    assert SearchEvent.objects.get(pk=search_id).user == maya
    assert {kind for _, kind, _ in steps()} == {CLICKED, VIEWED, STARTED}


# --- booked -------------------------------------------------------------------------------------------------


@pytest.fixture
def instructor():
    return open_instructor(days=[LESSON_AT.date()])


def book_lesson(student, instructor, capture):
    with capture(execute=True):
        return book(student, instructor.offerings.get(), LESSON_AT)


def test_a_confirmed_booking_is_credited_to_the_search_that_started_it(django_capture_on_commit_callbacks, instructor):
    capture, maya = django_capture_on_commit_callbacks, UserFactory()
    browser = Browser(maya)
    first = run_search(browser, capture)
    follow_result(browser, capture, instructor, first, position=2)
    latest = run_search(browser, capture)
    follow_result(browser, capture, instructor, latest, position=1)
    open_booking_page(browser, capture, instructor)

    booking = book_lesson(maya, instructor, capture)
    tasks.record_booked(booking_id=booking.pk)  # again: nothing more

    assert SearchInteraction.objects.filter(kind=BOOKED).values_list("search_id", "instructor_id").get() == (
        latest,
        instructor.pk,
    )


def test_a_booking_made_after_an_anonymous_search_and_a_sign_in_is_credited(
    django_capture_on_commit_callbacks, instructor
):
    capture, browser = django_capture_on_commit_callbacks, Browser()
    search_id = run_search(browser, capture)
    follow_result(browser, capture, instructor, search_id)
    browser.user = maya = UserFactory()
    open_booking_page(browser, capture, instructor)

    book_lesson(maya, instructor, capture)

    assert SearchInteraction.objects.filter(search_id=search_id, kind=BOOKED).exists()


def test_a_booking_started_more_than_a_day_before_is_not_credited(
    django_capture_on_commit_callbacks, instructor, clock
):
    capture, maya = django_capture_on_commit_callbacks, UserFactory()
    browser = Browser(maya)
    clock.move_to(NOW - dt.timedelta(hours=25))
    search_id = run_search(browser, capture)
    follow_result(browser, capture, instructor, search_id)
    open_booking_page(browser, capture, instructor)
    clock.move_to(NOW)

    book_lesson(maya, instructor, capture)

    assert not SearchInteraction.objects.filter(kind=BOOKED).exists()


def test_a_booking_nobody_searched_for_is_left_alone(django_capture_on_commit_callbacks, instructor):
    booking = book_lesson(UserFactory(), instructor, django_capture_on_commit_callbacks)

    assert tracking.save_booked(booking_id=booking.pk) is False
    assert tracking.save_booked(booking_id=new_ulid()) is False
    assert not SearchInteraction.objects.exists()


def test_a_request_counts_as_booked_only_once_the_instructor_accepts(django_capture_on_commit_callbacks, instructor):
    capture, maya = django_capture_on_commit_callbacks, UserFactory()
    instructor.requires_confirmation = True
    instructor.save(update_fields=["requires_confirmation"])
    browser = Browser(maya)
    search_id = run_search(browser, capture)
    follow_result(browser, capture, instructor, search_id)
    open_booking_page(browser, capture, instructor)

    booking = book_lesson(maya, instructor, capture)
    assert not SearchInteraction.objects.filter(kind=BOOKED).exists()

    with capture(execute=True):
        booking_services.accept_request(booking=booking, instructor_user=instructor.user)
    assert SearchInteraction.objects.filter(search_id=search_id, kind=BOOKED).exists()


def test_only_confirmations_queue_the_booked_task(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        for event in ("requested", "cancelled", "declined", "completed"):
            receivers.credit_search_for_booking(sender=None, booking_id=new_ulid(), event=event)
    assert callbacks == []
