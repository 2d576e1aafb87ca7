"""Two-factor sign-in in a real browser: a student on a phone turns it on from Settings (scanning
is replaced by typing the shown key), keeps the backup codes, and signs in again with one; a staff
member without it is sent to set it up before the console opens, and one with it reaches the admin."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from tests.browser import keep_a_picture, key_as_hex, log_in, set_up_two_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_turns_on_two_factor_and_signs_in_with_a_backup_code(live_server, page):
    student = UserFactory(role="student", email="ana@example.com", first_name="Ana")
    log_in(page, live_server.url, student)

    page.goto(live_server.url + "/accounts/settings/")
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_text("Off.")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    keep_a_picture(page, "two-factor-setup-phone")

    key_hex = key_as_hex(page.get_by_label("Setup key").inner_text())
    page.get_by_label("Code").fill("000000" if services.current_code(key_hex) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("That code didn't work.")).to_be_visible()
    page.wait_for_timeout(1_100)  # a person reads the error; django-otp's back-off is 1 s after one miss
    page.get_by_label("Code").fill(services.current_code(key_hex))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.get_by_role("list", name="Backup codes").locator("code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    keep_a_picture(page, "two-factor-backup-codes-phone")
    page.get_by_role("link", name="I've saved them").click()
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    expect(page.get_by_text("On.")).to_be_visible()

    page.context.clear_cookies()  # a new browser
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(student.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    keep_a_picture(page, "two-factor-code-step-phone")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You signed in with a backup code; 9 left.")).to_be_visible()


def test_staff_set_it_up_before_the_console_opens(live_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        staff = UserFactory(role="admin", is_staff=True, email="ops@example.com")
        page.goto(live_server.url + "/admin/")
        page.get_by_label("Email").fill(staff.email)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("Staff accounts sign in with a code as well as a password.")).to_be_visible()
        keep_a_picture(page, "two-factor-staff-must-set-up")

        set_up_two_factor(page)
        page.get_by_role("link", name="I've saved them").click()
        expect(page).to_have_url(live_server.url + "/admin/")
        expect(page.get_by_role("heading", name="Operations console")).to_be_visible()
    finally:
        context.close()
