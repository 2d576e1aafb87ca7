"""Deleting an account in a real browser, at phone and desktop widths: the page lists the lesson
that will be cancelled and what it costs, refuses a wrong password, and after the right one the
person is signed out and told; signing in again no longer works."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from bookings.tests.factories import book, open_instructor
from core.timeutil import local_today
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_student_deletes_their_account(live_server, browser, screen):
    day = local_today("America/New_York") + dt.timedelta(days=5)
    offering = open_instructor(days=[day]).offerings.get()
    student = UserFactory(role="student", email=f"ines-{screen}@example.com", first_name="Ines")
    start = dt.datetime.combine(day, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    book(student, offering, start)
    context = browser.new_context(viewport=SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, student)
        page.goto(live_server.url + "/accounts/settings/")
        page.get_by_role("link", name="Delete your account").click()
        lessons = page.get_by_role("list", name="Lessons that will be cancelled").get_by_role("listitem")
        expect(lessons).to_have_count(1)
        expect(lessons.first).to_contain_text(offering.service.name)
        keep_a_picture(page, f"delete-account-{screen}")

        page.get_by_label("Password").fill("not-my-password")
        page.get_by_label("I understand").check()
        page.get_by_role("button", name="Delete my account").click()
        expect(page.get_by_text("That is not your password.").first).to_be_visible()

        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_label("I understand").check()
        page.get_by_role("button", name="Delete my account").click()
        expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
        keep_a_picture(page, f"account-deleted-{screen}")

        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Email").fill(student.email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("do not match")).to_be_visible()
    finally:
        context.close()
