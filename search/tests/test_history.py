"""Search history: the UPSERT that counts a person's searches, its merge at sign-in, the visitor
cookie that names an anonymous browser, and the person's own list."""

import datetime as dt
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from core.fields import new_ulid
from search import history
from search.models import SearchHistory
from search.visitor import COOKIE_NAME, COOKIE_SALT, claim_visitor_id, ensure_visitor_id, visitor_id

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
VISITOR = new_ulid()


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def search(query: str, minutes: int = 0, *, user=None, visitor: str = "") -> None:
    history.record_search(
        user_id=user.pk if user else None,
        visitor_id=visitor,
        query=query,
        normalized=query.lower().strip(),
        at=at(minutes),
    )


def rows() -> list[tuple]:
    return list(
        SearchHistory.objects.order_by("normalized_query", "user_id").values_list(
            "user_id", "visitor_id", "normalized_query", "query", "search_count", "last_searched_at"
        )
    )


# --- the UPSERT ---------------------------------------------------------------------------------------


def test_searching_the_same_words_again_counts_on_one_row_with_the_latest_typing():
    maya = UserFactory()
    search("Piano", 0, user=maya)
    search("piano ", 5, user=maya)

    assert rows() == [(maya.pk, "", "piano", "piano", 2, at(5))]


def test_a_late_arriving_older_search_adds_to_the_count_but_keeps_the_newer_words_and_time():
    maya = UserFactory()
    search("PIANO", 10, user=maya)
    search("Piano", 3, user=maya)  # its task ran late

    assert rows() == [(maya.pk, "", "piano", "PIANO", 2, at(10))]


def test_users_and_visitors_each_keep_their_own_rows():
    maya, ben = UserFactory(), UserFactory()
    for owner in ({"user": maya}, {"user": ben}, {"visitor": VISITOR}, {"visitor": new_ulid()}):
        search("guitar", **owner)
    search("guitar", visitor=VISITOR)

    assert SearchHistory.objects.count() == 4
    assert SearchHistory.objects.get(visitor_id=VISITOR).search_count == 2
    assert SearchHistory.objects.get(user=maya).visitor_id == ""


def test_an_empty_query_or_a_search_without_an_owner_is_not_recorded():
    search("   ", user=UserFactory())
    search("piano")  # neither a user nor a visitor

    assert not SearchHistory.objects.exists()


def test_a_very_long_query_is_cut_to_the_column():
    maya = UserFactory()
    search("piano " * 100, user=maya)

    entry = SearchHistory.objects.get()
    assert len(entry.query) == len(entry.normalized_query) == 200


def _run_at_once(workers: int, work) -> list[BaseException]:
    """Run `work()` on `workers` threads released together; returns what they raised."""
    barrier = threading.Barrier(workers)
    errors = []

    def run():
        try:
            barrier.wait()
            work()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("owner", ["user", "visitor"])
def test_twenty_simultaneous_identical_searches_make_one_row_counting_twenty(owner):
    owned = {"user": UserFactory()} if owner == "user" else {"visitor": VISITOR}

    errors = _run_at_once(20, lambda: search("Piano lessons", **owned))

    assert errors == []
    [entry] = SearchHistory.objects.all()
    assert (entry.normalized_query, entry.search_count) == ("piano lessons", 20)


# --- merging at sign-in ---------------------------------------------------------------------------


def test_merging_moves_the_visitors_rows_to_the_user_summing_shared_queries():
    maya = UserFactory()
    search("piano", 0, user=maya)
    search("piano", 1, user=maya)
    search("Piano", 20, visitor=VISITOR)
    search("guitar", 5, visitor=VISITOR)
    search("drums", 5, visitor=new_ulid())  # another browser: untouched

    assert history.merge_visitor_history(visitor_id=VISITOR, user=maya) == 2

    assert [row for row in rows() if row[0] == maya.pk] == [
        (maya.pk, "", "guitar", "guitar", 1, at(5)),
        (maya.pk, "", "piano", "Piano", 3, at(20)),
    ]
    assert SearchHistory.objects.filter(user__isnull=True).values_list("normalized_query", flat=True).get() == "drums"


def test_merging_twice_adds_nothing_more():
    maya = UserFactory()
    search("piano", user=maya)
    search("piano", visitor=VISITOR)
    history.merge_visitor_history(visitor_id=VISITOR, user=maya)

    assert history.merge_visitor_history(visitor_id=VISITOR, user=maya) == 0
    assert rows() == [(maya.pk, "", "piano", "piano", 2, at(0))]


def test_merging_without_a_visitor_id_does_nothing():
    search("piano", visitor=VISITOR)
    assert history.merge_visitor_history(visitor_id="", user=UserFactory()) == 0
    assert SearchHistory.objects.get().visitor_id == VISITOR


@pytest.mark.django_db(transaction=True)
def test_simultaneous_merges_and_searches_lose_and_double_no_count():
    maya = UserFactory()
    for n in range(10):
        search(f"query {n}", visitor=VISITOR)
        search(f"query {n}", user=maya)

    def merge_or_search():
        history.merge_visitor_history(visitor_id=VISITOR, user=maya)
        search("query 0", user=maya)

    assert _run_at_once(8, merge_or_search) == []

    counts = dict(SearchHistory.objects.filter(user=maya).values_list("normalized_query", "search_count"))
    assert counts == {f"query {n}": 2 for n in range(10)} | {"query 0": 2 + 8}
    assert not SearchHistory.objects.filter(user__isnull=True).exists()


