"""The console's new pages in a real browser at desktop width, as a staff member who signed in
with a code: the rate-limit rules in force, and deleting a person's account on their request."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.tests.factories import UserFactory, with_two_factor
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_limits_and_delete_an_account_on_request(live_server, browser):
    staff = with_two_factor(UserFactory(role="admin", is_staff=True, email="ops@example.com"))
    person = UserFactory(role="student", email="leaving@example.com", first_name="Lea")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, staff)
        page.goto(live_server.url + "/admin/core/ratelimitrule/")
        rules = page.locator("#rules-in-force")
        expect(rules.get_by_role("heading", name="Rules in force")).to_be_visible()
        expect(rules.get_by_role("cell", name="card_save_ip", exact=True)).to_be_visible()
        keep_a_picture(page, "admin-rules-in-force")

        page.goto(live_server.url + f"/admin/accounts/user/{person.pk}/change/")
        page.get_by_role("link", name="Delete the account on their request…").click()
        expect(page.get_by_text("No lessons to come.")).to_be_visible()
        page.get_by_label("Reason").fill("Email of 3 Dec; called back on the number we hold")
        keep_a_picture(page, "admin-delete-account")
        page.get_by_role("button", name="Delete the account").click()
        expect(page.get_by_text("The account is deleted; 0 lesson(s) cancelled.")).to_be_visible()
        assert User.objects.get(pk=person.pk).erased_at is not None
    finally:
        context.close()
