"""The emailed download link: a signed token naming one export, good for
PRIVACY_EXPORT_LINK_HOURS. The token alone opens nothing: the download also needs the owner to
be signed in (privacy.services.download checks it)."""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core.exceptions import DomainError, InvalidInput

SALT = "privacy.export-download"


class LinkExpired(DomainError):
    code = "link_expired"
    status = 410
    default_message = "This download link has expired. Ask for a new copy of your data."


class LinkInvalid(InvalidInput):
    code = "invalid_link"
    default_message = "This download link is not valid. Open the link from the email again, or ask for a new copy."


def download_token(export_id: str) -> str:
    return signing.dumps(export_id, salt=SALT)


def export_id_from(token: str) -> str:
    """The export a token names; raises LinkExpired or LinkInvalid."""
    max_age = dt.timedelta(hours=settings.PRIVACY_EXPORT_LINK_HOURS)
    try:
        export_id = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkExpired() from error
    except signing.BadSignature as error:
        raise LinkInvalid() from error
    if not isinstance(export_id, str):
        raise LinkInvalid()
    return export_id


def download_path(export_id: str) -> str:
    return reverse("privacy:download", args=[download_token(export_id)])


def download_url(export_id: str) -> str:
    """The absolute link an email carries."""
    return settings.SITE_URL.rstrip("/") + download_path(export_id)
