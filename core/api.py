"""API plumbing shared by every app: the error shape, pagination, permission classes."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework import parsers, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .exceptions import DomainError
from .serializers import QuerySerializer

DRF_CODES = {
    drf.ValidationError: "invalid",
    drf.ParseError: "malformed_request",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}


def exception_handler(exc, context):
    """Map every error to {"error": {"code", "message", ...}} with a 4xx status."""
    if isinstance(exc, DomainError):
        set_rollback()
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        return Response({"error": exc.as_dict()}, status=exc.status, headers=headers)
    if isinstance(exc, DjangoValidationError):  # e.g. a model's full_clean() inside a service
        exc = drf.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None  # a bug: let Django report the 500
    set_rollback()
    code = next((c for cls, c in DRF_CODES.items() if isinstance(exc, cls)), "error")
    body = {"code": code, "message": _message(exc)}
    if isinstance(exc, drf.ValidationError):
        body["message"] = "Some fields are not valid."
        body["fields"] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response({"error": body}, status=exc.status_code, headers=headers)


def _message(exc: drf.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, list) and detail:
        detail = detail[0]
    return str(detail)


class PageQuerySerializer(QuerySerializer):
    page = serializers.IntegerField(min_value=1, required=False, help_text="A page number, from 1.")
    page_size = serializers.IntegerField(
        min_value=1, max_value=100, required=False, help_text="Results per page (default 20)."
    )


class Pagination(PageNumberPagination):
    """DRF's page numbers, but `page` and `page_size` are checked (400 `invalid`, not a 404 for
    `page=0` nor a silently ignored `page_size=0`), and the schema shows the same bounds."""

    page_size = 20
    page_size_query_param = "page_size"
    last_page_strings = ()  # `page` is a number, as documented

    def get_page_size(self, request):
        return self._query(request).get("page_size", self.page_size)

    def get_page_number(self, request, paginator):
        return self._query(request).get("page", 1)

    def get_schema_operation_parameters(self, view):
        fields = PageQuerySerializer().fields
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": field.help_text,
                "schema": _integer_schema(field),
            }
            for name, field in fields.items()
        ]

    @staticmethod
    def _query(request) -> dict:
        query = PageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


def _integer_schema(field: serializers.IntegerField) -> dict:
    bounds = {"minimum": field.min_value, "maximum": field.max_value}
    return {"type": "integer", **{key: value for key, value in bounds.items() if value is not None}}


class JSONParser(parsers.JSONParser):
    """DRF's parser, but a body nested too deep for Python's parser is a 400 like any bad JSON
    (json raises RecursionError, which DRF would let through as a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise drf.ParseError("JSON parse error - the body is nested too deep.") from error
