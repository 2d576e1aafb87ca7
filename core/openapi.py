"""The API schema documents every status a route can answer, from one place.

`ApiAutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds the errors any operation can give,
in core.api.exception_handler's shape, worked out from the view itself: its permission classes,
its method, its path parameters and its pagination. A view's own `@extend_schema(responses=...)`
adds to that: a status only some views answer (409, 402, 429 ...), or more reasons for a shared
one (an `error_response()` for 400 lists that view's own codes after the shared ones).

`ConstrainedFilterExtension` carries a filter's declared bounds (min_value, max_value,
max_length) into the schema, so a filterset's one declaration both validates and documents; an
optional choice filter also takes "" (any), as the HTML page sends it.
"""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny

from .serializers import ApiErrorSerializer

BAD_REQUEST = (
    "The request is not valid: `invalid` (with `fields`, per field what to fix; also a control character "
    "in the address or query), or `malformed_request` (a body that cannot be parsed)."
)
NOT_SIGNED_IN = (
    "Not signed in (`not_authenticated`: the API signs in with the site's session cookie, so this is a 403, "
    "never a 401) or signed in without the permission (`forbidden`)."
)
CSRF = "A signed-in write without the session's CSRF token (`X-CSRFToken` header) is `forbidden`."
TWO_FACTOR = "A staff session that has not finished two-factor sign-in gets `two_factor_required`."
NOT_FOUND = "No such object, or not one of yours (`not_found`)."
PAGE_NOT_FOUND = "A `page` past the last one (`not_found`)."
UNSUPPORTED_MEDIA_TYPE = "A body that is not JSON, a form or multipart (`unsupported_media_type`)."


def error_response(description: str) -> OpenApiResponse:
    """An error answer in the API's error shape, for `@extend_schema(responses={status: ...})`."""
    return OpenApiResponse(ApiErrorSerializer, description=description)


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        # Here rather than in get_response_serializers(), which @extend_schema(responses=...) replaces.
        bodies = super()._get_response_bodies(direction)
        declared = self.get_response_serializers()
        declared = {_status(key): answer for key, answer in declared.items()} if isinstance(declared, dict) else {}
        for status, shared in self._shared_errors().items():
            if status in declared:
                answer = _merged(shared, declared[status])
                if answer is not declared[status]:
                    bodies[status] = self._get_response_for_code(answer, status, direction=direction)
            else:
                bodies[status] = self._get_response_for_code(shared, status, direction=direction)
        return dict(sorted(bodies.items()))

    def _shared_errors(self) -> dict[str, OpenApiResponse]:
        errors = {"400": error_response(BAD_REQUEST), "403": error_response(self._forbidden_description())}
        not_found = self._not_found_description()
        if not_found:
            errors["404"] = error_response(not_found)
        if self._reads_a_body():
            errors["415"] = error_response(UNSUPPORTED_MEDIA_TYPE)
        return errors

    def _reads_a_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None

    def _forbidden_description(self) -> str:
        # The two-factor gate (accounts.middleware) stands in front of every API route.
        reasons = [TWO_FACTOR]
        if self._requires_sign_in():
            reasons.insert(0, NOT_SIGNED_IN)
        if self._checks_csrf():
            reasons.insert(-1, CSRF)
        return " ".join(reasons)

    def _requires_sign_in(self) -> bool:
        return not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _checks_csrf(self) -> bool:
        session = any(isinstance(auth, SessionAuthentication) for auth in self.view.get_authenticators())
        return session and self.method not in SAFE_METHODS

    def _not_found_description(self) -> str:
        reasons = []
        if "{" in self.path:
            reasons.append(NOT_FOUND)
        if self._is_paginated():
            reasons.append(PAGE_NOT_FOUND)
        return " ".join(reasons)

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._get_paginator() is not None and self._is_list_view()


def _status(key) -> str:
    """`@extend_schema` keys are a status, or (status, media type) for one media type."""
    return str(key[0] if isinstance(key, tuple) else key)


def _merged(shared: OpenApiResponse, declared):
    """A view's error answer for a shared status adds its own reasons to the shared ones; any other
    answer it declares for that status replaces them."""
    if not (isinstance(declared, OpenApiResponse) and declared.response is ApiErrorSerializer):
        return declared
    return error_response(f"{shared.description} {declared.description}")


class ConstrainedFilterExtension(DjangoFilterExtension):
    """django-filter's schema, plus the bounds each filter declares (its form field enforces them)."""

    priority = 1  # chosen over drf-spectacular's own DjangoFilterExtension

    BOUNDS = {"min_value": "minimum", "max_value": "maximum", "max_length": "maxLength"}

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        bounds = {key: filter_field.extra[name] for name, key in self.BOUNDS.items() if name in filter_field.extra}
        for parameter in parameters:
            parameter["schema"].update(bounds)
            if "enum" in parameter["schema"] and not parameter.get("required"):
                # An empty choice means "any" (the HTML page's select sends it), as django-filter reads it.
                parameter["schema"]["enum"] = ["", *parameter["schema"]["enum"]]
        return parameters
