"""The email that says a data export is ready, with its signed download link."""

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat
from django.utils.timezone import localtime

from core.timeutil import zone

from . import links
from .models import ExportRequest

SUBJECT = "Your InstaInstru data is ready to download"


def email_export_ready(export: ExportRequest) -> None:
    """Sent after the transaction that marks the export ready commits."""
    user = export.user
    context = {
        "user": user,
        "download_url": links.download_url(export.pk),
        "expires": dateformat.format(localtime(export.expires_at, zone(user.timezone)), "M j, Y, g:i A T"),
    }
    message = render_to_string("privacy/email/export_ready.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject=SUBJECT, message=message, from_email=None, recipient_list=[user.email])
    )
