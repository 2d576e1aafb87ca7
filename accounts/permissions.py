"""Permission checks for HTML views (decorator) and the API (DRF permission class)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission


def require_permission(perm: str):
    """View decorator: sign-in first, then the named permission, else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied(f"Missing permission {perm}")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def HasPermission(perm: str) -> type[BasePermission]:  # noqa: N802 - reads as a class in permission_classes
    """DRF: permission_classes = [HasPermission("instructors.teach")]."""

    class _HasPermission(BasePermission):
        message = "You do not have permission to do that."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(perm))

    _HasPermission.__name__ = f"HasPermission[{perm}]"
    return _HasPermission
