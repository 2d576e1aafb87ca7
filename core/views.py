from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness for load balancers, and the bare-Django baseline the benchmarks compare against."""
    return HttpResponse("ok", content_type="text/plain")
