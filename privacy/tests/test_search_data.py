"""Search data in the person's export (their history and signed-in searches, never the address
hash) and on erasure (history deleted, searches kept only as anonymous counts)."""

import pytest

from accounts.tests.factories import UserFactory
from core.fields import new_ulid
from privacy import selectors, services
from privacy.erasure import erase_account
from search import history
from search.models import SearchEvent, SearchHistory

from .conftest import NOW, unzip

pytestmark = pytest.mark.django_db
VISITOR = new_ulid()


def searched(query: str, *, user=None, visitor: str = "") -> SearchEvent:
    history.record_search(
        user_id=user.pk if user else None, visitor_id=visitor, query=query, normalized=query.lower(), at=NOW
    )
    return SearchEvent.objects.create(
        pk=new_ulid(),
        created_at=NOW,
        user=user,
        visitor_id=visitor,
        query=query,
        normalized_query=query.lower(),
        result_count=2,
        ip_hash="f" * 64,
        understood=[{"kind": "subject", "label": "Piano", "matched": True}],
    )


def test_the_export_holds_the_persons_search_history_and_searches(student, other_student):
    searched("Piano", user=student)
    searched("piano", user=student)
    searched("Guitar lessons", user=other_student)

    files = unzip(services.build_archive(student))

    searches = files["searches.json"]
    assert searches["search_history"] == [
        {
            "query": "piano",
            "times_searched": 2,
            "first_searched_at": searches["search_history"][0]["first_searched_at"],
            "last_searched_at": "2026-12-01T12:00:00+00:00",
        }
    ]
    assert [search["query"] for search in searches["searches"]] == ["Piano", "piano"]
    assert searches["searches"][0]["understood"] == [{"kind": "subject", "label": "Piano", "matched": True}]
    assert "f" * 64 not in str(files) and "Guitar" not in str(files)
    assert "searches.json" in files["README.txt"]


def test_an_export_section_reads_the_searches_in_two_queries(student, django_assert_num_queries):
    for n in range(5):
        searched(f"query {n}", user=student)

    with django_assert_num_queries(2):
        selectors.searches_section(student)


def test_erasing_an_account_deletes_its_search_history_and_unlinks_its_searches(clock):
    maya, ben = UserFactory(), UserFactory()
    signed_in = searched("piano", user=maya)
    claimed = searched("violin", visitor=VISITOR)  # before signing in, then claimed by the account
    SearchEvent.objects.filter(pk=claimed.pk).update(user=maya)
    later_anonymous = searched("cello", visitor=VISITOR)  # same browser, signed out again
    bens = searched("drums", user=ben)

    erase_account(user=maya, actor=maya)

    assert not SearchHistory.objects.filter(user=maya).exists()
    assert not SearchHistory.objects.filter(visitor_id=VISITOR).exists()
    unlinked = SearchEvent.objects.filter(pk__in=[signed_in.pk, claimed.pk, later_anonymous.pk])
    assert list(unlinked.values_list("user_id", "visitor_id").distinct()) == [(None, "")]
    assert unlinked.count() == 3  # still counted, anonymously
    assert SearchEvent.objects.get(pk=bens.pk).user == ben
    assert SearchHistory.objects.get().user == ben
    assert SearchEvent.objects.count() == 4
