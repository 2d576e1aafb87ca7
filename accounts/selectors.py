"""Reads about accounts: two-factor state, roles."""

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.utils.timesince import timesince
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.timeutil import now

from .models import SignedInSession, User


def authenticator(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if two-factor sign-in is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return user.backup_codes.filter(used_at__isnull=True).count()


def two_factor_required(user: User) -> bool:
    """Staff must sign in with two factors (instructors need it to go live: instructors' rule)."""
    return user.is_staff


def may_trust_browser(user: User) -> bool:
    """Whether the code step may be skipped on a browser the person trusts. Never for staff:
    the operations console asks every session."""
    return not two_factor_required(user)


def signed_in_sessions(user: User) -> list[SignedInSession]:
    """The browsers signed in to `user` now, most recently used first (sessions that ended or
    expired in Django's store are left out)."""
    live = Session.objects.filter(expire_date__gt=now()).values("session_key")
    return list(SignedInSession.objects.filter(user=user, session_key__in=live).order_by("-last_seen_at"))


@dataclass(frozen=True)
class SignedInBrowser:
    """One signed-in browser as the person sees it (the page and the API show the same)."""

    id: str
    browser: str  # "Chrome on macOS"
    signed_in_at: dt.datetime
    last_seen_at: dt.datetime
    activity: str  # "active now", "last active 3 hours ago"
    current: bool  # the browser asking


def signed_in_browsers(user: User, *, current_key: str | None) -> list[SignedInBrowser]:
    moment = now()
    return [
        SignedInBrowser(
            id=row.pk,
            browser=browser_name(row.user_agent),
            signed_in_at=row.created_at,
            last_seen_at=row.last_seen_at,
            activity=_activity(row.last_seen_at, moment),
            current=row.session_key == current_key,
        )
        for row in signed_in_sessions(user)
    ]


def _activity(last_seen_at: dt.datetime, moment: dt.datetime) -> str:
    if moment - last_seen_at < dt.timedelta(minutes=2):  # it is written at most once a minute
        return "active now"
    return f"last active {timesince(last_seen_at, moment)} ago"


# (pattern, name): the first match wins, so Edge and Opera come before the Chrome they contain.
BROWSERS = (
    (r"Edg/", "Edge"),
    (r"OPR/", "Opera"),
    (r"Firefox/", "Firefox"),
    (r"Chrome/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
)
SYSTEMS = (
    (r"iPhone|iPad", "iOS"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def browser_name(user_agent: str) -> str:
    """'Chrome on macOS', or 'Unknown browser' for what we don't recognise."""
    browser = next((name for pattern, name in BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"
