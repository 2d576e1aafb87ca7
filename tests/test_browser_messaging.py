"""Two people exchange messages in real browsers, side by side: a student (on a phone) writes to
an instructor from the profile; the instructor (on a desktop) sees the header badge and the
inbox update without reloading, opens the conversation and replies; the student sees the reply
appear, then the badge count a new message while reading the inbox. Nobody reloads a page."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from instructors.tests.factories import live_instructor
from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL_WAIT = 20_000  # ms: the badge polls every 10 s, a conversation every 5 s


def signed_in_page(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server.url, user)
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    return context, page


def mark_no_reload(page):
    page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__stillTheSamePage === true"), "the page was reloaded"


def test_a_student_and_an_instructor_exchange_messages(live_server, browser):
    profile = live_instructor(first_name="Lena", last_name="Okafor")
    student = UserFactory(role="student", first_name="Maya", last_name="Chenowith")
    student_context, student_page = signed_in_page(browser, live_server, student, {"width": 390, "height": 844})
    teacher_context, teacher_page = signed_in_page(browser, live_server, profile.user, {"width": 1280, "height": 900})
    try:
        # The instructor waits in the inbox.
        teacher_page.goto(live_server.url + "/messages/")
        expect(teacher_page.get_by_text("No conversations yet.")).to_be_visible()
        mark_no_reload(teacher_page)

        # The student writes from the instructor's profile.
        student_page.goto(live_server.url + f"/instructors/{profile.pk}/")
        student_page.get_by_role("link", name="Message Lena").click()
        expect(student_page.get_by_role("heading", name="Message Lena")).to_be_visible()
        student_page.get_by_label("Your message").fill("Hi Lena! Do you teach adult beginners?")
        student_page.get_by_role("button", name="Send message").click()
        expect(student_page).to_have_url(re.compile(r"/messages/\w{26}/$"))
        expect(student_page.locator(".msg-mine")).to_contain_text("Do you teach adult beginners?")
        expect(student_page.locator(".receipt")).to_have_text("Sent")
        mark_no_reload(student_page)

        # Without reloading, the instructor's badge says 1 and the inbox lists the conversation.
        badge = teacher_page.get_by_role("link", name="Messages, 1 unread")
        expect(badge).to_be_visible(timeout=POLL_WAIT)
        expect(teacher_page.locator(".convo-row")).to_contain_text("Do you teach adult beginners?")
        assert_not_reloaded(teacher_page)

        # The instructor opens it (which reads it: no more badge) and replies.
        teacher_page.get_by_role("link", name=re.compile(r"Maya C\.")).click()
        expect(teacher_page.locator(".msg-theirs")).to_contain_text("Do you teach adult beginners?")
        expect(teacher_page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
        teacher_page.get_by_label("Your message").fill("Yes, all levels! When are you free?")
        teacher_page.get_by_role("button", name="Send").click()
        expect(teacher_page.locator(".msg-mine")).to_contain_text("When are you free?")
        expect(teacher_page.get_by_label("Your message")).to_have_value("")
        mark_no_reload(teacher_page)

        # The student sees the reply appear (and the own message turn "Seen"), no reload.
        expect(student_page.locator(".msg-theirs")).to_contain_text("When are you free?", timeout=POLL_WAIT)
        expect(student_page.locator(".receipt")).to_have_text("Seen")  # under Maya's last message
        expect(student_page.get_by_role("link", name="Messages", exact=True)).to_be_visible()  # read here
        assert_not_reloaded(student_page)

        # The instructor sees their reply marked Seen, without reloading.
        expect(teacher_page.locator(".receipt")).to_have_text("Seen", timeout=POLL_WAIT)
        assert_not_reloaded(teacher_page)

        # The student goes to the inbox; a new message lights the badge there too.
        student_page.get_by_role("link", name="Messages", exact=True).click()
        expect(student_page.locator(".convo-row")).to_contain_text("When are you free?")
        mark_no_reload(student_page)
        teacher_page.get_by_label("Your message").fill("Saturday at 10 works for me.")
        teacher_page.get_by_label("Your message").press("Enter")  # Enter sends on a desktop
        expect(teacher_page.locator(".msg-mine").last).to_contain_text("Saturday at 10 works for me.")
        expect(student_page.get_by_role("link", name="Messages, 1 unread")).to_be_visible(timeout=POLL_WAIT)
        expect(student_page.locator(".convo-row")).to_contain_text("Saturday at 10 works for me.")
        assert_not_reloaded(student_page)
    finally:
        student_context.close()
        teacher_context.close()
