"""The "Your data" page: ask for a copy of everything we hold about you, watch it being built
(an htmx poll of the state panel every 2 seconds while it builds, paused while the tab is
hidden), and download it. The emailed link and the page's button are the same signed link, and
both also need the owner signed in: someone else's link, an expired one or a tampered one is a
friendly page with a 4xx status, never a 500."""

from functools import partial

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts import selectors as account_selectors
from core.exceptions import DomainError
from core.forms import form_data, submit
from core.timeutil import now as current_time

from . import erasure, links, selectors, services
from .forms import DeleteAccountForm
from .models import ExportRequest
from .responses import zip_response

STOP_POLLING = 286  # htmx stops a polling element that gets this status
LINK_PROBLEM_TITLES = {
    "link_expired": "This link has expired",
    "invalid_link": "This link doesn't work",
    "export_expired": "This download has expired",
    "export_not_found": "This download isn't in your account",
    "export_not_ready": "This download isn't ready yet",
}


def export_state(export: ExportRequest | None) -> dict:
    """What the state panel shows about the latest export."""
    if export is None:
        return {"export": None, "status": None}
    status = export.shown_status(current_time())
    return {
        "export": export,
        "status": status,
        "polling": export.is_unfinished,
        "download_path": links.download_path(export.pk) if status == "ready" else None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def your_data(request):
    error = None
    if request.method == "POST":
        try:
            services.request_export(user=request.user)
        except DomainError as refused:
            error = refused
        else:
            messages.success(request, "We're preparing a copy of your data. We'll email you when it's ready.")
            return redirect("privacy:your_data")
    context = {**export_state(selectors.latest_export(request.user)), "error": error}
    return render(request, "privacy/your_data.html", context, status=error.status if error else 200)


@require_GET
def export_status(request):
    """The state panel alone, for the page's poll."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)  # signed out elsewhere: stop asking
    return render(request, "privacy/_export_state.html", export_state(selectors.latest_export(request.user)))


@login_required
@require_GET
def download(request, token):
    """The signed link from the email (or the page's button): the zip, for its signed-in owner."""
    try:
        export_id = links.export_id_from(token)
        export, archive = services.download(user=request.user, export_id=export_id)
    except DomainError as problem:
        context = {
            "title": LINK_PROBLEM_TITLES.get(problem.code, "We can't download this"),
            "message": problem.message,
            "problem_code": problem.code,
            "your_data_url": reverse("privacy:your_data"),
        }
        return render(request, "privacy/link_problem.html", context, status=problem.status)
    return zip_response(export, archive)


# --- deleting the account ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """What deleting the account would do (each lesson to come with its cost, the credit given
    up), then the confirmation: password, code, and a tick. Done: signed out, and told so."""
    user = request.user
    preview = erasure.erasure_preview(user)
    form = DeleteAccountForm(form_data(request), asks_code=account_selectors.has_two_factor(user))
    status = 200
    if request.method == "POST" and not preview.blocker:
        if form.is_valid():
            confirm = partial(
                erasure.erase_own_account,
                user=user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data.get("code", ""),
            )
            done = submit(form, confirm)
            if done.ok:
                logout(request)
                return redirect("privacy:account_deleted")
            status = done.status
        else:
            status = 400
    context = {"preview": preview, "form": form}
    return render(request, "privacy/delete_account.html", context, status=409 if preview.blocker else status)


@require_GET
def account_deleted(request):
    return render(request, "privacy/account_deleted.html")
