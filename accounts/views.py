import time
from base64 import b32encode
from functools import partial
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from core import ratelimit
from core.exceptions import RateLimited
from core.forms import form_data, submit

from . import selectors, services
from .forms import AccountForm, DisableTwoFactorForm, EnrolmentForm, LoginForm, SecondStepForm, SignupForm
from .models import User

REGISTRATION_FIELDS = ("email", "password", "first_name", "last_name", "timezone")


def _rate_limited(request, template: str, form, error: RateLimited):
    """The page again, with the wait and nothing about what was sent (an unbound form)."""
    response = render(request, template, {"form": form, "throttled": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


@require_http_methods(["GET", "POST"])
def signup(request):
    """Student sign-up."""
    return signup_page(request, template="accounts/signup.html", register=services.register_user, next_url="home")


def signup_page(request, *, template: str, register, next_url: str):
    """A sign-up form (rate-limited per IP) that makes an account with `register(**fields)`,
    signs the person in and sends them to `next_url`. Instructors' sign-up uses it too."""
    form = SignupForm(form_data(request))
    if request.method == "POST":
        try:
            ratelimit.enforce("signup", ratelimit.client_ip(request))
        except RateLimited as error:
            return _rate_limited(request, template, form, error)
        if form.is_valid():
            done = submit(form, lambda: register(**{key: form.cleaned_data[key] for key in REGISTRATION_FIELDS}))
            if done.ok:
                login(request, done.value, backend="accounts.backends.EmailBackend")
                messages.success(request, f"Welcome to InstaInstru, {done.value.first_name}!")
                return redirect(next_url)
            status = done.status
        else:
            status = 400
        return render(request, template, {"form": form}, status=status)
    return render(request, template, {"form": form})


class LoginView(auth_views.LoginView):
    """Email and password, throttled per client (every attempt) and per account (failed ones).
    A throttled request gets the same page whatever it sent and checks no password, so the
    throttle never tells whether a password was right. The admin's login is this page too."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        try:
            ratelimit.enforce("login", ratelimit.client_ip(request))
            ratelimit.enforce("login_account", _account_key(request.POST.get("username")), count=False)
        except RateLimited as error:
            return _rate_limited(request, self.template_name, self.get_form_class()(request), error)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        """The password was right. With two-factor sign-in on, the second step comes first, unless
        this browser is trusted (then the session counts as verified with that device)."""
        user = form.get_user()
        if not selectors.has_two_factor(user):
            return super().form_valid(form)  # staff without it are sent to set it up (the gate)
        trusted = services.trusted_device(user, self.request.COOKIES.get(TRUST_COOKIE))
        if trusted is not None:
            response = super().form_valid(form)
            otp_login(self.request, trusted)
            return response
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": time.time(),
            "next": self.get_redirect_url(),
        }
        return redirect("accounts:login_code")

    def form_invalid(self, form):
        ratelimit.check("login_account", _account_key(form.data.get("username")))  # a failure counts
        return super().form_invalid(form)


def _account_key(email) -> str:
    """The account an attempt is for, however its email is written."""
    return User.objects.normalize_email(str(email or "")).lower()[:254] or "-"


def admin_login(request):
    """The admin signs in on the site's own (throttled, two-step) login page, then comes back. A
    signed-in person the console refuses is told so (sending them to sign in again would loop)."""
    target = request.GET.get("next") or reverse("admin:index")
    if request.user.is_authenticated:
        raise PermissionDenied("This account cannot open the operations console.")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


# --- two-factor sign-in ----------------------------------------------------------------------

TRUST_COOKIE = "ii_trusted_browser"
PENDING_KEY = "two_factor_pending"


def _second_step_person(request) -> tuple[User | None, str]:
    """Who the code step is for, and where to go after: someone whose password was right a
    moment ago, or a signed-in staff member who has not passed the second step this session."""
    if request.user.is_authenticated:
        wanted = request.GET.get("next") or request.POST.get("next") or ""
        return request.user, _safe_next(request, wanted)
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > settings.TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, ""
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return user, _safe_next(request, pending["next"])


def _safe_next(request, url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    return url if url and allowed else resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
def login_code(request):
    """The second step of signing in: a code from the authenticator app or a backup code,
    throttled per client and per account like the password, never checked while throttled."""
    user, next_url = _second_step_person(request)
    if user is None:
        messages.info(request, "Please sign in again: the code step waits five minutes.")
        return redirect("accounts:login")
    if request.user.is_authenticated and (request.user.is_verified() or not selectors.has_two_factor(user)):
        return redirect(next_url)
    template = "accounts/login_code.html"
    form = SecondStepForm(form_data(request))
    context = {"form": form, "next": next_url, "may_trust": selectors.may_trust_browser(user)}
    if request.method == "GET":
        return render(request, template, context)
    try:
        ratelimit.enforce("login", ratelimit.client_ip(request))
        ratelimit.enforce("login_code", user.pk, count=False)
    except RateLimited as error:
        return _rate_limited(request, template, SecondStepForm(), error)
    if not form.is_valid():
        return render(request, template, context, status=400)
    done = submit(form, partial(services.verify_second_step, user=user, code=form.cleaned_data["code"]))
    if not done.ok:
        if done.error.code == "code_rejected":
            ratelimit.check("login_code", user.pk)  # a wrong code counts
        return render(request, template, context, status=done.status)
    return _finish_second_step(request, user, *done.value, trust=form.cleaned_data["trust_browser"], next_url=next_url)


def _finish_second_step(request, user, device, used_backup: bool, *, trust: bool, next_url: str):
    pending = request.session.pop(PENDING_KEY, None)
    if not request.user.is_authenticated:
        login(request, user, backend=pending["backend"])
    otp_login(request, device)
    if used_backup:
        left = selectors.backup_codes_left(user)
        messages.warning(
            request, f"You signed in with a backup code; {left} left. You can make new ones under Sign-in security."
        )
    response = redirect(next_url)
    if trust and selectors.may_trust_browser(user):
        response.set_cookie(
            TRUST_COOKIE,
            services.trusted_browser_token(device),
            max_age=settings.TWO_FACTOR_TRUST_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@login_required
def two_factor(request):
    """Sign-in security: whether two-factor sign-in is on, backup codes left, and the ways to
    change it."""
    form = DisableTwoFactorForm(user=request.user)
    return render(request, "accounts/two_factor.html", _security_context(request.user, form))


def _security_context(user, disable_form) -> dict:
    return {
        "enabled": selectors.has_two_factor(user),
        "required": selectors.two_factor_required(user),
        "codes_left": selectors.backup_codes_left(user),
        "disable_form": disable_form,
    }


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add InstaInstru to an authenticator app (QR code, or the key typed in), then confirm with a
    code from it; the backup codes are shown next, once."""
    user = request.user
    if selectors.has_two_factor(user):
        return redirect("accounts:two_factor")
    device = services.start_enrolment(user=user)
    next_url = _safe_next(request, request.GET.get("next", ""))
    form = EnrolmentForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        done = submit(form, partial(services.confirm_enrolment, user=user, code=form.cleaned_data["code"]))
        if done.ok:
            otp_login(request, selectors.authenticator(user))
            request.session[NEW_CODES_KEY] = done.value
            return redirect(f"{reverse('accounts:backup_codes')}?{urlencode({'next': next_url})}")
        status = done.status
    else:
        status = 400 if form.is_bound else 200
    context = {
        "form": form,
        "qr_code": segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2),
        "key": _grouped(b32encode(device.bin_key).decode()),
        "required": selectors.two_factor_required(user),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=status)


NEW_CODES_KEY = "new_backup_codes"


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """The backup codes, shown once after they are made (POST makes new ones)."""
    if request.method == "POST":
        if not request.user.is_verified():
            raise PermissionDenied("Sign in with your code first.")
        done = submit(forms.Form(), partial(services.regenerate_backup_codes, user=request.user))
        if done.ok:
            request.session[NEW_CODES_KEY] = done.value
        return redirect("accounts:backup_codes")
    codes = request.session.pop(NEW_CODES_KEY, None)
    if codes is None:
        return redirect("accounts:two_factor")
    next_url = _safe_next(request, request.GET.get("next", ""))
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_url})


