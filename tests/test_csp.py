"""The Content-Security-Policy and Permissions-Policy: on every response, strict for scripts, and
every page (the admin and the API docs too) works under it in a real browser without a violation."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory, sign_in_verified
from bookings.tests.factories import book, open_instructor
from core.timeutil import local_today
from messaging.tests.factories import conversation_between

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVALUATED_HTMX = re.compile(r"hx-on|hx-vals=['\"]js:|hx-trigger=\"[^\"]*\[", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/does-not-exist/", "/api/v1/instructors/", "/healthz"])
def test_every_response_carries_a_strict_policy(client, path):
    response = client.get(path)

    rules = policy(response)
    assert rules["script-src"] == ["'self'", "https://js.stripe.com"]
    assert "'unsafe-inline'" not in rules["style-src"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert rules["object-src"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_needs_inline_script_style_or_eval():
    """Inline <script>, on* handlers, style attributes and htmx expressions (hx-on, js: values,
    [conditions] in triggers) all need 'unsafe-inline' or eval: keep them out of every template."""
    offenders = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text()
            for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE, EVALUATED_HTMX):
                offenders += [f"{template.relative_to(folder)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def signed_in_context(browser, live_server, user):
    """A browser context signed in as `user`, second step passed (a test client's session cookie)."""
    client = Client()
    sign_in_verified(client, user)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def violations_on(context, live_server, paths) -> list[str]:
    """Visit each path, let its scripts run (polls included), and collect what the browser
    reports as a CSP violation."""
    found = []
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status < 500, path
        page.wait_for_load_state("networkidle")
    context.close()
    return found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_of_every_role_run_under_the_policy_without_a_violation(browser, live_server):
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    profile = open_instructor(days=[tomorrow + dt.timedelta(days=n) for n in range(3)])
    offering = profile.offerings.get()
    student = UserFactory(role="student")
    lesson = book(student, offering, dt.datetime.combine(tomorrow, dt.time(15), tzinfo=dt.UTC))
    held = book(student, offering, dt.datetime.combine(tomorrow, dt.time(18), tzinfo=dt.UTC), confirm=False)
    conversation = conversation_between(student=student, instructor=profile.user)
    staff = UserFactory(is_staff=True, is_superuser=True)

    anonymous = [
        "/",
        "/search/?q=lesson",
        "/search/?q=tomorrow+evening+in+narnia",
        "/services/",
        f"/instructors/{profile.pk}/",
        "/accounts/login/",
        "/nope/",
    ]
    as_student = [
        "/",
        f"/search/?q={offering.service.name}",
        "/search/history/",
        f"/instructors/{profile.pk}/book/",
        "/lessons/",
        f"/bookings/{lesson.pk}/",
        f"/bookings/{lesson.pk}/reschedule/",
        f"/bookings/{held.pk}/checkout/",
        f"/messages/{conversation.pk}/",
        "/account/cards/",
        "/account/cards/add/",
        "/account/data/",
        "/account/delete/",
        "/accounts/sessions/",
        "/accounts/two-factor/",
        "/accounts/two-factor/setup/",
        "/teach/",  # the wrong role: the site's own 403 page
    ]
    as_instructor = ["/teach/", "/teach/calendar/", "/teach/bookings/", "/teach/earnings/", "/teach/profile/"]
    as_staff = [
        "/admin/",
        "/admin/bookings/booking/",
        f"/admin/bookings/booking/{lesson.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/core/ratelimitrule/",
        "/admin/search/searchevent/",
        "/admin/search/searchevent/top-queries/",
        "/admin/search/searchevent/conversion/",
        f"/admin/privacy/exportrequest/erase/{student.pk}/",
        "/api/v1/docs/",
    ]

    found = violations_on(browser.new_context(), live_server, anonymous)
    found += violations_on(signed_in_context(browser, live_server, student), live_server, as_student)
    found += violations_on(signed_in_context(browser, live_server, profile.user), live_server, as_instructor)
    found += violations_on(signed_in_context(browser, live_server, staff), live_server, as_staff)

    assert found == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_under_the_policy(browser, live_server):
    page = signed_in_context(browser, live_server, UserFactory(is_staff=True)).new_page()
    page.goto(live_server.url + "/api/v1/docs/")

    expect(page.locator(".opblock").first).to_be_visible()
