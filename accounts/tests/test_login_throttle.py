"""A throttled login tells an attacker nothing (issue 10, items 1 and 2): once a client or an
account is throttled, every attempt gets the same answer, whatever password it sends, and no
password is checked. Failed attempts are limited per account too, whatever the IP; the admin's
login is the site's login."""

import re

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from core.models import RateLimitRule

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def attempt(client, password, *, email="maya@example.com", ip="203.0.113.7"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def visible(response) -> str:
    """The page without its per-response CSRF tokens."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


@pytest.fixture
def counted_password_checks(monkeypatch):
    calls = []
    original = AbstractBaseUser.check_password

    def check_password(self, raw_password):
        calls.append(raw_password)
        return original(self, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", check_password)
    return calls


def test_a_throttled_client_gets_the_same_answer_whatever_it_sends(client, counted_password_checks):
    RateLimitRule.objects.create(bucket="login", limit=1, period_seconds=60, burst=2)
    UserFactory(email="maya@example.com")
    for _ in range(2):
        assert attempt(client, "wrong-wrong-1").status_code == 200
    checks_before = len(counted_password_checks)
    wrong, right = attempt(client, "wrong-wrong-2"), attempt(client, TEST_PASSWORD)
    assert (wrong.status_code, right.status_code) == (429, 429)
    assert visible(wrong) == visible(right)
    assert "Too many attempts" in visible(wrong) and "do not match" not in visible(wrong)
    assert len(counted_password_checks) == checks_before  # a throttled request checks no password
    assert not right.wsgi_request.user.is_authenticated


def test_failed_attempts_are_limited_per_account_from_any_address(client):
    RateLimitRule.objects.create(bucket="login_account", limit=1, period_seconds=3600, burst=3)
    UserFactory(email="maya@example.com")
    for number in range(3):
        assert attempt(client, "wrong-wrong-1", ip=f"198.51.100.{number}").status_code == 200
    response = attempt(client, TEST_PASSWORD, ip="192.0.2.200")  # a new address, the right password
    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated
    assert attempt(client, TEST_PASSWORD, email="someone-else@example.com", ip="192.0.2.201").status_code == 200


def test_signing_in_does_not_use_up_the_accounts_allowance(client):
    RateLimitRule.objects.create(bucket="login_account", limit=1, period_seconds=3600, burst=2)
    UserFactory(email="maya@example.com")
    for _ in range(3):
        assert attempt(client, TEST_PASSWORD).status_code == 302
        client.logout()
    assert attempt(client, "wrong-wrong-1").status_code == 200


def test_the_admins_login_is_the_sites_throttled_login(client):
    RateLimitRule.objects.create(bucket="login", limit=1, period_seconds=60, burst=2)
    UserFactory(email="ops@example.com", role="admin", is_staff=True)
    for _ in range(30):
        response = client.post("/admin/login/", {"username": "ops@example.com", "password": "wrong-wrong-1"})
        assert response.status_code == 302 and response.url.startswith(LOGIN)
    response = client.post("/admin/login/?next=/admin/", {"username": "ops@example.com", "password": TEST_PASSWORD})
    assert not response.wsgi_request.user.is_authenticated  # the admin's form signs nobody in
    assert client.get("/admin/login/?next=/admin/").url == f"{LOGIN}?next=%2Fadmin%2F"
    for _ in range(2):
        attempt(client, "wrong-wrong-1", email="ops@example.com")
    assert attempt(client, TEST_PASSWORD, email="ops@example.com").status_code == 429
    assert reverse("admin:login") == "/admin/login/"
