"""Two-factor sign-in end to end: enrolment, the second step (throttled, trusted browsers, backup
codes), turning it off, staff who must have it, and a staff reset."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors, services
from accounts.models import BackupCode
from accounts.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_KEY,
    UserFactory,
    sign_in_verified,
    staff_signed_in,
    with_two_factor,
)
from accounts.views import TRUST_COOKIE
from core import ratelimit
from core.models import AuditLog
from core.timeutil import now

pytestmark = pytest.mark.django_db
CODE_STEP = reverse("accounts:login_code")


@pytest.fixture(autouse=True)
def fresh_limits():
    """The client-IP buckets live in Redis, which outlives each test's database transaction (the
    per-account buckets are keyed by a new user's id)."""
    yield
    for bucket in ("login", "login_account"):
        ratelimit.reset(bucket, "127.0.0.1")


def code_now(key: str = TEST_TOTP_KEY) -> str:
    return services.current_code(key)


def sign_in_with_password(client, user, **extra):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": TEST_PASSWORD, **extra})


def without_csrf(content: bytes) -> str:
    """A page with its CSRF tokens (masked anew on every response) taken out."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", content.decode())


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- enrolment --------------------------------------------------------------------------------


def test_a_student_turns_it_on_with_a_code_and_sees_backup_codes_once(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    student = UserFactory(role="student")
    client.force_login(student)

    page = client.get(reverse("accounts:two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=student, confirmed=False)
    assert 'src="data:image/svg+xml' in page  # the QR code
    assert client.get(reverse("accounts:two_factor_setup")).context["key"] in page  # same key on reload

    wrong = client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400 and "That code didn" in wrong.content.decode()
    assert not selectors.has_two_factor(student)

    past_the_throttle = time_machine.travel(now() + dt.timedelta(seconds=2), tick=False)  # 1 s after a wrong code
    with django_capture_on_commit_callbacks(execute=True), past_the_throttle:
        response = client.post(reverse("accounts:two_factor_setup"), {"code": code_now(device.key)})
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:backup_codes"))
    codes_page = client.get(response.url).content.decode()
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(response.url).status_code == 302  # shown once
    assert BackupCode.objects.filter(user=student).count() == 10
    assert not BackupCode.objects.filter(code_hash__in=[c.replace("-", "") for c in codes]).exists()  # hashed
    assert selectors.has_two_factor(student)
    assert AuditLog.objects.filter(action="enable_2fa", target_id=student.pk, actor=student).exists()
    assert [mail.subject for mail in mailoutbox] == ["Two-factor sign-in is on"]


def test_regenerating_backup_codes_retires_the_old_ones(client):
    student = with_two_factor(UserFactory(role="student"))
    old = services.regenerate_backup_codes(user=student)
    sign_in_verified(client, student)

    response = client.post(reverse("accounts:backup_codes"))
    new = re.findall(r"<code>([a-z2-9-]{11})</code>", client.get(response.url).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(services.CodeRejected):
        services.verify_second_step(user=student, code=old[0])
    assert services.verify_second_step(user=student, code=new[0])[1] is True


# --- the second step --------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in_and_the_code_finishes_it(client):
    student = with_two_factor(UserFactory(role="student"))

    response = sign_in_with_password(client, student, next="/lessons/")
    assert response.status_code == 302 and response.url == CODE_STEP
    assert not signed_in(client)
    assert client.get("/lessons/").status_code == 302  # still signed out

    wrong = client.post(CODE_STEP, {"code": "123456"})
    assert wrong.status_code == 400 and not signed_in(client)

    with time_machine.travel(now() + dt.timedelta(seconds=2), tick=False):
        response = client.post(CODE_STEP, {"code": code_now()})
    assert response.status_code == 302 and response.url == "/lessons/"
    assert signed_in(client)
    assert client.get("/lessons/").wsgi_request.user.is_verified()


def test_the_code_step_waits_five_minutes(client):
    student = with_two_factor(UserFactory(role="student"))
    sign_in_with_password(client, student)

    with time_machine.travel(now() + dt.timedelta(minutes=6), tick=False):
        response = client.post(CODE_STEP, {"code": code_now()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "sign in again" in response.content.decode()
    assert not signed_in(client)


def test_a_throttled_code_step_answers_the_same_whatever_it_is_sent(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_code": {"limit": 3, "period": 3600, "burst": 3}}
    student = with_two_factor(UserFactory(role="student"))
    sign_in_with_password(client, student)
    clock = now()
    for attempt in range(3):  # three wrong codes, each after django-otp's own growing delay
        clock += dt.timedelta(seconds=10)
        with time_machine.travel(clock, tick=False):
            assert client.post(CODE_STEP, {"code": f"00000{attempt}"}).status_code == 400

    clock += dt.timedelta(seconds=10)
    with time_machine.travel(clock, tick=False):
        wrong = client.post(CODE_STEP, {"code": "999999"})
        right = client.post(CODE_STEP, {"code": code_now()})
    assert wrong.status_code == right.status_code == 429
    assert without_csrf(wrong.content) == without_csrf(right.content)  # the same page
    assert "Too many attempts" in right.content.decode()
    assert TOTPDevice.objects.get(user=student).last_t == -1  # the right code was never checked
    assert not signed_in(client)


def test_a_backup_code_signs_in_once_and_is_emailed_and_audited(client, mailoutbox, django_capture_on_commit_callbacks):
    student = with_two_factor(UserFactory(role="student"))
    codes = services.regenerate_backup_codes(user=student)
    sign_in_with_password(client, student)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CODE_STEP, {"code": codes[3].upper().replace("-", " ")}, follow=True)
    assert signed_in(client)
    assert "9 left" in response.content.decode()
    assert [mail.subject for mail in mailoutbox] == ["A backup code was used to sign in"]
    assert AuditLog.objects.get(action="use_backup_code").after == {"left": 9}

    client.logout()
    sign_in_with_password(client, student)
    again = client.post(CODE_STEP, {"code": codes[3]})
    assert again.status_code == 400 and not signed_in(client)


def test_a_trusted_browser_skips_the_code_for_thirty_days(client):
    student = with_two_factor(UserFactory(role="student"))
    sign_in_with_password(client, student)
    response = client.post(CODE_STEP, {"code": code_now(), "trust_browser": "on"})
    cookie = response.cookies[TRUST_COOKIE]
    assert cookie["httponly"] and int(cookie["max-age"]) == 30 * 24 * 3600

    log_out_keeping_trust(client, cookie.value)
    response = sign_in_with_password(client, student)
    assert response.url != CODE_STEP and signed_in(client)
    assert client.get("/lessons/").wsgi_request.user.is_verified()

    log_out_keeping_trust(client, cookie.value)
    with time_machine.travel(now() + dt.timedelta(days=31), tick=False):
        assert sign_in_with_password(client, student).url == CODE_STEP  # trust ran out


def test_a_reset_voids_every_trusted_browser(client):
    student = with_two_factor(UserFactory(role="student"))
    trust = services.trusted_browser_token(selectors.authenticator(student))
    client.cookies[TRUST_COOKIE] = trust
    assert sign_in_with_password(client, student).url != CODE_STEP

    services.staff_reset_two_factor(user=student, actor=UserFactory(is_staff=True), reason="lost phone")
    with_two_factor(student)  # the same key again, but a new device: the old trust is void
    log_out_keeping_trust(client, trust)
    assert sign_in_with_password(client, student).url == CODE_STEP


def test_staff_are_asked_for_the_code_on_every_sign_in(client):
    staff = with_two_factor(UserFactory(is_staff=True))
    sign_in_with_password(client, staff)
    step = client.get(CODE_STEP)
    assert "trust_browser" not in step.content.decode()
    response = client.post(CODE_STEP, {"code": code_now(), "trust_browser": "on"})
    assert signed_in(client) and TRUST_COOKIE not in response.cookies

    log_out_keeping_trust(client, services.trusted_browser_token(selectors.authenticator(staff)))
    assert sign_in_with_password(client, staff).url == CODE_STEP


def log_out_keeping_trust(client, trust: str) -> None:
    """Sign out as a browser does: the test client's logout forgets every cookie, a browser keeps ours."""
    client.logout()
    client.cookies[TRUST_COOKIE] = trust


