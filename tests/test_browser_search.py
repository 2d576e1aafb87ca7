"""A student searches in their own words in a real browser: the chips say what was understood,
results are instructors with open times, a chip comes off, an empty search says what to widen;
then they open a result and book it, and the search analytics record every step."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from availability.selectors import week_start_of
from bookings.tests.factories import give_card
from core.timeutil import local_today
from instructors.catalog import load_areas, load_catalog
from instructors.models import Neighborhood, Service
from instructors.tests.factories import live_instructor
from search.models import InteractionKind, SearchEvent, SearchHistory, SearchInteraction
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NY = "America/New_York"


def open_evenings(profile, days):
    profile.min_notice_minutes = 0
    profile.save(update_fields=["min_notice_minutes"])
    for week_start in sorted({week_start_of(day) for day in days}):
        week = {day: [(17 * 60, 21 * 60)] for day in days if week_start_of(day) == week_start}
        availability_services.save_week(profile=profile, week_start=week_start, days=week)


@pytest.fixture
def guitarists():
    load_catalog()
    load_areas()
    guitar = Service.objects.get(slug="guitar")
    lena = live_instructor(
        first_name="Lena",
        last_name="Okafor",
        services=[guitar],
        rate_cents=70_00,
        neighborhoods=[Neighborhood.objects.get(slug="park-slope")],
        location_types=("student_location", "online"),
        timezone=NY,
    )
    marco = live_instructor(
        first_name="Marco",
        last_name="Rossi",
        services=[guitar],
        rate_cents=140_00,
        neighborhoods=[Neighborhood.objects.get(slug="harlem")],
        timezone=NY,
    )
    tomorrow = local_today(NY) + dt.timedelta(days=1)
    open_evenings(lena, [tomorrow, tomorrow + dt.timedelta(days=1)])
    return lena, marco


# Headless chromium says "HeadlessChrome", which analytics rightly count as a bot (no history).
PHONE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=PHONE_USER_AGENT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_student_searches_in_words_refines_and_books_from_a_result(live_server, phone, guitarists):
    page = phone
    lena, _ = guitarists
    student = UserFactory(email="maya@example.com", first_name="Maya", timezone=NY)
    give_card(student)
    log_in(page, live_server.url, student)

    page.get_by_role("searchbox").first.fill("guitar lessons in brooklyn under $100 tomorrow evening")
    page.get_by_role("searchbox").first.press("Enter")
    understood = page.get_by_label("What we understood")
    for label in ["Guitar", "Brooklyn", "Under $100/hr", "Tomorrow evening"]:
        expect(understood.get_by_text(label, exact=True)).to_be_visible()
    expect(page.get_by_text("1 instructor with open times")).to_be_visible()
    expect(page.get_by_role("link", name="Lena O.")).to_be_visible()
    expect(page.locator(".time-chips time").first).to_have_text(re.compile(r"5:00 p\.m\.|5:00 PM"))
    keep_a_picture(page, "search-phone-results")

    # Taking "Brooklyn" off widens to every guitarist.
    page.get_by_role("link", name="Remove Tomorrow evening").click()
    page.get_by_role("link", name="Remove Brooklyn").click()
    expect(page.get_by_text("1 instructor")).to_be_visible()  # Marco costs more than $100
    page.get_by_role("link", name="Remove Under $100/hr").click()
    expect(page.get_by_text("2 instructors")).to_be_visible()

    # A search nobody matches says so and offers what to widen.
    page.get_by_role("searchbox").first.fill("guitar in narnia")
    page.get_by_role("searchbox").first.press("Enter")
    expect(page.get_by_text("No instructors match yet")).to_be_visible()
    expect(page.get_by_role("link", name="Without “Narnia”")).to_be_visible()
    keep_a_picture(page, "search-phone-empty")
    page.get_by_role("link", name="Without “Narnia”").click()
    expect(page.get_by_text("2 instructors")).to_be_visible()

    # Recent searches are offered under the box, and the result leads to a booking.
    expect(page.get_by_role("navigation", name="Your recent searches")).to_contain_text("guitar in narnia")
    page.get_by_role("link", name="Lena O.").click()
    expect(page.get_by_role("heading", name="Lena O.")).to_be_visible()
    # Booked from the profile's own widget, which loads in place (htmx).
    page.locator("#booking-times details[open] button.time-slot").first.click()
    page.wait_for_url(re.compile(r"/bookings/\w+/checkout/$"))
    page.get_by_label("Online").check()
    page.get_by_role("button", name=re.compile(r"^Book for")).click()
    expect(page.get_by_text("You're booked!")).to_be_visible()

    assert SearchHistory.objects.filter(user=student, normalized_query="guitar in narnia").exists()
    zero = SearchEvent.objects.get(user=student, normalized_query="guitar in narnia")
    assert zero.result_count == 0 and zero.ip_hash and zero.device_type == "mobile"
    steps = set(SearchInteraction.objects.filter(instructor=lena).values_list("kind", flat=True))
    assert steps == {
        InteractionKind.RESULT_CLICKED,
        InteractionKind.PROFILE_VIEWED,
        InteractionKind.BOOKING_STARTED,
        InteractionKind.BOOKED,
    }


def test_search_on_a_desktop_shows_the_refine_panel_and_edits_a_chip(live_server, browser, guitarists):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/search/?q=guitar+in+brooklyn+under+%2480")
    refine = page.get_by_role("complementary")
    expect(refine.get_by_label("Borough")).to_have_value("brooklyn")
    expect(refine.get_by_label("Max $/hr")).to_have_value("80")
    keep_a_picture(page, "search-desktop-refine")
    refine.get_by_label("Borough").select_option("manhattan")
    refine.get_by_label("Max $/hr").fill("200")
    refine.get_by_role("button", name="Show instructors").click()
    expect(page.get_by_label("What we understood").get_by_text("Manhattan", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Marco R.")).to_be_visible()
    expect(page.get_by_role("link", name="Lena O.")).to_have_count(0)
    context.close()
