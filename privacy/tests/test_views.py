import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from privacy import links, services
from privacy.models import ExportRequest, ExportStatus

from .conftest import unzip

pytestmark = pytest.mark.django_db
PAGE = "/account/data/"
POLL = "/account/data/status/"
PAGE_QUERY_BUDGET = 12  # session, user, permissions, the latest export, the header's unread badge


@pytest.fixture
def signed_in(client, student):
    client.force_login(student)
    return client


def ask(client, capture):
    """Press the page's button; the build queued on commit runs (eagerly) before this returns."""
    with capture(execute=True):
        return client.post(PAGE)


def test_the_settings_page_links_to_your_data(signed_in):
    response = signed_in.get("/accounts/settings/")

    assert 'href="/account/data/"' in response.content.decode()


def test_someone_signed_out_is_sent_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_empty_state_offers_to_ask_for_a_copy(signed_in):
    response = signed_in.get(PAGE)

    page = response.content.decode()
    assert "You haven't asked for a copy yet." in page
    assert "Ask for a copy of your data" in page
    assert f'hx-get="{POLL}"' not in page  # nothing to poll


def test_asking_shows_a_polled_progress_bar_while_it_builds(signed_in, student):
    export = services.request_export(user=student)  # its build is not run here
    services._start_building(export.pk)

    response = signed_in.get(PAGE)

    page = response.content.decode()
    assert "Preparing your data" in page
    assert '<progress id="export-progress" class="export-progress" max="100" value="5">' in page
    assert f'hx-get="{POLL}"' in page and "data-poll" in page and 'hx-trigger="every 2s' in page


def test_the_poll_stops_once_the_export_is_ready(signed_in, student):
    export = services.request_export(user=student)
    services.build_export(export.pk)

    response = signed_in.get(POLL)

    fragment = response.content.decode()
    assert 'id="export-state"' in fragment and "Your data is ready." in fragment
    assert "hx-get" not in fragment
    assert f'href="{links.download_path(export.pk)}"' in fragment


def test_the_poll_stops_when_signed_out(client):
    assert client.get(POLL).status_code == 286


def test_asking_builds_and_the_page_offers_the_download(signed_in, django_capture_on_commit_callbacks):
    response = ask(signed_in, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == PAGE
    page = signed_in.get(PAGE).content.decode()
    assert "Your data is ready." in page
    assert "Download your data (zip," in page


def test_the_link_downloads_the_zip_for_its_owner(signed_in, student, django_capture_on_commit_callbacks):
    ask(signed_in, django_capture_on_commit_callbacks)
    export = ExportRequest.objects.get(user=student)

    response = signed_in.get(links.download_path(export.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="instainstru-data-2026-12-01.zip"'
    assert unzip(response.content)["account.json"]["email"] == "ana@example.com"


def test_the_link_asks_a_signed_out_person_to_log_in_first(client, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user=student)

    response = client.get(links.download_path(export.pk))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_someone_elses_link_is_a_friendly_404(client, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user=student)
    client.force_login(UserFactory(role="student"))

    response = client.get(links.download_path(export.pk))

    assert response.status_code == 404
    assert "This download isn&#x27;t in your account" in response.content.decode()
    assert "application/zip" not in response["Content-Type"]


def test_an_expired_link_is_a_friendly_410(signed_in, student, clock, django_capture_on_commit_callbacks):
    ask(signed_in, django_capture_on_commit_callbacks)
    path = links.download_path(ExportRequest.objects.get(user=student).pk)
    clock.shift(dt.timedelta(hours=24, seconds=1))

    response = signed_in.get(path)

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    page = signed_in.get(PAGE).content.decode()
    assert "Your last download has expired" in page and "Ask for a new copy" in page


def test_a_tampered_link_is_a_friendly_400(signed_in):
    response = signed_in.get(reverse("privacy:download", args=["not-a-signed-token"]))

    assert response.status_code == 400
    assert "This link doesn&#x27;t work" in response.content.decode()


def test_a_second_request_while_building_shows_why_with_a_409(signed_in, student):
    services.request_export(user=student)

    response = signed_in.post(PAGE)

    assert response.status_code == 409
    assert "already preparing a copy of your data" in response.content.decode()
    assert ExportRequest.objects.filter(user=student).count() == 1


def test_a_failed_build_offers_to_try_again(signed_in, student):
    export = services.request_export(user=student)
    services._finish_as_failed([export.pk])

    page = signed_in.get(PAGE).content.decode()

    assert "Something went wrong" in page and "Try again" in page
    assert ExportRequest.objects.get(pk=export.pk).status == ExportStatus.FAILED


def test_the_page_and_the_poll_take_a_bounded_number_of_queries(
    signed_in, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(2):  # earlier exports must not cost more queries
        ask(signed_in, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert signed_in.get(PAGE).status_code == 200
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert signed_in.get(POLL).status_code == 200
