"""A student books a lesson end to end in a real browser on a phone-sized screen: the profile's
booking widget (htmx), a time in their own zone, checkout with a location, the confirmation
page, and the lesson in My Lessons."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from availability.selectors import week_start_of
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import give_card
from core.timeutil import local_today
from instructors.tests.factories import CategoryFactory, ServiceFactory, live_instructor
from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def instructor():
    piano = ServiceFactory(name="Piano", slug="piano", category=CategoryFactory(name="Music", slug="music"))
    profile = live_instructor(
        services=[piano],
        rate_cents=80_00,
        location_types=("student_location", "online"),
        first_name="Lena",
        last_name="Okafor",
        timezone="America/New_York",
    )
    profile.min_notice_minutes = 0
    profile.save(update_fields=["min_notice_minutes"])
    today = local_today("America/New_York")
    days = [today + dt.timedelta(days=offset) for offset in range(1, 9)]
    for week_start in sorted({week_start_of(day) for day in days}):
        week = {day: [(9 * 60, 17 * 60)] for day in days if week_start_of(day) == week_start}
        availability_services.save_week(profile=profile, week_start=week_start, days=week)
    return profile


def test_student_books_a_lesson_and_sees_it_in_my_lessons(live_server, page, instructor):
    student = UserFactory(email="maya@example.com", first_name="Maya", timezone="America/Chicago")
    give_card(student)  # a saved test Visa: checkout preselects it

    log_in(page, live_server.url, student)
    expect(page.get_by_role("link", name="My lessons")).to_be_visible()

    page.goto(live_server.url + f"/instructors/{instructor.pk}/")
    expect(page.get_by_role("heading", name="Lena O.")).to_be_visible()
    # The widget loads in place (htmx) with times in the student's own zone.
    expect(page.get_by_text("Times in your zone (America/Chicago); instructor is in America/New_York")).to_be_visible()
    page.get_by_label("30 min · $40").check()
    # The widget reloads with the times of a 30-minute lesson.
    expect(page.locator('#booking-times input[name="duration"][value="30"]')).to_be_attached()

    week_label = page.locator(".week-label")
    this_week = week_label.inner_text()
    page.get_by_role("link", name="Next week").click()
    expect(week_label).not_to_have_text(this_week)
    page.get_by_role("link", name="Previous week").click()
    expect(week_label).to_have_text(this_week)

    first_time = page.locator("details[open] button.time-slot").first
    expect(first_time).to_have_text(re.compile(r"^8:00 AM"))  # 9:00 in New York is 8:00 in Chicago
    first_time.click()

    page.wait_for_url(re.compile(r"/bookings/\w+/checkout/$"))
    expect(page.get_by_text("Held for you until")).to_be_visible()
    expect(page.get_by_text("Test mode: no payment is taken.")).to_be_visible()
    page.get_by_label("At the student's location").check()
    page.get_by_role("button", name="Book for $40").click()
    expect(page.get_by_text("Tell your instructor the address for the lesson.")).to_be_visible()
    page.get_by_role("textbox", name="Address").fill("250 W 85th St, Apt 4B")
    page.get_by_role("button", name="Book for $40").click()

    expect(page.get_by_text("You're booked!")).to_be_visible()
    expect(page.get_by_role("heading", name="Piano with Lena O.")).to_be_visible()
    expect(page.get_by_text("250 W 85th St, Apt 4B")).to_be_visible()
    expect(page.get_by_text(re.compile(r"for your instructor \(America/New_York\)"))).to_be_visible()
    assert "Okafor" not in page.content()

    page.get_by_role("link", name="My lessons").first.click()
    upcoming = page.get_by_role("region", name="Upcoming")
    expect(upcoming.get_by_role("link", name="Piano with Lena O.")).to_be_visible()
    expect(upcoming.get_by_text("8:00 AM – 8:30 AM")).to_be_visible()

    booking = Booking.objects.get(student=student)
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.location_type, booking.location_address) == ("student_location", "250 W 85th St, Apt 4B")
    assert booking.duration_minutes == 30 and booking.price_cents == 40_00