def test_a_forged_or_foreign_trust_cookie_is_ignored(client):
    student, other = with_two_factor(UserFactory(role="student")), with_two_factor(UserFactory(role="student"))
    other_token = services.trusted_browser_token(selectors.authenticator(other))
    client.cookies[TRUST_COOKIE] = other_token
    assert sign_in_with_password(client, student).url == CODE_STEP
    client.cookies[TRUST_COOKIE] = other_token[:-2] + "xx"
    assert sign_in_with_password(client, student).url == CODE_STEP


# --- turning it off -----------------------------------------------------------------------------


def test_a_student_turns_it_off_with_password_and_code(client, mailoutbox, django_capture_on_commit_callbacks):
    student = with_two_factor(UserFactory(role="student"))
    sign_in_verified(client, student)
    url = reverse("accounts:two_factor_disable")

    wrong_password = client.post(url, {"password": "nope", "code": code_now()})
    assert wrong_password.status_code == 400 and "not your password" in wrong_password.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"password": TEST_PASSWORD, "code": code_now()})
    assert response.status_code == 302
    assert not selectors.has_two_factor(student)
    assert AuditLog.objects.filter(action="disable_2fa", actor=student).exists()
    assert [mail.subject for mail in mailoutbox] == ["Two-factor sign-in was turned off"]


