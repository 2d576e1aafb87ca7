from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class OperationsAdminSite(admin.AdminSite):
    """The operations console: staff who have passed two-factor sign-in in this session."""

    site_header = "InstaInstru operations"
    site_title = "InstaInstru operations"
    index_title = "Operations console"

    def has_permission(self, request):
        return super().has_permission(request) and request.user.is_verified()


class OperationsAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.OperationsAdminSite"
