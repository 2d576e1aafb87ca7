"""Download your data in a real browser, on a phone: a student with a lesson asks for a copy from
Settings, watches the progress bar turn into a download button (the htmx poll, under the strict
Content-Security-Policy), and downloads the zip."""

import datetime as dt
import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from bookings.tests.factories import book, open_instructor
from core.timeutil import local_today
from privacy import services
from tests.browser import keep_a_picture, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def collect_csp_violations(page) -> list[str]:
    """What the browser reports as a Content-Security-Policy violation (as tests/test_csp.py does)."""
    found = []
    page.on(
        "console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return found


@pytest.fixture
def worker(monkeypatch) -> list[str]:
    """The test plays the Celery worker: builds are queued here instead of running inline (eager),
    so the page has something to show while it waits."""
    queued: list[str] = []
    monkeypatch.setattr(services, "_queue_build", queued.append)
    return queued


def test_a_student_downloads_their_data_on_a_phone(live_server, page, worker):
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    profile = open_instructor(days=[tomorrow])
    student = UserFactory(role="student", email="ana@example.com", first_name="Ana")
    lesson = book(student, profile.offerings.get(), dt.datetime.combine(tomorrow, dt.time(15), tzinfo=dt.UTC))
    violations = collect_csp_violations(page)
    log_in(page, live_server.url, student)

    page.goto(live_server.url + "/accounts/settings/")
    page.get_by_role("link", name="Download your data").click()
    expect(page.get_by_text("You haven't asked for a copy yet.")).to_be_visible()
    keep_a_picture(page, "privacy-export-empty-phone")

    page.get_by_role("button", name="Ask for a copy of your data").click()
    expect(page.get_by_text("We're preparing a copy of your data.")).to_be_visible()
    expect(page.get_by_text("Waiting to start")).to_be_visible()
    [export_id] = worker
    services._start_building(export_id)
    expect(page.get_by_text("5% done")).to_be_visible()  # the poll brought the new state
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "5")
    keep_a_picture(page, "privacy-export-building-phone")
    services.build_export(export_id)
    download_button = page.get_by_role("link", name="Download your data (zip")
    expect(download_button).to_be_visible()
    expect(page.get_by_text("Your data is ready.")).to_be_visible()
    keep_a_picture(page, "privacy-export-ready-phone")
    page.set_viewport_size({"width": 1280, "height": 900})  # the same page on a desktop
    expect(download_button).to_be_visible()
    keep_a_picture(page, "privacy-export-ready-desktop")

    with page.expect_download() as downloading:
        download_button.click()
    download = downloading.value
    assert download.suggested_filename.startswith("instainstru-data-")
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as archive:
        bookings = json.loads(archive.read("bookings.json"))
        assert "README.txt" in archive.namelist()
    assert [entry["id"] for entry in bookings["bookings"]] == [lesson.pk]
    assert violations == []
