"""In a real browser, at phone and desktop widths: a declined card keeps the student in checkout
with the bank's reason and the time held, and another card books it; moving a lesson goes through a
confirmation step that says what the move changes."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from availability.selectors import week_start_of
from bookings.models import Booking, BookingStatus, PaymentStatus
from bookings.tests.factories import book, give_card
from core.timeutil import local_today
from core.timeutil import now as current_time
from instructors.tests.factories import CategoryFactory, ServiceFactory, live_instructor
from payments.models import FailedAuthorization
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(params=list(SCREENS))
def screen(request, browser):
    context = browser.new_context(viewport=SCREENS[request.param])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield request.param, page
    context.close()


@pytest.fixture
def instructor():
    """Open around the clock from today for a week: the first times offered are under a day away."""
    drums = ServiceFactory(name="Drums", slug="drums", category=CategoryFactory(name="Music", slug="music"))
    profile = live_instructor(
        services=[drums], rate_cents=70_00, location_types=("online",), first_name="Ravi", last_name="Bose"
    )
    profile.min_notice_minutes = 0
    profile.save(update_fields=["min_notice_minutes"])
    today = local_today(profile.user.timezone)
    days = [today + dt.timedelta(days=offset) for offset in range(8)]
    for week_start in sorted({week_start_of(day) for day in days}):
        week = {day: [(0, 24 * 60)] for day in days if week_start_of(day) == week_start}
        availability_services.save_week(profile=profile, week_start=week_start, days=week)
    return profile


def test_a_declined_card_keeps_the_student_in_checkout_until_another_card_books(live_server, screen, instructor):
    name, page = screen
    student = UserFactory(email=f"nia-{name}@example.com", first_name="Nia", timezone="America/New_York")
    declines = give_card(student, "pm_card_chargeCustomerFail")  # saved first: the default
    give_card(student)  # a Visa that pays
    log_in(page, live_server.url, student)

    page.goto(live_server.url + f"/instructors/{instructor.pk}/book/")
    page.locator("details[open] button.time-slot").first.click()  # the soonest time: under a day away
    page.wait_for_url(re.compile(r"/bookings/\w+/checkout/$"))
    expect(page.get_by_text(re.compile(r"authorized for \$70 now, when you book"))).to_be_visible()
    expect(page.get_by_label(re.compile(r"Visa ending 0341"))).to_be_checked()
    page.get_by_role("button", name="Book for $70").click()

    expect(page.get_by_text("Declined: Your card was declined. Choose another card or add one.")).to_be_visible()
    expect(page.get_by_text("Held for you until")).to_be_visible()
    expect(page.get_by_text("Didn't go through")).to_be_visible()
    expect(page.get_by_text("You're booked!")).to_have_count(0)
    keep_a_picture(page, f"checkout-declined-{name}")
    booking = Booking.objects.get(student=student)
    assert booking.status == BookingStatus.HELD and FailedAuthorization.objects.filter(booking=booking).exists()

    page.get_by_label(re.compile(r"Visa ending 4242")).check()
    page.get_by_role("button", name="Book for $70").click()
    expect(page.get_by_text("You're booked!")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Your card is authorized for \$70"))).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.payment.status == PaymentStatus.AUTHORIZED
    declines.refresh_from_db()
    assert declines.failed_last_time


def test_moving_a_lesson_asks_first_and_says_what_changes(live_server, screen, instructor):
    name, page = screen
    student = UserFactory(email=f"omar-{name}@example.com", first_name="Omar", timezone="America/New_York")
    give_card(student)
    start = (current_time() + dt.timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    lesson = book(student, instructor.offerings.get(), start, location="online")
    log_in(page, live_server.url, student)

    page.goto(live_server.url + f"/bookings/{lesson.pk}/")
    page.get_by_role("link", name=re.compile("^Reschedule")).first.click()
    expect(page.get_by_text("Moving it is free")).to_be_visible()
    last_day = page.locator("details.time-day").last  # six days ahead: the move itself is free
    last_day.locator("summary").click()
    last_day.locator("button.time-slot").first.click()

    page.wait_for_url(re.compile(r"/reschedule/confirm/\?start_at="))
    expect(page.get_by_role("heading", name="Move this lesson?")).to_be_visible()
    expect(page.get_by_text("After the move, the cancellation policy counts from the new time")).to_be_visible()
    expect(page.get_by_text(re.compile(r"cancel the moved lesson for free until"))).to_be_visible()
    keep_a_picture(page, f"reschedule-confirm-{name}")
    lesson.refresh_from_db()
    assert lesson.status == BookingStatus.CONFIRMED  # nothing moved before confirming

    page.get_by_role("button", name="Move my lesson").click()
    expect(page.get_by_text("Lesson moved.")).to_be_visible()
    lesson.refresh_from_db()
    assert lesson.status == BookingStatus.RESCHEDULED
    assert Booking.objects.get(student=student, status=BookingStatus.CONFIRMED).start_at > start
