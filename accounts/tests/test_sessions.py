"""Where you're signed in: every sign-in is listed, the others can be signed out (one or all),
and staff sessions end after 30 minutes idle or 12 hours in all, on pages and the API alike."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import selectors
from accounts.models import SignedInSession
from accounts.tests.factories import TEST_PASSWORD, UserFactory, sign_in_verified
from core.models import AuditLog
from core.timeutil import now

pytestmark = pytest.mark.django_db
SESSIONS = reverse("accounts:sessions")
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def browser(user, user_agent: str) -> Client:
    """A browser that signed in with the password form."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def test_each_sign_in_is_listed_with_its_browser_and_this_one_marked():
    person = UserFactory()
    laptop, phone = browser(person, CHROME_MAC), browser(person, SAFARI_IPHONE)
    stranger = browser(UserFactory(), FIREFOX_WINDOWS)

    page = laptop.get(SESSIONS)
    listed = [(entry.browser, entry.current) for entry in page.context["sessions"]]
    assert sorted(listed) == [("Chrome on macOS", True), ("Safari on iOS", False)]
    assert "Firefox" not in page.content.decode()  # another person's browser
    assert phone.get(SESSIONS).status_code == 200 and stranger.get(SESSIONS).status_code == 200
    row = SignedInSession.objects.get(user=person, user_agent=CHROME_MAC)
    assert row.address_hash and "127.0.0.1" not in row.address_hash


def test_signing_out_another_browser_ends_its_session_and_is_audited():
    person = UserFactory()
    laptop, phone = browser(person, CHROME_MAC), browser(person, SAFARI_IPHONE)
    phone_row = SignedInSession.objects.get(user=person, user_agent=SAFARI_IPHONE)

    response = laptop.post(reverse("accounts:end_session", args=[phone_row.pk]), follow=True)
    assert "That browser is signed out." in response.content.decode()
    assert phone.get(SESSIONS).status_code == 302  # sent to sign in
    assert laptop.get(SESSIONS).status_code == 200
    assert AuditLog.objects.filter(action="end_session", target_id=person.pk).count() == 1


def test_a_browser_cannot_end_another_persons_session():
    person, other = UserFactory(), UserFactory()
    mine = browser(person, CHROME_MAC)
    theirs = browser(other, FIREFOX_WINDOWS)
    their_row = SignedInSession.objects.get(user=other)
    response = mine.post(reverse("accounts:end_session", args=[their_row.pk]))
    assert response.status_code == 404
    assert theirs.get(SESSIONS).status_code == 200


def test_sign_out_everywhere_else_keeps_this_browser():
    person = UserFactory()
    laptop = browser(person, CHROME_MAC)
    others = [browser(person, SAFARI_IPHONE), browser(person, FIREFOX_WINDOWS)]
    response = laptop.post(reverse("accounts:end_other_sessions"), follow=True)
    assert "Signed out of 2 other browsers." in response.content.decode()
    assert all(other.get(SESSIONS).status_code == 302 for other in others)
    assert [entry.current for entry in laptop.get(SESSIONS).context["sessions"]] == [True]


def test_logging_out_removes_the_row():
    person = UserFactory()
    laptop = browser(person, CHROME_MAC)
    laptop.post(reverse("accounts:logout"))
    assert not SignedInSession.objects.filter(user=person).exists()


@pytest.mark.parametrize(
    ("gap", "ended"),
    [(dt.timedelta(minutes=29), False), (dt.timedelta(minutes=31), True)],
)
def test_a_staff_session_ends_after_thirty_idle_minutes(gap, ended):
    client = Client()
    with time_machine.travel(now(), tick=False) as clock:
        sign_in_verified(client, UserFactory(role="admin", is_staff=True))
        assert client.get("/admin/").status_code == 200
        clock.shift(gap)
        response = client.get("/admin/")
    if ended:
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
        assert "_auth_user_id" not in client.session
    else:
        assert response.status_code == 200


def test_a_busy_staff_session_still_ends_after_twelve_hours_and_the_api_says_so():
    client = Client()
    with time_machine.travel(now(), tick=False) as clock:
        sign_in_verified(client, UserFactory(role="admin", is_staff=True))
        for _ in range(12 * 3 - 1):  # a request every 20 minutes, up to 11 h 40
            clock.shift(dt.timedelta(minutes=20))
            answer = client.get("/api/v1/me/")
            assert answer.status_code == 200, answer.content
        clock.shift(dt.timedelta(minutes=20))
        response = client.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "session_expired"
    assert "every 12 hours" in response.json()["error"]["message"]


def test_a_students_idle_session_goes_on():
    client = Client()
    with time_machine.travel(now(), tick=False) as clock:
        client.force_login(UserFactory())
        clock.shift(dt.timedelta(hours=13))
        assert client.get(SESSIONS).status_code == 200


def test_last_active_is_written_at_most_once_a_minute():
    person = UserFactory()
    with time_machine.travel(now(), tick=False) as clock:
        laptop = browser(person, CHROME_MAC)
        seen = SignedInSession.objects.get(user=person).last_seen_at
        clock.shift(dt.timedelta(seconds=30))
        laptop.get(SESSIONS)
        assert SignedInSession.objects.get(user=person).last_seen_at == seen
        clock.shift(dt.timedelta(seconds=31))
        laptop.get(SESSIONS)
        assert SignedInSession.objects.get(user=person).last_seen_at == seen + dt.timedelta(seconds=61)


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (CHROME_MAC, "Chrome on macOS"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"),
        ("curl/8.5.0", "Unknown browser"),
    ],
)
def test_browser_names(user_agent, name):
    assert selectors.browser_name(user_agent) == name


def test_the_list_says_when_each_browser_was_last_used():
    person = UserFactory()
    with time_machine.travel(now(), tick=False) as clock:
        browser(person, SAFARI_IPHONE)
        clock.shift(dt.timedelta(minutes=10))
        laptop = browser(person, CHROME_MAC)
        clock.shift(dt.timedelta(minutes=1))
        active = {entry.browser: entry.activity for entry in laptop.get(SESSIONS).context["sessions"]}
    assert active == {"Chrome on macOS": "active now", "Safari on iOS": "last active 11\xa0minutes ago"}


def test_the_api_lists_the_same_browsers_and_signs_them_out():
    person = UserFactory()
    laptop, phone = browser(person, CHROME_MAC), browser(person, SAFARI_IPHONE)
    tablet = browser(person, FIREFOX_WINDOWS)
    listed = laptop.get("/api/v1/me/sessions/").json()
    page = laptop.get(SESSIONS).context["sessions"]
    assert [(entry["id"], entry["browser"], entry["current"]) for entry in listed] == [
        (entry.id, entry.browser, entry.current) for entry in page
    ]

    phone_id = next(entry["id"] for entry in listed if entry["browser"] == "Safari on iOS")
    assert laptop.delete(f"/api/v1/me/sessions/{phone_id}/").status_code == 204
    assert phone.get("/api/v1/me/").status_code == 403
    stranger = browser(UserFactory(), CHROME_MAC)
    assert stranger.delete(f"/api/v1/me/sessions/{listed[0]['id']}/").status_code == 404

    ended = laptop.post("/api/v1/me/sessions/others/end/")
    assert ended.status_code == 200 and ended.json() == {"ended": 1}
    assert tablet.get("/api/v1/me/").status_code == 403
    assert [entry["current"] for entry in laptop.get("/api/v1/me/sessions/").json()] == [True]
