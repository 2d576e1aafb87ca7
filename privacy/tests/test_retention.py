"""The nightly retention sweep: Stripe's old events lose their personal fields, sessions that
ended leave the signed-in list, searches not repeated in 13 months and year-old search events
go, and a second run finds nothing more to do."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts.models import SignedInSession
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from core.timeutil import now
from payments.models import WebhookEvent, WebhookOutcome
from privacy import tasks
from privacy.retention import apply_retention
from search.models import SearchEvent, SearchHistory

pytestmark = pytest.mark.django_db


def test_the_sweep_applies_each_period_once(settings):
    settings.RETENTION_DAYS = {"webhook_payloads": 90, "search_history": 395, "search_events": 395}
    payload = {
        "id": "evt_1",
        "type": "charge.succeeded",
        "data": {"object": {"amount": 5000, "receipt_email": "a@b.c"}},
    }
    event = WebhookEvent.objects.create(
        event_id="evt_1", event_type="charge.succeeded", payload=payload, outcome=WebhookOutcome.PROCESSED
    )
    WebhookEvent.objects.filter(pk=event.pk).update(created_at=now() - dt.timedelta(days=91))
    person = UserFactory()
    browser = Client()
    browser.post(reverse("accounts:login"), {"username": person.email, "password": TEST_PASSWORD})
    row = SignedInSession.objects.get(user=person)
    browser.session.delete()  # the session ended without a sign-out (expired, or a key change)
    SignedInSession.objects.create(user=person, session_key="gone" * 8)

    stale, fresh = (
        SearchHistory.objects.create(
            user=person, query=words, normalized_query=words, last_searched_at=now() - dt.timedelta(days=age)
        )
        for words, age in (("piano", 400), ("guitar", 30))
    )
    old_search = SearchEvent.objects.create(created_at=now() - dt.timedelta(days=396), query="piano")
    SearchEvent.objects.create(created_at=now() - dt.timedelta(days=10), query="guitar")

    assert apply_retention() == {
        "webhook_payloads_scrubbed": 1,
        "ended_sessions_forgotten": 2,
        "search_history_deleted": 1,
        "search_events_deleted": 1,
    }
    assert list(SearchHistory.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not SearchHistory.objects.filter(pk=stale.pk).exists()
    assert not SearchEvent.objects.filter(pk=old_search.pk).exists() and SearchEvent.objects.count() == 1
    event.refresh_from_db()
    assert event.payload == {"id": "evt_1", "type": "charge.succeeded", "data": {"object": {"amount": 5000}}}
    assert not SignedInSession.objects.filter(pk=row.pk).exists()
    assert set(apply_retention().values()) == {0}


def test_beat_runs_the_sweep_once_a_day():
    sweep = PeriodicTask.objects.get(task="privacy.tasks.apply_retention")
    assert (sweep.interval.every, sweep.interval.period, sweep.enabled) == (24 * 60, "minutes", True)
    event = WebhookEvent.objects.create(
        event_id="evt_2", event_type="x", payload={"id": "evt_2", "email": "a@example.com"}, outcome="ignored"
    )
    WebhookEvent.objects.filter(pk=event.pk).update(created_at=now() - dt.timedelta(days=400))
    tasks.apply_retention.delay()
    event.refresh_from_db()
    assert event.payload == {"id": "evt_2"}
