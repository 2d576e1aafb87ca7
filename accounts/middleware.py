from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.views import is_api

from . import selectors, services

# What a staff member may open before passing the second step: signing in and out, setting up
# two-factor sign-in, static files and the health checks.
OPEN_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/accounts/two-factor/", "/static/", "/healthz", "/readyz")


class TwoFactorGateMiddleware:
    """Staff sessions pass two-factor sign-in before anything else: one that has not is sent to the
    code step (or to set it up first), and the API answers 403 `two_factor_required`. (The admin
    site checks it again: accounts.admin_site.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            if is_api(request):
                message = "Staff accounts must finish two-factor sign-in first."
                return JsonResponse({"error": {"code": "two_factor_required", "message": message}}, status=403)
            step = "accounts:login_code" if selectors.has_two_factor(request.user) else "accounts:two_factor_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        user = request.user
        return (
            user.is_authenticated
            and selectors.two_factor_required(user)
            and not user.is_verified()
            and not request.path_info.startswith(OPEN_PREFIXES)
        )


class SessionActivityMiddleware:
    """Keeps each signed-in browser's "last active" fresh, and ends a staff session that was idle
    too long or is too old: the person signs in again (the API answers 401 `session_expired`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if reason := services.expired_because(request, user):
                return self._signed_out(request, reason)
            services.note_activity(request, user)
        return self.get_response(request)

    @staticmethod
    def _signed_out(request, reason: str):
        logout(request)
        message = f"You were signed out because {reason}. Please sign in again."
        if is_api(request):
            return JsonResponse({"error": {"code": "session_expired", "message": message}}, status=401)
        messages.info(request, message)
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
