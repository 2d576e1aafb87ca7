"""Every staff action leaves an audit row (who, what, before and after, why), readable in the
admin; and the admin's side doors (catalog, profiles, offerings, users) save through the services,
so staff edits obey the same rules and refresh the same caches as the instructors' own pages."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_signed_in
from bookings import services as booking_services
from bookings.tests.factories import book, give_card, open_instructor
from core.cache import namespace_version
from core.models import AuditLog, RateLimitRule
from instructors.models import InstructorService, Service
from instructors.selectors import LISTINGS_CACHE
from payments import credits
from payments import services as payment_services

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lesson():
    student = UserFactory(role="student")
    give_card(student)
    return book(student, open_instructor(days=[START.date()]).offerings.get(), START)


def admin_action(client, changelist: str, action: str, *pks, **extra):
    return client.post(reverse(changelist), {"action": action, ACTION_CHECKBOX_NAME: list(pks), **extra}, follow=True)


def the_audit(action: str) -> AuditLog:
    return AuditLog.objects.get(action=action)


def test_a_staff_cancellation_is_audited_with_before_and_after(client, lesson):
    person = staff_signed_in(client, "admin")
    admin_action(client, "admin:bookings_booking_changelist", "cancel_by_staff", lesson.pk)
    audit = the_audit("cancel_booking")
    assert (audit.actor, audit.target_id, audit.reason) == (person, lesson.pk, "Cancelled by staff")
    assert (audit.before, audit.after) == ({"status": "confirmed"}, {"status": "cancelled"})
    assert audit.target_type == "bookings.booking"


def test_a_students_own_cancellation_is_not_a_staff_action(lesson):
    booking_services.cancel_booking(booking=lesson, user=lesson.student)
    assert not AuditLog.objects.exists()


def test_resolving_a_no_show_is_audited(client, lesson, clock):
    clock.move_to(START + dt.timedelta(hours=2))
    booking_services.report_no_show(booking=lesson, user=lesson.student)
    person = staff_signed_in(client, "support")
    admin_action(client, "admin:bookings_booking_changelist", "resolve_no_show_upheld", lesson.pk)
    audit = the_audit("resolve_no_show")
    assert audit.actor == person
    assert (audit.before["resolution"], audit.after["resolution"]) == ("", "upheld")


def test_a_payment_retry_is_audited(client, clock):
    student = UserFactory(role="student")
    give_card(student, "pm_card_chargeCustomerFail")
    booking = book(student, open_instructor(days=[START.date()]).offerings.get(), START)
    clock.move_to(START - dt.timedelta(hours=24))
    payment_services.advance_all()
    person = staff_signed_in(client, "finance")
    admin_action(client, "admin:payments_failedpayment_changelist", "retry_now", booking.payment.pk)
    audit = the_audit("retry_payment")
    assert (audit.actor, audit.before["status"], audit.after["status"]) == (person, "failed", "failed")


def test_a_credit_grant_is_audited_with_the_balance_before_and_after(client):
    person = staff_signed_in(client, "finance")
    student = UserFactory(role="student", email="maya@example.com")
    response = client.post(
        reverse("admin:payments_creditentry_add"),
        {"email": "maya@example.com", "amount": "12.50", "reason": "adjustment", "note": "Sorry for the wait"},
    )
    assert response.status_code == 302
    audit = the_audit("grant_credit")
    assert (audit.actor, audit.target_id, audit.reason) == (person, student.pk, "Sorry for the wait")
    assert (audit.before, audit.after) == ({"balance_cents": 0}, {"balance_cents": 12_50})
    assert credits.balance(student) == 12_50


def test_a_role_change_is_audited(client):
    person = staff_signed_in(client, "admin")
    user = UserFactory(role="student")
    admin_action(client, "admin:accounts_user_changelist", "make_support", user.pk)
    audit = the_audit("change_roles")
    assert (audit.actor, audit.before, audit.after) == (
        person,
        {"roles": ["student"]},
        {"roles": ["student", "support"]},
    )
    user.refresh_from_db()
    assert user.is_staff


def test_editing_a_users_groups_in_the_form_is_audited_too(client):
    staff_signed_in(client, "admin")
    user = UserFactory(role="student")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(groups=[Group.objects.get(name="instructor").pk], user_permissions=[], _save="Save")
    data = {key: value for key, value in data.items() if value not in (False,)}
    assert client.post(url, data).status_code == 302
    assert the_audit("change_roles").after == {"roles": ["instructor"]}


def test_a_rate_limit_rule_change_is_audited(client):
    person = staff_signed_in(client, "admin")
    response = client.post(
        reverse("admin:core_ratelimitrule_add"),
        {"bucket": "login", "limit": "10", "period_seconds": "60", "burst": "2", "enabled": "on"},
    )
    assert response.status_code == 302
    rule = RateLimitRule.objects.get()
    client.post(
        reverse("admin:core_ratelimitrule_change", args=[rule.pk]),
        {"bucket": "login", "limit": "5", "period_seconds": "60", "burst": "2", "enabled": "on", "shadow": "on"},
    )
    changes = AuditLog.objects.filter(action="change_rate_limit_rule").order_by("created_at")
    assert [audit.actor for audit in changes] == [person, person]
    assert changes[0].before == {} and changes[0].after["limit"] == 10
    assert (changes[1].before["limit"], changes[1].after["limit"], changes[1].after["shadow"]) == (10, 5, True)


def test_audit_rows_are_readable_in_the_admin(client, lesson):
    staff_signed_in(client, "admin")
    admin_action(client, "admin:bookings_booking_changelist", "cancel_by_staff", lesson.pk)
    audit = the_audit("cancel_booking")
    page = client.get(reverse("admin:core_auditlog_change", args=[audit.pk])).content.decode()
    assert "cancelled" in page and "Cancelled by staff" in page


# --- side doors --------------------------------------------------------------------------------


def test_a_staff_edit_of_an_offering_obeys_the_instructors_rules_and_refreshes_listings(
    client, lesson, django_capture_on_commit_callbacks
):
    person = staff_signed_in(client, "admin")
    offering = InstructorService.objects.get(pk=lesson.offering_id)
    url = reverse("admin:instructors_instructorservice_change", args=[offering.pk])
    data = {"hourly_rate_cents": "500", "durations": "60", "location_types": "online", "description": ""}
    refused = client.post(url, data)
    assert refused.status_code in (200, 400) and "Error:" in refused.content.decode()  # the form or the service says no
    offering.refresh_from_db()
    assert offering.hourly_rate_cents == 60_00
    version = namespace_version(LISTINGS_CACHE)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {**data, "hourly_rate_cents": "7500"}).status_code == 302
    offering.refresh_from_db()
    assert offering.hourly_rate_cents == 75_00
    assert namespace_version(LISTINGS_CACHE) > version  # listings show the new price at once
    audit = the_audit("change_offering")
    assert (audit.actor, audit.before["hourly_rate_cents"], audit.after["hourly_rate_cents"]) == (
        person,
        60_00,
        75_00,
    )


def test_a_staff_edit_of_a_catalog_service_rebuilds_its_search_text(client):
    staff_signed_in(client, "admin")
    service = Service.objects.first() or open_instructor(days=[START.date()]).offerings.get().service
    url = reverse("admin:instructors_service_change", args=[service.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data["name"] = "Jazz Piano"
    assert client.post(url, data).status_code == 302
    service.refresh_from_db()
    assert "jazz piano" in service.search_text
    assert the_audit("change_catalog").after["name"] == "Jazz Piano"
