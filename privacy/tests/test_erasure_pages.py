"""Deleting an account from the page and from the API: the same preview, the same checks (the
password, a code when two-factor sign-in is on), the same outcome, and signed out after."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_KEY,
    UserFactory,
    sign_in_verified,
    staff_signed_in,
    with_two_factor,
)
from bookings.models import BookingStatus
from bookings.tests.factories import book, open_instructor
from core import ratelimit
from core.models import AuditLog

pytestmark = pytest.mark.django_db
NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
FRI = dt.date(2026, 12, 4)
PAGE = reverse("privacy:delete_account")
API = "/api/v1/privacy/account/"


@pytest.fixture
def lesson(clock):
    offering = open_instructor(days=[FRI]).offerings.get()
    return book(UserFactory(first_name="Maya"), offering, dt.datetime.combine(FRI, dt.time(10), tzinfo=NY))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def signed_in(client, user):
    client.force_login(user)
    return user


def test_the_page_shows_the_lessons_to_cancel_and_deletes_after_the_password(client, lesson):
    student = signed_in(client, lesson.student)
    page = client.get(PAGE).content.decode()
    assert "Your lessons to come" in page and lesson.offering.service.name in page
    assert 'name="code"' not in page  # no two-factor sign-in, no code asked

    wrong = client.post(PAGE, {"password": "not-it", "understood": "on"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    unticked = client.post(PAGE, {"password": TEST_PASSWORD})
    assert unticked.status_code == 400
    assert User.objects.get(pk=student.pk).erased_at is None

    done = client.post(PAGE, {"password": TEST_PASSWORD, "understood": "on"})
    assert done.url == reverse("privacy:account_deleted")
    assert "_auth_user_id" not in client.session
    lesson.refresh_from_db()
    assert lesson.status == BookingStatus.CANCELLED
    assert User.objects.get(pk=student.pk).erased_at is not None


def test_with_two_factor_the_code_is_needed_too(client, clock):
    person = signed_in(client, with_two_factor(UserFactory()))
    refused = client.post(PAGE, {"password": TEST_PASSWORD, "code": "000000", "understood": "on"})
    assert refused.status_code == 400 and User.objects.get(pk=person.pk).erased_at is None
    clock.shift(dt.timedelta(seconds=5))  # past django-otp's back-off after a wrong code
    code = account_services.current_code(TEST_TOTP_KEY)
    done = client.post(PAGE, {"password": TEST_PASSWORD, "code": code, "understood": "on"})
    assert done.status_code == 302 and User.objects.get(pk=person.pk).erased_at is not None


def test_the_api_gives_the_same_preview_and_deletes_the_same_way(lesson):
    api = APIClient()
    signed_in(api, lesson.student)
    preview = api.get(API).json()
    assert [entry["id"] for entry in preview["lessons"]] == [lesson.pk]
    assert preview["blocker"] == "" and preview["credit_cents"] == 0

    wrong = api.post(API, {"password": "nope"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid"
    done = api.post(API, {"password": TEST_PASSWORD}, format="json")
    assert done.status_code == 200 and done.json() == {"lessons_cancelled": 1}
    assert api.get(API).status_code == 403  # signed out


def test_guessing_the_password_here_is_throttled(client):
    person = signed_in(client, UserFactory())
    ratelimit.reset("login_code", person.pk)
    answers = [client.post(PAGE, {"password": f"guess-{n}", "understood": "on"}).status_code for n in range(12)]
    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429]
    last = client.post(PAGE, {"password": TEST_PASSWORD, "understood": "on"})
    assert "Too many attempts" in last.content.decode() and User.objects.get(pk=person.pk).erased_at is None


def test_staff_are_refused_on_both_channels(client):
    staff = UserFactory(is_staff=True)
    sign_in_verified(client, staff)
    page = client.get(PAGE)
    assert page.status_code == 409 and "another admin" in page.content.decode()
    api = APIClient()
    sign_in_verified(api, staff)
    refused = api.post(API, {"password": TEST_PASSWORD}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "erasure_refused"


def test_staff_delete_an_account_on_request_from_the_admin_with_a_reason(client, lesson):
    admin_user = staff_signed_in(client, role="admin")
    student = lesson.student
    person_page = client.get(reverse("admin:accounts_user_change", args=[student.pk])).content.decode()
    erase_url = reverse("admin:privacy_erase_user", args=[student.pk])
    assert erase_url in person_page

    page = client.get(erase_url).content.decode()
    assert lesson.offering.service.name in page
    assert client.post(erase_url, {"reason": ""}).status_code == 200  # a reason is required
    assert User.objects.get(pk=student.pk).erased_at is None
    done = client.post(erase_url, {"reason": "Email of 3 Dec; called back"})
    assert done.status_code == 302
    assert User.objects.get(pk=student.pk).erased_at is not None
    entry = AuditLog.objects.get(action="erase_account", target_id=student.pk)
    assert entry.actor == admin_user and entry.reason == "Email of 3 Dec; called back"


def test_support_staff_cannot_delete_accounts(client):
    staff_signed_in(client, role="support")
    assert client.get(reverse("admin:privacy_erase_user", args=[UserFactory().pk])).status_code == 403