def test_staff_cannot_turn_it_off(client):
    staff = staff_signed_in(client)
    response = client.post(reverse("accounts:two_factor_disable"), {"password": TEST_PASSWORD, "code": code_now()})
    assert response.status_code == 409
    assert selectors.has_two_factor(staff)


# --- staff must have it ---------------------------------------------------------------------------


def test_staff_without_two_factor_are_sent_to_set_it_up_before_anything_else(client):
    staff = UserFactory(role="support", is_staff=True)
    response = sign_in_with_password(client, staff, next="/admin/")
    assert signed_in(client)

    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_setup"))
    assert client.get("/lessons/").url.startswith(reverse("accounts:two_factor_setup"))
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_required"

    setup = client.get(reverse("accounts:two_factor_setup"))
    assert "Staff accounts sign in with a code" in setup.content.decode()
    key = TOTPDevice.objects.get(user=staff, confirmed=False).key
    client.post(reverse("accounts:two_factor_setup"), {"code": code_now(key)})
    assert client.get("/admin/").status_code == 200


def test_a_staff_session_without_the_second_step_is_sent_to_it(client):
    staff = with_two_factor(UserFactory(role="admin", is_staff=True))
    client.force_login(staff)  # the password step only

    response = client.get("/admin/bookings/booking/")
    assert response.status_code == 302 and response.url.startswith(CODE_STEP)
    response = client.post(response.url, {"code": code_now()})
    assert response.status_code == 302 and response.url == "/admin/bookings/booking/"
    assert client.get("/admin/bookings/booking/").status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_staff_session(rf):
    staff = UserFactory(role="admin", is_staff=True)
    request = rf.get("/admin/")
    request.user = staff
    staff.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    staff.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_a_signed_in_student_opening_the_admin_is_refused_not_looped(client):
    client.force_login(UserFactory(role="student"))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2


# --- staff reset ---------------------------------------------------------------------------------


def test_support_resets_a_lost_phone_from_the_admin_audited_and_emailed(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    person = with_two_factor(UserFactory(role="student"))
    services.regenerate_backup_codes(user=person)
    support = staff_signed_in(client, "support")
    change = client.get(reverse("admin:accounts_user_change", args=[person.pk])).content.decode()
    url = reverse("admin:accounts_user_reset_two_factor", args=[person.pk])
    assert url in change

    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert selectors.has_two_factor(person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Lost phone; checked by a call"})
    assert response.status_code == 302
    assert not selectors.has_two_factor(person) and not BackupCode.objects.filter(user=person).exists()
    audit = AuditLog.objects.get(action="reset_2fa")
    assert (audit.actor, audit.target_id, audit.reason) == (support, person.pk, "Lost phone; checked by a call")
    assert [mail.subject for mail in mailoutbox] == ["Our staff reset your two-factor sign-in"]


def test_finance_staff_cannot_reset_two_factor(client):
    person = with_two_factor(UserFactory(role="student"))
    staff_signed_in(client, "finance")
    response = client.post(reverse("admin:accounts_user_reset_two_factor", args=[person.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert selectors.has_two_factor(person)


def test_no_admin_page_shows_authenticator_keys(client):
    staff_signed_in(client)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
