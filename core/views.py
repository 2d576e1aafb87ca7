from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness for load balancers, and the bare-Django baseline the benchmarks compare against."""
    return HttpResponse("ok", content_type="text/plain")


# --- error pages: the site's own on HTML routes, the API's JSON shape on API routes --------------

API_PREFIX = "/api/"
ERRORS = {
    400: ("invalid", "The request could not be understood."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side. Please try again."),
}


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, message: str = "") -> JsonResponse:
    code, default = ERRORS[status]
    return JsonResponse({"error": {"code": code, "message": message or default}}, status=status)


def bad_request(request, exception=None):
    if is_api(request):
        return api_error(400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return api_error(403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_error(404, "No such API route.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api_error(500)
    return defaults.server_error(request)
