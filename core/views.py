from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET
from redis import Redis
from redis.exceptions import RedisError


@require_GET
def healthz(request):
    """Liveness: the process answers (it touches no database). Also the bare-Django baseline the
    benchmarks compare against. Whether it can serve is /readyz."""
    return HttpResponse("ok", content_type="text/plain")


READY_TIMEOUT_SECONDS = 1


@require_GET
def readyz(request):
    """Readiness for a load balancer: PostgreSQL and Redis each answer within a second. 200 with
    both, 503 naming what is missing (take the instance out of rotation, don't restart it)."""
    parts = {"database": _database_ready(), "redis": _redis_ready()}
    ready = all(parts.values())
    body = {"ready": ready, **{name: "ok" if up else "unavailable" for name, up in parts.items()}}
    return JsonResponse(body, status=200 if ready else 503)


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(READY_TIMEOUT_SECONDS * 1000)])
            cursor.execute("SELECT 1")
            cursor.execute("SELECT set_config('statement_timeout', '0', false)")
        return True
    except DatabaseError:
        connection.close()  # a broken connection must not serve the next request
        return False


def _redis_ready() -> bool:
    client = Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=READY_TIMEOUT_SECONDS, socket_timeout=READY_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


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
