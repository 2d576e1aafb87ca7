"""Hostile input gets a clear 4xx, never a 500 (issue 10, item 4): control characters in ids,
slugs and query strings, anonymous and signed in, on HTML and API routes; deeply nested JSON;
over-large bodies; unmatched API paths. API routes answer the API's JSON error shape, HTML routes
the site's own pages (branded 400/403/404/500)."""

import json

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from core import views as core_views

pytestmark = pytest.mark.django_db

HTML_PATHS = [
    "/bookings/%00/",
    "/bookings/abc%00def/checkout/",
    "/services/piano%00/",
    "/instructors/%00/",
    "/instructors/%00/book/",
    "/search/?q=%00",
    "/search/?q=gui%01tar",
    "/lessons/?page=%00",
]
API_PATHS = [
    "/api/v1/bookings/%00/",
    "/api/v1/instructors/?service=%00",
    "/api/v1/public/instructors/%00/availability",
    "/api/v1/catalog/services/?q=%00",
    "/api/v1/conversations/%00/",
]


def api_error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("path", HTML_PATHS)
def test_control_characters_on_html_routes_get_the_sites_400_page(client, path, signed_in):
    if signed_in:
        client.force_login(UserFactory(role="student"))
    response = client.get(path)
    assert response.status_code == 400
    assert "InstaInstru" in response.content.decode()  # the site's own page, not Django's bare one


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("path", API_PATHS)
def test_control_characters_on_api_routes_get_a_json_400(path, signed_in):
    client = APIClient()
    if signed_in:
        client.force_login(UserFactory(role="student"))
    response = client.get(path)
    assert response.status_code == 400
    assert api_error(response)["code"] == "invalid"


def test_a_nul_in_a_posted_field_is_a_form_error_not_a_500(client):
    client.force_login(UserFactory(role="student"))
    response = client.post("/accounts/settings/", {"first_name": "Ma\x00ya", "last_name": "C", "timezone": "UTC"})
    assert response.status_code == 200 and "Null characters are not allowed." in response.content.decode()


def test_deeply_nested_json_is_a_400():
    client = APIClient()
    client.force_login(UserFactory(role="student"))
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/bookings/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert api_error(response)["code"] == "malformed_request"  # as any JSON that does not parse


def test_an_over_large_body_on_an_api_route_is_a_json_400(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = APIClient()
    client.force_login(UserFactory(role="student"))
    body = json.dumps({"note": "x" * 5000})
    response = client.post("/api/v1/bookings/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert api_error(response)["code"] in ("invalid", "too_large")


def test_an_unmatched_api_path_is_a_json_404():
    response = APIClient().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert api_error(response)["code"] == "not_found"


def test_an_api_500_answers_json_and_an_html_500_the_sites_page():
    request = RequestFactory().get("/api/v1/bookings/")
    response = core_views.server_error(request)
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"
    page = core_views.server_error(RequestFactory().get("/lessons/"))
    assert page.status_code == 500 and "InstaInstru" in page.content.decode()


def test_a_student_opening_teach_gets_the_sites_403_page(client):
    client.force_login(UserFactory(role="student"))
    response = client.get("/teach/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "InstaInstru" in body and "My lessons" in body  # the site's layout, signed in


def test_a_missing_page_is_the_sites_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "InstaInstru" in response.content.decode()
