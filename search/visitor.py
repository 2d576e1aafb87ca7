"""The anonymous visitor's cookie: a signed ULID naming one browser, so a person who searches
before signing in has a search history too (merged into their account at sign-in).

It is first party, HttpOnly, SameSite=Lax, Secure when the site is, and lasts a year. It names
the browser for search history only: no profile is kept about it beyond those rows and the
search events that carry it.
"""

from django.conf import settings
from ulid import ULID

from core.fields import new_ulid

COOKIE_NAME = "ii_visitor"
COOKIE_SALT = "search.visitor"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
_ASSIGNED = "_search_visitor_id"  # a request attribute: the id given during this request


def is_ulid(value: str) -> bool:
    """A canonical ULID string (26 upper-case Crockford base32 characters)."""
    try:
        return str(ULID.from_str(value)) == value
    except (ValueError, TypeError):
        return False


def _from_cookie(request) -> str:
    value = request.get_signed_cookie(COOKIE_NAME, default="", salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    return value if is_ulid(value) else ""


def visitor_id(request) -> str:
    """This browser's visitor id: the signed cookie's, or the one given earlier in this request;
    "" when there is none or the cookie was tampered with."""
    return getattr(request, _ASSIGNED, "") or _from_cookie(request)


def claim_visitor_id(request) -> str:
    """The visitor id, giving the request a new one when it has none (an anonymous browser's
    first search). `ensure_visitor_id` then puts it in the response's cookie."""
    existing = visitor_id(request)
    if existing:
        return existing
    assigned = new_ulid()
    setattr(request, _ASSIGNED, assigned)
    return assigned


def ensure_visitor_id(request, response) -> str:
    """For an anonymous browser: make sure it keeps a visitor id, setting the cookie on
    `response` when the request did not carry a valid one. Signed-in people get none (their
    history is their account's); returns "" for them unless they already had one."""
    if request.user.is_authenticated:
        return visitor_id(request)
    if _from_cookie(request):
        return visitor_id(request)
    assigned = claim_visitor_id(request)
    response.set_signed_cookie(
        COOKIE_NAME,
        assigned,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return assigned
