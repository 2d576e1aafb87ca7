"""`__any`: one array parameter instead of an IN list, with the same answer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import SignedInSession, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_any_matches_exactly_the_listed_values_with_one_parameter():
    people = [UserFactory() for _ in range(3)]
    wanted = [people[0].pk, people[2].pk, "01NOTANID0000000000000000"]
    with CaptureQueriesContext(connection) as queries:
        found = set(User.objects.filter(pk__any=wanted).values_list("pk", flat=True))
    assert found == {people[0].pk, people[2].pk}
    assert "= ANY(" in queries.captured_queries[0]["sql"]
    assert set(User.objects.filter(pk__any=[]).values_list("pk", flat=True)) == set()


def test_any_works_on_a_foreign_key():
    person, other = UserFactory(), UserFactory()
    SignedInSession.objects.create(user=person, session_key="a" * 32)
    SignedInSession.objects.create(user=other, session_key="b" * 32)
    assert list(SignedInSession.objects.filter(user_id__any=[person.pk]).values_list("user_id", flat=True)) == [
        person.pk
    ]
