"""The rate-limit rules in the operations console: saved through the service, live at once."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import sign_in_verified
from core.models import RateLimitRule
from core.ratelimit import check, rule_for

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/core/ratelimitrule/add/"


@pytest.fixture
def staff_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not under test here
    admin = User.objects.create_superuser(
        email="ops@example.com", password="a-Long-test-passw0rd", first_name="Olga", last_name="Ops"
    )
    sign_in_verified(client, admin)
    return client


def form_data(**overrides):
    data = {"bucket": "login", "limit": "10", "period_seconds": "60", "burst": "1", "enabled": "on", "_save": "Save"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_urls_are_wired():
    assert reverse("admin:core_ratelimitrule_add") == ADD_URL


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(ADD_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.post(ADD_URL, form_data()).status_code == 302
    assert not RateLimitRule.objects.exists()


def test_non_staff_users_cannot_add_rules(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = User.objects.create_user(
        email="student@example.com", password="a-Long-test-passw0rd", first_name="Sam", last_name="Student"
    )
    client.force_login(user)
    client.post(ADD_URL, form_data())
    assert not RateLimitRule.objects.exists()


def test_changelist_and_add_form_render(staff_client):
    RateLimitRule.objects.create(bucket="signup", limit=5, period_seconds=3600, burst=3)
    listing = staff_client.get("/admin/core/ratelimitrule/")
    assert listing.status_code == 200
    assert b"signup" in listing.content
    form = staff_client.get(ADD_URL)
    assert form.status_code == 200
    assert b'name="burst"' in form.content


def test_staff_add_a_rule_and_it_takes_effect_at_once(staff_client, django_capture_on_commit_callbacks):
    assert rule_for("login").burst == 5  # settings default, now cached in this process
    assert [check("login", "warm-up").allowed for _ in range(2)] == [True, True]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD_URL, form_data(burst="1"))

    assert response.status_code == 302, response.content[:2000]
    rule = RateLimitRule.objects.get(bucket="login")
    assert (rule.limit, rule.period_seconds, rule.burst, rule.shadow, rule.enabled) == (10, 60, 1, False, True)
    assert check("login", "198.51.100.1").allowed
    assert not check("login", "198.51.100.1").allowed


def test_staff_can_switch_a_bucket_to_shadow_mode(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(ADD_URL, form_data(burst="1", shadow="on"))
    decisions = [check("login", "k") for _ in range(3)]
    assert all(d.allowed for d in decisions)
    assert [d.shadowed for d in decisions] == [False, True, True]


def test_staff_can_edit_and_delete_a_rule(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(ADD_URL, form_data(burst="1"))
    rule = RateLimitRule.objects.get(bucket="login")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/core/ratelimitrule/{rule.pk}/change/", form_data(burst="3"))
    assert response.status_code == 302
    assert [check("login", "a").allowed for _ in range(4)] == [True, True, True, False]

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/admin/core/ratelimitrule/{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RateLimitRule.objects.exists()
    assert rule_for("login").burst == 5  # back to settings


def test_bulk_delete_action_goes_through_the_service(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(ADD_URL, form_data(bucket="login", burst="1"))
        staff_client.post(ADD_URL, form_data(bucket="signup", burst="1"))
    assert rule_for("login").burst == 1
    ids = list(RateLimitRule.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/core/ratelimitrule/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
        )
    assert response.status_code == 302
    assert not RateLimitRule.objects.exists()
    assert rule_for("login").burst == 5


@pytest.mark.parametrize("field", ["limit", "burst", "period_seconds"])
def test_zero_is_rejected_by_the_form(staff_client, django_capture_on_commit_callbacks, field):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD_URL, form_data(**{field: "0"}))
    assert response.status_code == 200  # the form again, with errors
    assert response.context["adminform"].form.errors[field] == ["Ensure this value is greater than or equal to 1."]
    assert not RateLimitRule.objects.exists()
    assert rule_for("login").burst == 5


@pytest.mark.parametrize(
    ("field", "value"), [("limit", "-1"), ("limit", "many"), ("bucket", "not a slug!"), ("bucket", None)]
)
def test_other_invalid_input_is_rejected(staff_client, field, value):
    response = staff_client.post(ADD_URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not RateLimitRule.objects.exists()


def test_duplicate_bucket_is_rejected(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(ADD_URL, form_data(burst="1"))
    response = staff_client.post(ADD_URL, form_data(burst="9"))
    assert response.status_code == 200
    assert "bucket" in response.context["adminform"].form.errors
    assert RateLimitRule.objects.get().burst == 1
