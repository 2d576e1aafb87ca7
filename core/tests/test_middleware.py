from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from core.middleware import UserTimezoneMiddleware


def zone_seen_by_view(user) -> str:
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return "response"

    request = RequestFactory().get("/")
    request.user = user
    assert UserTimezoneMiddleware(view)(request) == "response"
    return seen["zone"]


def test_signed_in_user_sees_their_own_zone():
    try:
        assert zone_seen_by_view(User(email="a@example.com", timezone="Asia/Tokyo")) == "Asia/Tokyo"
    finally:
        timezone.deactivate()


def test_anonymous_visitor_sees_the_site_default_even_after_someone_else():
    timezone.activate("Asia/Tokyo")  # left over from a previous request on this thread
    assert zone_seen_by_view(AnonymousUser()) == "UTC"


def test_user_without_a_zone_sees_the_site_default():
    timezone.activate("Asia/Tokyo")
    assert zone_seen_by_view(User(email="a@example.com", timezone="")) == "UTC"


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")
