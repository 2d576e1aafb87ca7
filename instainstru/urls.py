from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import admin_login
from core.views import healthz, readyz
from instructors import views as instructor_views

# Swagger UI sets inline styles as it renders: allowed on that page only, and for
# styles only (its scripts are files from drf-spectacular-sidecar).
docs_styles = csp_update({"style-src": [UNSAFE_INLINE]})

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("instructors.api.urls")),
    path("", include("bookings.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("privacy.api.urls")),
    path("", include("search.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_styles(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]

urlpatterns = [
    path("", instructor_views.home, name="home"),
    path("", include("instructors.urls")),
    path("", include("availability.urls")),
    path("", include("bookings.urls")),
    path("", include("messaging.urls")),
    path("", include("payments.urls")),
    path("", include("privacy.urls")),
    path("", include("search.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/login/", admin_login),  # the site's throttled login; the admin's own form never runs
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

# The site's own error pages; the API's JSON error shape under /api/ (core/views.py).
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
