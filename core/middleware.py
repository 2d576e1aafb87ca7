from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from . import ratelimit
from .exceptions import DomainError
from .text import has_control_characters
from .views import bad_request


class UserTimezoneMiddleware:
    """Show times in the signed-in user's own zone; anonymous visitors see UTC-stored
    instants in the site default until they sign in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.timezone:
            timezone.activate(user.timezone)
        else:
            timezone.deactivate()
        return self.get_response(request)


PROBLEM_TITLES = {
    400: "That didn't work",
    402: "The payment didn't go through",
    403: "That's not something you can do",
    404: "We couldn't find that",
    409: "That can't be done right now",
    429: "Too many attempts",
    503: "Please try again in a few minutes",
}


class DomainErrorMiddleware:
    """The one place a domain error that reaches an HTML view becomes a page: the service's own
    sentence, a way back (`request.back_url` when the view set one, else the page it came from),
    and the error's 4xx status (403, 404, 409...). Form views put errors on their form instead
    (core.forms.submit); API views answer JSON (core.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        response = render(
            request,
            "errors/problem.html",
            {
                "title": PROBLEM_TITLES.get(exception.status, PROBLEM_TITLES[400]),
                "message": exception.message,
                "back_url": getattr(request, "back_url", "") or _safe_referer(request),
            },
            status=exception.status,
        )
        if "retry_after" in exception.extra:
            response["Retry-After"] = str(exception.extra["retry_after"])
        return response


def _safe_referer(request) -> str:
    """Where the person came from, when that is a page of this site; else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        return referer
    return "/"


class HostileInputMiddleware:
    """Refuse control characters (a NUL byte first of all) in the path or the query string with a
    400 before any view runs: they name nothing here, and PostgreSQL refuses NUL in text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._hostile(request):
            return bad_request(request)
        return self.get_response(request)

    @staticmethod
    def _hostile(request) -> bool:
        if has_control_characters(request.path_info):
            return True
        query = request.GET.lists()
        return any(has_control_characters(text) for name, values in query for text in (name, *values))


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY on every response: the browser features no page uses
    (camera, microphone, geolocation...) stay off even if a script asks for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ClientAddressMiddleware:
    """Makes the client's address known to services for this request (per-address money limits)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = ratelimit.current_client_ip.set(ratelimit.client_ip(request))
        try:
            return self.get_response(request)
        finally:
            ratelimit.current_client_ip.reset(token)
