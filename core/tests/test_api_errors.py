import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core import exceptions as domain
from core.api import PageQuerySerializer, Pagination, exception_handler


def handle(exc):
    response = exception_handler(exc, {})
    assert response is not None
    error = response.data["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return response, error


@pytest.mark.parametrize(
    ("error_class", "status", "code"),
    [
        (domain.DomainError, 400, "error"),
        (domain.InvalidInput, 400, "invalid"),
        (domain.NotFound, 404, "not_found"),
        (domain.Forbidden, 403, "forbidden"),
        (domain.Conflict, 409, "conflict"),
    ],
)
def test_domain_errors_map_to_their_status_and_code(error_class, status, code):
    response, error = handle(error_class())
    assert response.status_code == status
    assert error == {"code": code, "message": error_class.default_message}
    assert "Retry-After" not in response


def test_domain_error_keeps_its_message_code_override_and_extra_data():
    exc = domain.Conflict("That time was just booked.", code="slot_unavailable", booking_id="01ABC")
    response, error = handle(exc)
    assert response.status_code == 409
    assert error == {"code": "slot_unavailable", "message": "That time was just booked.", "booking_id": "01ABC"}


def test_an_app_subclass_inherits_status_and_can_set_its_own_code():
    class SlotUnavailable(domain.Conflict):
        code = "slot_unavailable"
        default_message = "That time is no longer available."

    response, error = handle(SlotUnavailable())
    assert response.status_code == 409
    assert error["code"] == "slot_unavailable"
    assert error["message"] == "That time is no longer available."
    assert issubclass(SlotUnavailable, domain.DomainError)


def test_rate_limited_sets_retry_after_header_and_body():
    response, error = handle(domain.RateLimited("Too many attempts. Please try again in 30 seconds.", retry_after=30))
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert error == {
        "code": "rate_limited",
        "message": "Too many attempts. Please try again in 30 seconds.",
        "retry_after": 30,
    }


def test_rate_limited_requires_retry_after_and_exposes_it():
    exc = domain.RateLimited(retry_after=5)
    assert exc.retry_after == 5
    assert exc.message == domain.RateLimited.default_message
    with pytest.raises(TypeError):
        domain.RateLimited("no retry given")


def test_domain_error_str_is_its_message():
    assert str(domain.NotFound("No such booking.")) == "No such booking."


def test_validation_error_with_field_dict():
    exc = drf.ValidationError({"email": ["Enter a valid email address."], "start_time": ["Required."]})
    response, error = handle(exc)
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["message"] == "Some fields are not valid."
    assert error["fields"] == {"email": ["Enter a valid email address."], "start_time": ["Required."]}


def test_django_validation_errors_from_services_are_a_400_not_a_500():
    from django.core.exceptions import ValidationError

    response, error = handle(ValidationError({"limit": ["Ensure this value is greater than or equal to 1."]}))
    assert (response.status_code, error["code"]) == (400, "invalid")
    assert error["fields"] == {"limit": ["Ensure this value is greater than or equal to 1."]}
    response, error = handle(ValidationError("Bucket names are slugs."))
    assert error["fields"] == {"non_field_errors": ["Bucket names are slugs."]}


def test_validation_error_without_fields_goes_to_non_field_errors():
    response, error = handle(drf.ValidationError("End must be after start."))
    assert response.status_code == 400
    assert error["fields"] == {"non_field_errors": ["End must be after start."]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf.ParseError(), 400, "malformed_request"),
        (drf.NotAuthenticated(), 401, "not_authenticated"),
        (drf.AuthenticationFailed(), 401, "authentication_failed"),
        (drf.PermissionDenied(), 403, "forbidden"),
        (drf.NotFound(), 404, "not_found"),
        (drf.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (drf.NotAcceptable(), 406, "not_acceptable"),
        (drf.UnsupportedMediaType("text/csv"), 415, "unsupported_media_type"),
        (drf.Throttled(), 429, "rate_limited"),
        (drf.APIException(), 500, "error"),
    ],
)
def test_drf_exceptions_map_to_codes(exc, status, code):
    response, error = handle(exc)
    assert response.status_code == status
    assert error["code"] == code
    assert error["message"] == str(exc.detail)
    assert set(error) == {"code", "message"}


def test_method_not_allowed_message_names_the_method():
    _response, error = handle(drf.MethodNotAllowed("DELETE"))
    assert "DELETE" in error["message"]


def test_not_authenticated_keeps_www_authenticate_header():
    exc = drf.NotAuthenticated()
    exc.auth_header = 'Bearer realm="api"'
    response, _error = handle(exc)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_http404_becomes_not_found():
    response, error = handle(Http404("No Booking matches the given query."))
    assert response.status_code == 404
    assert error == {"code": "not_found", "message": str(drf.NotFound.default_detail)}


def test_django_permission_denied_becomes_forbidden():
    response, error = handle(DjangoPermissionDenied())
    assert response.status_code == 403
    assert error == {"code": "forbidden", "message": str(drf.PermissionDenied.default_detail)}


@pytest.mark.parametrize(("wait", "header"), [(30, "30"), (1.5, "2"), (0.2, "1")])
def test_throttled_sets_retry_after(wait, header):
    response, error = handle(drf.Throttled(wait=wait))
    assert response.status_code == 429
    assert response["Retry-After"] == header
    assert error["code"] == "rate_limited"


def test_throttled_without_wait_has_no_retry_after():
    response, _error = handle(drf.Throttled())
    assert "Retry-After" not in response


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyError("x"), RuntimeError(), ZeroDivisionError()])
def test_non_api_exceptions_are_left_for_django(exc):
    assert exception_handler(exc, {}) is None


# --- Through a real DRF view: the handler is the configured one -----------------------


class ConflictView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise domain.Conflict("That time was just booked.")


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):  # pragma: no cover - never reached anonymously
        raise AssertionError


def test_configured_handler_shapes_errors_raised_in_views():
    response = ConflictView.as_view()(APIRequestFactory().get("/api/v1/x"))
    assert response.status_code == 409
    assert response.data == {"error": {"code": "conflict", "message": "That time was just booked."}}


def test_anonymous_request_to_private_view_is_403_with_the_error_shape():
    # Session auth sends no WWW-Authenticate challenge, so DRF turns 401 into 403.
    response = PrivateView.as_view()(APIRequestFactory().get("/api/v1/private"))
    assert response.status_code == 403
    assert response.data["error"]["code"] == "not_authenticated"
    assert "WWW-Authenticate" not in response


def test_pagination_defaults():
    assert Pagination.page_size == 20
    assert PageQuerySerializer().fields["page_size"].max_value == 100  # more is a 400, not silently 100
    assert Pagination.page_size_query_param == "page_size"
