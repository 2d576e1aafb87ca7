import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from core.models import RateLimitRule

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "Maya",
    "last_name": "Chen",
    "email": "maya@example.com",
    "timezone": "America/Chicago",
    "password": "piano-practice-2026",
    "password_confirm": "piano-practice-2026",
}


def test_student_signs_up_and_is_signed_in(client):
    response = client.post(reverse("accounts:signup"), SIGNUP, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"].is_authenticated
    user = User.objects.get(email="maya@example.com")
    assert user.timezone == "America/Chicago"
    assert [g.name for g in user.groups.all()] == ["student"]
    assert "Welcome to InstaInstru, Maya!" in response.content.decode()


def test_instructor_signs_up_and_lands_on_the_checklist(client):
    response = client.post(reverse("instructors:signup"), SIGNUP, follow=True)
    assert response.redirect_chain[-1][0] == reverse("instructors:dashboard")
    user = User.objects.get(email="maya@example.com")
    assert user.has_perm("instructors.teach")
    assert user.instructor_profile.is_live is False
    assert "0 of 4 done" in response.content.decode()


def test_signup_with_mismatched_passwords_shows_the_error_and_saves_nothing(client):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password_confirm": "something-else-1"})
    assert response.status_code == 400
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.exists()


def test_signup_with_a_taken_email_says_so(client):
    UserFactory(email="maya@example.com")
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": "MAYA@example.com"})
    assert response.status_code == 409
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_signup_with_a_weak_password_shows_the_validator_message(client):
    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "password": "1234567890", "password_confirm": "1234567890"}
    )
    assert "This password is entirely numeric." in response.content.decode()
    assert not User.objects.exists()


def test_login_and_logout(client):
    UserFactory(email="maya@example.com")
    response = client.post(reverse("accounts:login"), {"username": "Maya@Example.com", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:settings")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_wrong_password_gives_a_clear_error(client):
    UserFactory(email="maya@example.com")
    response = client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_login_is_rate_limited_per_client(client):
    RateLimitRule.objects.create(bucket="login", limit=1, period_seconds=60, burst=2)
    UserFactory(email="maya@example.com")
    for _ in range(2):
        assert (
            client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": "x"}).status_code == 200
        )
    response = client.post(reverse("accounts:login"), {"username": "maya@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_signup_is_rate_limited(client):
    RateLimitRule.objects.create(bucket="signup", limit=1, period_seconds=3600, burst=1)
    client.post(reverse("accounts:signup"), SIGNUP)
    client.logout()
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "email": "other@example.com"})
    assert response.status_code == 429
    assert User.objects.count() == 1


def test_password_reset_sends_a_working_link(client):
    user = UserFactory(email="maya@example.com")
    response = client.post(reverse("accounts:password_reset"), {"email": "MAYA@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == ["maya@example.com"]
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-secret-9", "new_password2": "a-brand-new-secret-9"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret-9")


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_account_settings_update(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:settings"),
        {"first_name": "Ana", "last_name": "Bell", "phone": "+1 212 555 0100", "timezone": "Europe/Paris"},
        follow=True,
    )
    assert "Your account details are saved." in response.content.decode()
    user.refresh_from_db()
    assert user.timezone == "Europe/Paris"


def test_account_settings_reject_an_unknown_time_zone(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:settings"), {"first_name": "Ana", "last_name": "Bell", "phone": "", "timezone": "Nope/Nope"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.timezone == "America/New_York"


def test_home_redirect_by_role(client):
    client.force_login(UserFactory(role="instructor"))
    assert client.get(reverse("accounts:home")).url == reverse("instructors:dashboard")
    client.force_login(UserFactory(role="student"))
    assert client.get(reverse("accounts:home")).url == reverse("home")
