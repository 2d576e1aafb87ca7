"""Search in the operations console: the read-only lists and the three analytics pages (who may
open them, the numbers they show for a known set of searches, and their fixed query budget)."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory, sign_in_verified, staff_signed_in
from core.fields import new_ulid
from instructors.tests.factories import InstructorProfileFactory
from search.models import DeviceType, InteractionKind, SearchEvent, SearchHistory, SearchInteraction

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)  # 13:00 in New York, the staff member's zone
TODAY, YESTERDAY = dt.date(2026, 12, 1), dt.date(2026, 11, 30)
TOP = reverse("admin:search_searchevent_top_queries")
ZERO = reverse("admin:search_searchevent_zero_results")
CONVERSION = reverse("admin:search_searchevent_conversion")
PAGES = (TOP, ZERO, CONVERSION)
VISITOR = new_ulid()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def may_see_analytics(user):
    user.user_permissions.add(Permission.objects.get(content_type__app_label="search", codename="view_searchevent"))
    return user


@pytest.fixture
def analyst(client):
    """Finance staff given the analytics permission (no private details)."""
    return may_see_analytics(staff_signed_in(client, role="finance"))


def searched(query: str, *, days_ago: float = 0, results: int = 3, user=None, visitor: str = "", ip: str = "", **more):
    return SearchEvent.objects.create(
        pk=new_ulid(),
        created_at=NOW - dt.timedelta(days=days_ago, hours=1),
        user=user,
        visitor_id=visitor,
        ip_hash=ip,
        query=query,
        normalized_query=query.lower(),
        result_count=results,
        device_type=more.get("device_type", DeviceType.DESKTOP),
    )


def step(search, kind, instructor):
    SearchInteraction.objects.create(search=search, kind=kind, instructor=instructor, created_at=search.created_at)


@pytest.fixture
def known_searches():
    """This week: "piano" 3 times by 2 searchers (5 results on average), "guitar" and "narnia"
    found nobody; "drums" 10 days ago; a bot's and an empty search that must not count."""
    maya = UserFactory()
    searched("Piano", results=4, user=maya)
    searched("piano", days_ago=2, results=6, user=maya)
    searched("piano", days_ago=3, results=5, visitor=VISITOR)
    searched("guitar", results=0, ip="a" * 64)
    searched("narnia", days_ago=1, results=0, visitor=new_ulid())
    searched("narnia", days_ago=1, results=0, visitor=new_ulid())
    searched("drums", days_ago=10, results=0, user=maya)
    searched("drums", days_ago=12, results=2, user=maya)
    searched("piano", results=0, device_type=DeviceType.BOT)
    searched("", results=9, user=maya)
    return maya


def table_rows(response) -> list[list[str]]:
    """The analytics table's body rows as lists of cell texts."""
    body = response.content.decode().split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        ]
        for row in rows
    ]


# --- who may open them --------------------------------------------------------------------------


def test_staff_with_the_permission_open_every_page(client, analyst, known_searches):
    for page in PAGES:
        assert client.get(page).status_code == 200, page


def test_staff_without_the_permission_are_refused(client):
    staff_signed_in(client, role="finance")
    for page in PAGES:
        assert client.get(page).status_code == 403, page


def test_staff_who_have_not_passed_two_factor_are_sent_to_sign_in(client):
    client.force_login(may_see_analytics(UserFactory(role="support", is_staff=True)))
    for page in PAGES:
        assert client.get(page).status_code == 302, page


def test_people_who_are_not_staff_are_sent_to_sign_in(client):
    sign_in_verified(client, may_see_analytics(UserFactory()))
    for page in PAGES:
        assert client.get(page).status_code == 302, page


def test_the_pages_are_linked_from_the_search_events_list_and_the_search_section(client, analyst):
    assert reverse("admin:search_searchevent_changelist") in client.get(reverse("admin:index")).content.decode()
    for listing in (reverse("admin:search_searchevent_changelist"), reverse("admin:app_list", args=["search"])):
        page = client.get(listing).content.decode()
        assert all(link in page for link in PAGES), listing


# --- the numbers ------------------------------------------------------------------------------------


def test_top_queries_count_searches_distinct_searchers_and_average_results(client, analyst, known_searches):
    assert table_rows(client.get(TOP)) == [
        ["piano", "3", "2", "5.0"],
        ["narnia", "2", "2", "0.0"],
        ["guitar", "1", "1", "0.0"],
    ]
    assert table_rows(client.get(TOP, {"days": "30"})) == [
        ["piano", "3", "2", "5.0"],
        ["drums", "2", "1", "1.0"],
        ["narnia", "2", "2", "0.0"],
        ["guitar", "1", "1", "0.0"],
    ]


