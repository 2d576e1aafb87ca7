"""The one place a domain error reaching an HTML view becomes a page: the service's sentence, a
way back, the error's own 4xx; API paths are left to the API's JSON handler."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from core.exceptions import Conflict, Forbidden, RateLimited
from core.middleware import DomainErrorMiddleware

pytestmark = pytest.mark.django_db


def handle(error, path="/bookings/x/cancel/", **headers):
    request = RequestFactory().post(path, **headers)
    request.user = AnonymousUser()
    return DomainErrorMiddleware(lambda r: None).process_exception(request, error)


def test_the_page_says_why_with_the_errors_status_and_a_way_back():
    response = handle(Conflict("This request has expired."), HTTP_REFERER="http://testserver/teach/bookings/")
    body = response.content.decode()
    assert response.status_code == 409
    assert "This request has expired." in body and "That can&#x27;t be done right now" in body
    assert 'href="http://testserver/teach/bookings/"' in body
    assert handle(Forbidden()).status_code == 403


def test_a_way_back_never_leaves_the_site():
    body = handle(Conflict("No."), HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in body and 'href="/"' in body


def test_a_rate_limit_says_when_to_come_back():
    response = handle(RateLimited(retry_after=30))
    assert (response.status_code, response["Retry-After"]) == (429, "30")


def test_api_paths_and_other_errors_are_not_its_business():
    assert handle(Conflict("No."), path="/api/v1/bookings/x/cancel/") is None
    assert handle(ValueError("a bug")) is None
