"""Emails about a person's own sign-in security: sent whenever two-factor sign-in changes or a
backup code is used, so someone else doing it cannot go unnoticed."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from .models import User

SUBJECTS = {
    "enabled": "Two-factor sign-in is on",
    "disabled": "Two-factor sign-in was turned off",
    "reset": "Our staff reset your two-factor sign-in",
    "backup_code": "A backup code was used to sign in",
}


def email_two_factor_changed(user: User, change: str) -> None:
    _email(user, change)


def email_backup_code_used(user: User) -> None:
    _email(user, "backup_code")


def _email(user: User, event: str) -> None:
    context = {
        "user": user,
        "event": event,
        "security_url": settings.SITE_URL.rstrip("/") + reverse("accounts:two_factor"),
        "reset_url": settings.SITE_URL.rstrip("/") + reverse("accounts:password_reset"),
    }
    message = render_to_string("accounts/email/two_factor_notice.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject=SUBJECTS[event], message=message, from_email=None, recipient_list=[user.email])
    )
