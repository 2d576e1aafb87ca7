"""A student signs up, searches, filters the listing and opens an instructor's profile;
an instructor finishes onboarding and goes live — in a real browser, on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

from instructors.models import InstructorProfile
from instructors.tests.factories import CategoryFactory, NeighborhoodFactory, ServiceFactory, live_instructor
from tests.browser import set_up_two_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog():
    music = CategoryFactory(name="Music", slug="music")
    piano = ServiceFactory(name="Piano", slug="piano", keywords=["keyboard"], category=music)
    area = NeighborhoodFactory(name="Park Slope")
    live_instructor(services=[piano], rate_cents=55_00, first_name="Lena", last_name="Okafor", neighborhoods=[area])
    live_instructor(services=[piano], rate_cents=140_00, first_name="Marco", last_name="Rossi", neighborhoods=[area])
    return piano


def test_student_signs_up_finds_a_piano_teacher_and_opens_the_profile(live_server, page, catalog):
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("First name").fill("Maya")
    page.get_by_label("Last name").fill("Chen")
    page.get_by_label("Email").fill("maya@example.com")
    page.get_by_label("Password", exact=True).fill("piano-practice-2026")
    page.get_by_label("Repeat password").fill("piano-practice-2026")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome to InstaInstru, Maya!")).to_be_visible()

    page.get_by_label("What do you want to learn?").fill("keyboard")
    page.get_by_role("button", name="Find instructors").click()
    expect(page.get_by_label("What we understood").get_by_text("Piano", exact=True)).to_be_visible()
    expect(page.get_by_text("2 instructors")).to_be_visible()  # results are instructors, not services

    page.goto(page.url.split("/search/")[0] + "/services/piano/")
    expect(page.get_by_role("heading", name="Piano lessons")).to_be_visible()

    page.get_by_label("Max $/hr").fill("100")
    page.get_by_role("button", name="Show instructors").click()
    expect(page.get_by_text("1 instructor", exact=True)).to_be_visible()
    expect(page.get_by_text("Marco R.")).to_have_count(0)

    page.get_by_role("link", name="Lena O.").click()
    expect(page.get_by_role("heading", name="Lena O.")).to_be_visible()
    expect(page.get_by_text("$55")).to_be_visible()
    assert "Okafor" not in page.content()


def test_instructor_completes_the_checklist_and_goes_live(live_server, page, catalog):
    page.goto(live_server.url + "/accounts/signup/instructor/")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Nwosu")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("violin-lessons-99")
    page.get_by_label("Repeat password").fill("violin-lessons-99")
    page.get_by_role("button", name="Create instructor account").click()
    expect(page.get_by_text("0 of 4 done")).to_be_visible()

    page.get_by_role("link", name="Write your headline and bio").click()
    page.get_by_label("Headline").fill("Patient piano teacher for adult beginners")
    page.get_by_label("Bio").fill("Fifteen years teaching adults who always wanted to play.")
    page.get_by_label("Years of teaching experience").fill("15")
    page.get_by_role("button", name="Save profile").click()

    page.get_by_role("link", name="Add at least one service with your rate").click()
    page.get_by_label("Service", exact=True).select_option("piano")
    page.get_by_label("Hourly rate (USD)").fill("80")
    page.get_by_label("45 min").check()
    page.get_by_label("Online").check()
    page.get_by_role("button", name="Add service").click()
    expect(page.get_by_text("Piano added to your services.")).to_be_visible()

    page.get_by_role("link", name="Choose the neighborhoods you teach in").click()
    page.get_by_label("Park Slope").check()
    page.get_by_role("button", name="Save areas").click()
    expect(page.get_by_text("3 of 4 done")).to_be_visible()

    page.get_by_role("link", name="Turn on two-factor sign-in").click()
    set_up_two_factor(page)
    page.get_by_role("link", name="I've saved them").click()
    expect(page.get_by_text("4 of 4 done")).to_be_visible()
    expect(page.get_by_text(re.compile("Your profile is live"))).to_be_visible()
    assert InstructorProfile.objects.get(user__email="ada@example.com").is_live