@login_required
@require_http_methods(["POST"])
def two_factor_disable(request):
    """Turn two-factor sign-in off with the password and a code (wrong ones count like a
    sign-in's second step)."""
    user = request.user
    try:
        ratelimit.enforce("login_code", user.pk, count=False)
    except RateLimited as error:
        messages.error(request, error.message)
        return redirect("accounts:two_factor")
    form = DisableTwoFactorForm(request.POST, user=user)
    status = 400
    if form.is_valid():
        done = submit(form, partial(services.disable_two_factor, user=user, code=form.cleaned_data["code"]))
        if done.ok:
            messages.success(request, "Two-factor sign-in is off. We emailed you about the change.")
            return redirect("accounts:two_factor")
        status = done.status
    ratelimit.check("login_code", user.pk)  # a wrong password or code counts
    return render(request, "accounts/two_factor.html", _security_context(user, form), status=status)


def _grouped(key: str) -> str:
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        try:
            ratelimit.enforce("password_reset", ratelimit.client_ip(request))
        except RateLimited as error:
            return _rate_limited(request, self.template_name, self.get_form(), error)
        return super().post(request, *args, **kwargs)


@login_required
def home(request):
    """Where a sign-in lands: instructors on their dashboard, everyone else browsing."""
    if request.user.has_perm("instructors.teach"):
        return redirect("instructors:dashboard")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def account_settings(request):
    user = request.user
    form = AccountForm(form_data(request), instance=user)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in AccountForm.Meta.fields}
        done = submit(form, partial(services.update_account, user=user, **fields))
        if done.ok:
            messages.success(request, "Your account details are saved.")
            return redirect("accounts:settings")
    user.refresh_from_db()  # a ModelForm edits its instance in place; show the saved name in the header
    context = {"form": form, "roles": services.role_names(user), "two_factor_on": selectors.has_two_factor(user)}
    return render(request, "accounts/settings.html", context)


# --- where you're signed in ------------------------------------------------------------------


@login_required
def sessions(request):
    """The browsers signed in to this account, this one marked, with a way to sign the others out."""
    listed = selectors.signed_in_browsers(request.user, current_key=request.session.session_key)
    context = {
        "sessions": listed,
        "others": sum(not entry.current for entry in listed),
        "idle_minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60,
        "max_hours": settings.STAFF_SESSION_MAX_SECONDS // 3600,
    }
    return render(request, "accounts/sessions.html", context)


@login_required
@require_http_methods(["POST"])
def end_session(request, session_id: str):
    """Sign one other browser out (the page offers "Log out" for this one); another person's is a 404."""
    services.end_session(user=request.user, session_id=session_id)
    messages.success(request, "That browser is signed out.")
    return redirect("accounts:sessions")


@login_required
@require_http_methods(["POST"])
def end_other_sessions(request):
    ended = services.end_other_sessions(user=request.user, keep_key=request.session.session_key)
    messages.success(request, f"Signed out of {ended} other browser{'s' if ended != 1 else ''}.")
    return redirect("accounts:sessions")
