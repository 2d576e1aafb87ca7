from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.exceptions import RateLimited
from core.forms import form_data, submit

from . import services
from .forms import AccountForm, LoginForm, SignupForm
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

    def form_invalid(self, form):
        ratelimit.check("login_account", _account_key(form.data.get("username")))  # a failure counts
        return super().form_invalid(form)


def _account_key(email) -> str:
    """The account an attempt is for, however its email is written."""
    return User.objects.normalize_email(str(email or "")).lower()[:254] or "-"


def admin_login(request):
    """The admin signs in on the site's own (throttled, two-step) login page, then comes back."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


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
    return render(request, "accounts/settings.html", {"form": form, "roles": services.role_names(user)})