def test_zero_result_queries_show_what_the_catalog_is_missing(client, analyst, known_searches):
    rows = table_rows(client.get(ZERO))
    assert [row[:3] for row in rows] == [["narnia", "2", "2"], ["guitar", "1", "1"]]
    assert rows[1][3] == "2026-12-01 12:00"  # shown in the staff member's zone (New York)

    assert [row[0] for row in table_rows(client.get(ZERO, {"days": "30"}))] == ["narnia", "drums", "guitar"]
    assert [row[0] for row in table_rows(client.get(ZERO, {"days": "365"}))] == ["narnia", "guitar"]  # 7: default


def test_conversion_by_day_follows_each_search_through_the_funnel(client, analyst):
    first, second = InstructorProfileFactory(), InstructorProfileFactory()
    converted, browsed, ignored = searched("piano"), searched("piano"), searched("piano")
    for kind in InteractionKind.values:
        step(converted, kind, first)
    step(browsed, InteractionKind.RESULT_CLICKED, first)
    step(browsed, InteractionKind.RESULT_CLICKED, second)  # two clicks, one search that was clicked
    step(browsed, InteractionKind.PROFILE_VIEWED, second)
    searched("guitar", days_ago=1)
    searched("piano", days_ago=31)  # before the window
    step(searched("piano", device_type=DeviceType.BOT), InteractionKind.RESULT_CLICKED, first)
    assert ignored.interactions.count() == 0

    rows = table_rows(client.get(CONVERSION))

    assert len(rows) == 30
    assert rows[0][0] == "Mon 2026-11-02" and rows[-1][0] == "Tue 2026-12-01"
    assert rows[-1][1:] == ["3", "2 (66.7%)", "2 (66.7%)", "1 (33.3%)", "1 (33.3%)"]
    assert rows[-2][1:] == ["1", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)"]
    assert rows[-3][1:] == ["0", "0 (—)", "0 (—)", "0 (—)", "0 (—)"]


@pytest.mark.parametrize("page", PAGES)
def test_each_page_is_one_aggregate_query_however_many_searches(client, analyst, page):
    def queries_for_page() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        on_searches = [query for query in captured.captured_queries if "search_searchevent" in query["sql"]]
        return len(captured), len(on_searches)

    client.get(page)  # warm the session and permission caches
    instructor = InstructorProfileFactory()
    step(searched("piano"), InteractionKind.RESULT_CLICKED, instructor)
    few = queries_for_page()
    for n in range(30):
        event = searched(f"query {n % 7}", days_ago=n % 9, results=n % 2, visitor=new_ulid())
        step(event, InteractionKind.RESULT_CLICKED, instructor)
        step(event, InteractionKind.PROFILE_VIEWED, instructor)

    assert queries_for_page() == few
    assert few[1] == 1


# --- the read-only lists -------------------------------------------------------------------------


def test_the_search_events_list_shows_searches_without_emails_to_staff_without_private_details(
    client, analyst, known_searches
):
    page = client.get(reverse("admin:search_searchevent_changelist")).content.decode()

    assert "narnia" in page and known_searches.public_name in page
    assert known_searches.email not in page
    assert client.get(reverse("admin:search_searchevent_add")).status_code == 403


def test_support_staff_see_the_searchers_email(client, known_searches):
    may_see_analytics(staff_signed_in(client, role="support"))

    page = client.get(reverse("admin:search_searchevent_changelist")).content.decode()

    assert known_searches.email in page


def test_search_history_is_listed_read_only_and_searchable(client):
    staff = staff_signed_in(client, role="support")
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="search", codename="view_searchhistory"))
    maya = UserFactory()
    SearchHistory.objects.create(user=maya, query="Piano", normalized_query="piano", last_searched_at=NOW)
    SearchHistory.objects.create(visitor_id=VISITOR, query="Drums", normalized_query="drums", last_searched_at=NOW)
    listing = reverse("admin:search_searchhistory_changelist")

    page = client.get(listing, {"q": "piano"}).content.decode()

    assert "Piano" in page and maya.email in page and "Drums" not in page
    assert "Visitor (not signed in)" in client.get(listing, {"q": VISITOR}).content.decode()
    entry = SearchHistory.objects.get(user=maya)
    assert (
        client.post(reverse("admin:search_searchhistory_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert SearchHistory.objects.count() == 2