# --- the visitor cookie ------------------------------------------------------------------------------


def signed_cookie(value: str) -> str:
    """What a browser holding the visitor id `value` sends back."""
    response = HttpResponse()
    response.set_signed_cookie(COOKIE_NAME, value, salt=COOKIE_SALT)
    return response.cookies[COOKIE_NAME].value


def anonymous_request(cookie: str | None = None):
    request = RequestFactory().get("/search/")
    if cookie is not None:
        request.COOKIES[COOKIE_NAME] = cookie
    request.user = AnonymousUser()
    return request


def test_a_new_anonymous_browser_gets_a_signed_httponly_lax_cookie_for_a_year():
    request, response = anonymous_request(), HttpResponse()

    given = ensure_visitor_id(request, response)

    cookie = response.cookies[COOKIE_NAME]
    assert len(given) == 26 and given in cookie.value and cookie.value != given  # signed, not bare
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 365 * 24 * 3600
    assert visitor_id(anonymous_request(cookie.value)) == given


def test_the_id_given_while_tracking_is_the_one_the_cookie_keeps():
    request, response = anonymous_request(), HttpResponse()
    claimed = claim_visitor_id(request)  # track_search runs before the response exists

    assert ensure_visitor_id(request, response) == claimed == visitor_id(request)
    assert claimed in response.cookies[COOKIE_NAME].value


def test_a_browser_that_has_one_keeps_it_and_gets_no_new_cookie():
    existing = new_ulid()
    request, response = anonymous_request(signed_cookie(existing)), HttpResponse()

    assert ensure_visitor_id(request, response) == existing
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("cookie", ["01JABCDEF", f"{new_ulid()}:forged-signature", "not-a-ulid:sig"])
def test_a_tampered_or_malformed_cookie_counts_as_none(cookie):
    assert visitor_id(anonymous_request(cookie)) == ""


def test_a_signed_value_that_is_not_a_ulid_counts_as_none():
    assert visitor_id(anonymous_request(signed_cookie("../../etc"))) == ""


def test_signed_in_people_are_given_no_visitor_cookie():
    request, response = anonymous_request(), HttpResponse()
    request.user = UserFactory()

    assert ensure_visitor_id(request, response) == ""
    assert COOKIE_NAME not in response.cookies


def test_signing_in_merges_the_browsers_history_into_the_account(client):
    maya = UserFactory(email="maya@example.com")
    search("piano", 0, user=maya)
    search("piano", 1, visitor=VISITOR)
    search("violin", 2, visitor=VISITOR)
    client.cookies[COOKIE_NAME] = signed_cookie(VISITOR)

    response = client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": TEST_PASSWORD})

    assert response.status_code == 302
    counts = dict(SearchHistory.objects.filter(user=maya).values_list("normalized_query", "search_count"))
    assert counts == {"piano": 2, "violin": 1}
    assert not SearchHistory.objects.filter(user__isnull=True).exists()


def test_signing_in_with_a_forged_cookie_merges_nothing(client):
    UserFactory(email="maya@example.com")
    search("piano", visitor=VISITOR)
    client.cookies[COOKIE_NAME] = f"{VISITOR}:forged"

    client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": TEST_PASSWORD})

    assert SearchHistory.objects.get().visitor_id == VISITOR


# --- the person's own list -----------------------------------------------------------------------


def test_recent_searches_are_the_owners_newest_first_and_limited():
    maya = UserFactory()
    for n in range(10):
        search(f"query {n}", n, user=maya)
    search("someone else's", 99, user=UserFactory())
    search("a visitor's", 99, visitor=VISITOR)

    recent = history.recent_searches(user=maya, limit=3)
    assert [entry.normalized_query for entry in recent] == ["query 9", "query 8", "query 7"]
    assert [entry.query for entry in history.recent_searches(visitor_id=VISITOR)] == ["a visitor's"]
    assert history.recent_searches() == []


def test_a_signed_in_person_sees_their_account_history_not_the_browsers():
    maya = UserFactory()
    search("violin", visitor=VISITOR)

    assert history.recent_searches(user=maya, visitor_id=VISITOR) == []


def test_deleting_an_entry_works_only_for_its_owner():
    maya, ben = UserFactory(), UserFactory()
    search("piano", user=maya)
    search("guitar", visitor=VISITOR)
    mayas = SearchHistory.objects.get(user=maya)
    visitors = SearchHistory.objects.get(visitor_id=VISITOR)

    assert history.delete_history_entry(user=ben, entry_id=mayas.pk) is False
    assert history.delete_history_entry(visitor_id=new_ulid(), entry_id=visitors.pk) is False
    assert history.delete_history_entry(user=maya, entry_id=visitors.pk) is False
    assert SearchHistory.objects.count() == 2

    assert history.delete_history_entry(user=maya, entry_id=mayas.pk) is True
    assert history.delete_history_entry(visitor_id=VISITOR, entry_id=visitors.pk) is True
    assert not SearchHistory.objects.exists()


def test_clearing_deletes_all_of_the_owners_entries_and_nobody_elses():
    maya, ben = UserFactory(), UserFactory()
    for query in ("piano", "guitar", "drums"):
        search(query, user=maya)
        search(query, visitor=VISITOR)
    search("piano", user=ben)

    assert history.clear_history(user=maya) == 3
    assert history.clear_history(visitor_id=VISITOR) == 3
    assert history.clear_history() == 0
    assert SearchHistory.objects.get().user == ben
