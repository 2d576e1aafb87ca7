"""Where you're signed in, in real browsers: a person signed in on a laptop and a phone signs the
laptop out from the phone, and the laptop is asked to sign in again at its next click."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_signs_another_browser_out(live_server, browser, page):
    person = UserFactory(role="student", email="noor@example.com", first_name="Noor")
    laptop_context = browser.new_context(viewport={"width": 1280, "height": 900})
    laptop = laptop_context.new_page()
    laptop.set_default_timeout(10_000)
    try:
        log_in(laptop, live_server.url, person)
        log_in(page, live_server.url, person)  # the phone

        page.goto(live_server.url + "/accounts/settings/")
        page.get_by_role("link", name="Where you're signed in").click()
        rows = page.get_by_role("list", name="Signed-in browsers").get_by_role("listitem")
        expect(rows).to_have_count(2)
        expect(page.get_by_text("This browser")).to_have_count(1)
        keep_a_picture(page, "sessions-phone")

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Sign out of all other browsers").click()
        expect(page.get_by_text("Signed out of 1 other browser.")).to_be_visible()
        expect(rows).to_have_count(1)

        laptop.goto(live_server.url + "/lessons/")
        expect(laptop).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        laptop_context.close()
