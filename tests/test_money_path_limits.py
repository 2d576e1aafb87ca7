"""The money paths are rate limited in their services, so the page, the API and anything else that
calls them meet the same limits: per person, and per client address while a request is served.
The admin's rule list shows every limit in force, overrides and defaults alike."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory, staff_signed_in
from bookings.models import Booking
from bookings.tests.factories import give_card, new_key, open_instructor
from core import ratelimit
from core.models import RateLimitRule
from payments.models import SavedCard

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 7:00 in New York
THU = dt.date(2026, 12, 3)
DECLINES = "4000 0000 0000 0002"
PAYS = "4242 4242 4242 4242"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offering(clock):
    return open_instructor(days=[THU]).offerings.get()


def limit(bucket: str, burst: int) -> None:
    """A runtime override, as staff would set it in the admin."""
    RateLimitRule.objects.create(bucket=bucket, limit=burst, period_seconds=3600, burst=burst)
    ratelimit.clear_rule_cache()


def start_at(hour: int) -> str:
    return f"{THU.isoformat()}T{hour:02d}:00:00-05:00"


def hold_by_page(client, offering, hour: int, key: str):
    url = reverse("bookings:book", args=[offering.instructor_id])
    return client.post(url, {"offering": offering.pk, "duration": 60, "start_at": start_at(hour), "key": key})


def hold_by_api(client, offering, hour: int, key: str):
    body = {"offering_id": offering.pk, "start_at": start_at(hour), "duration": 60, "idempotency_key": key}
    return client.post("/api/v1/bookings/", body, format="json")


def test_a_person_meets_one_hold_limit_in_the_page_and_the_api(offering):
    limit("booking_hold", 2)
    student = UserFactory()
    page, api = APIClient(), APIClient()
    page.force_login(student)
    api.force_login(student)
    first_key = new_key()

    assert hold_by_page(page, offering, 9, first_key).status_code == 302
    assert hold_by_page(page, offering, 9, first_key).status_code == 302  # a replay is not counted
    assert hold_by_api(api, offering, 11, new_key()).status_code == 201

    refused = hold_by_api(api, offering, 13, new_key())
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0
    page_refused = hold_by_page(page, offering, 15, new_key())
    assert page_refused.status_code == 429 and "Too many attempts" in page_refused.content.decode()
    assert Booking.objects.filter(student=student).count() == 2


def test_one_address_is_limited_across_people(offering):
    limit("booking_hold_ip", 2)
    shared, elsewhere = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.2"}
    people = [UserFactory() for _ in range(4)]
    clients = []
    for person in people:
        client = APIClient()
        client.force_login(person)
        clients.append(client)

    assert clients[0].post("/api/v1/bookings/", _body(offering, 9), format="json", **shared).status_code == 201
    assert clients[1].post("/api/v1/bookings/", _body(offering, 11), format="json", **shared).status_code == 201
    assert clients[2].post("/api/v1/bookings/", _body(offering, 13), format="json", **shared).status_code == 429
    assert clients[3].post("/api/v1/bookings/", _body(offering, 13), format="json", **elsewhere).status_code == 201


def _body(offering, hour: int) -> dict:
    return {"offering_id": offering.pk, "start_at": start_at(hour), "duration": 60, "idempotency_key": new_key()}


def test_card_testing_stops_before_the_bank_is_asked_again(client):
    limit("card_save", 3)
    student = UserFactory()
    client.force_login(student)
    for _ in range(3):
        declined = client.post(reverse("payments:add_card"), {"number": DECLINES})
        assert declined.status_code == 402
    refused = client.post(reverse("payments:add_card"), {"number": PAYS})
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert not SavedCard.objects.filter(user=student).exists()


def test_checkout_and_payment_fixes_are_limited_per_person(offering):
    limit("checkout", 1)
    student = UserFactory()
    give_card(student)
    client = APIClient()
    client.force_login(student)
    first = client.post("/api/v1/bookings/", _body(offering, 9), format="json").json()
    second = client.post("/api/v1/bookings/", _body(offering, 11), format="json").json()
    body = {"location_type": "online"}
    assert client.post(f"/api/v1/bookings/{first['id']}/confirm/", body, format="json").status_code == 200
    refused = client.post(f"/api/v1/bookings/{second['id']}/confirm/", body, format="json")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"


def test_the_admin_lists_every_rule_in_force(client):
    staff_signed_in(client)
    limit("card_save", 3)
    page = client.get(reverse("admin:core_ratelimitrule_changelist"))
    in_force = {rule.bucket: rule for rule in page.context["rules_in_force"]}
    assert {"login", "login_account", "checkout_ip", "card_save", "send_message"} <= set(in_force)
    assert (in_force["card_save"].burst, in_force["login"].burst) == (3, 5)
    assert in_force["card_save"].overridden and not in_force["login"].overridden
    body = page.content.decode()
    assert "Rules in force" in body and "checkout_ip" in body


def test_the_rule_list_reads_the_overrides_once(client):
    """Not once per bucket: one query for every override, and the changelist's own."""
    staff_signed_in(client)
    limit("card_save", 3)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("admin:core_ratelimitrule_changelist"))
    reads = [query["sql"] for query in queries if 'FROM "core_ratelimitrule"' in query["sql"]]
    assert len(reads) <= 4  # the rules in force, then the changelist's two counts and its rows (was 1 per bucket: 19)
