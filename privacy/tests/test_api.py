import datetime as dt

import pytest

from accounts.tests.factories import UserFactory
from privacy import services
from privacy.models import ExportRequest, ExportStatus

from .conftest import unzip

pytestmark = pytest.mark.django_db
EXPORT = "/api/v1/privacy/export/"


@pytest.fixture
def api(client, student):
    client.force_login(student)
    return client


def download_path(export_id: str) -> str:
    return f"{EXPORT}{export_id}/download/"


def test_asking_is_accepted_with_the_requests_state(api, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(EXPORT)

    assert response.status_code == 202
    export = ExportRequest.objects.get(user=student)
    assert response.json() == {
        "id": export.pk,
        "status": "requested",
        "progress": 0,
        "created_at": "2026-12-01T12:00:00Z",
        "finished_at": None,
        "expires_at": None,
        "download_url": None,
    }


def test_the_latest_export_has_a_download_url_once_ready(api, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(EXPORT)
    export = ExportRequest.objects.get(user=student)

    body = api.get(EXPORT).json()

    assert (body["id"], body["status"], body["progress"]) == (export.pk, "ready", 100)
    assert body["expires_at"] == "2026-12-02T12:00:00Z"
    assert body["download_url"] == f"http://testserver{download_path(export.pk)}"


def test_the_download_is_the_zip_as_an_attachment(api, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(EXPORT)
    export = ExportRequest.objects.get(user=student)

    response = api.get(download_path(export.pk), HTTP_ACCEPT="application/zip")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert unzip(response.content)["account.json"]["id"] == student.pk


def test_nothing_asked_yet_is_a_404_with_a_code(api):
    response = api.get(EXPORT)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_export"


def test_a_second_request_while_building_is_a_409(api, student):
    services.request_export(user=student)

    response = api.post(EXPORT)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_in_progress"


def test_a_fourth_export_in_a_day_is_a_429_with_retry_after(api, student):
    for _ in range(3):
        services.build_export(services.request_export(user=student).pk)

    response = api.post(EXPORT)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_exports"
    assert response["Retry-After"] == str(24 * 3600)


def test_someone_elses_download_is_a_404_even_with_a_zip_accept_header(
    client, student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user=student)
    client.force_login(UserFactory(role="student"))

    response = client.get(download_path(export.pk), HTTP_ACCEPT="application/zip")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "export_not_found"


def test_an_expired_download_is_a_410(api, student, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.request_export(user=student)
    clock.shift(dt.timedelta(hours=25))

    response = api.get(download_path(export.pk))

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "export_expired"
    assert api.get(EXPORT).json()["status"] == ExportStatus.EXPIRED


def test_an_unfinished_download_is_a_409(api, student):
    export = services.request_export(user=student)

    response = api.get(download_path(export.pk))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "export_not_ready"


def test_signed_out_callers_are_refused(client):
    for response in (client.get(EXPORT), client.post(EXPORT), client.get(download_path("01J0000000000000000000000"))):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_authenticated"


def test_the_api_and_the_page_show_the_same_export(api, student, django_capture_on_commit_callbacks):
    """Asked on the page, seen on the API; asked on the API, seen on the page: one service."""
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/account/data/")
    first = ExportRequest.objects.get(user=student)
    assert api.get(EXPORT).json()["id"] == first.pk

    with django_capture_on_commit_callbacks(execute=False):
        second = api.post(EXPORT).json()

    page = api.get("/account/data/").content.decode()
    assert second["id"] != first.pk
    assert "Preparing your data" in page and f'value="{second["progress"]}"' in page
    assert api.post("/account/data/").status_code == api.post(EXPORT).status_code == 409
