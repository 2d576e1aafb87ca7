"""Where a person is signed in: one row per signed-in browser (kept fresh at most once a minute),
the time limits on staff sessions, and signing browsers out."""

import hashlib
import hmac
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session

from core.exceptions import NotFound
from core.services import record_audit
from core.timeutil import now

from ..models import SignedInSession, User

STARTED_KEY = "signed_in_at"  # epoch seconds, in the session itself: checking costs no query
SEEN_KEY = "seen_at"
SEEN_EVERY_SECONDS = 60


def record_sign_in(request, user: User) -> None:
    moment = now()
    request.session[STARTED_KEY] = request.session[SEEN_KEY] = int(moment.timestamp())
    if request.session.session_key is None:  # signing in over another person's session flushed it
        request.session.save()
    SignedInSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": moment,
            "last_seen_at": moment,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "address_hash": _address_hash(request.META.get("REMOTE_ADDR", "")),
        },
    )


def record_sign_out(session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()


def expired_because(request, user: User) -> str:
    """Why this session must end now ('' if it may go on): staff sessions end after
    STAFF_SESSION_IDLE_SECONDS without a request and STAFF_SESSION_MAX_SECONDS in all."""
    if not user.is_staff:
        return ""
    moment = now().timestamp()
    if moment - request.session.get(SEEN_KEY, moment) > settings.STAFF_SESSION_IDLE_SECONDS:
        return f"you were away for more than {settings.STAFF_SESSION_IDLE_SECONDS // 60} minutes"
    if moment - request.session.get(STARTED_KEY, moment) > settings.STAFF_SESSION_MAX_SECONDS:
        return f"staff sign in again every {settings.STAFF_SESSION_MAX_SECONDS // 3600} hours"
    return ""


def note_activity(request, user: User) -> None:
    """Remember that this session was used, at most once a minute (one UPDATE, or the row
    made anew for a session that began before rows were kept or whose key was cycled)."""
    moment = now()
    stamp = int(moment.timestamp())
    request.session.setdefault(STARTED_KEY, stamp)
    if stamp - request.session.get(SEEN_KEY, 0) < SEEN_EVERY_SECONDS:
        return
    request.session[SEEN_KEY] = stamp
    key = request.session.session_key
    if key and not SignedInSession.objects.filter(session_key=key, user=user).update(last_seen_at=moment):
        record_sign_in(request, user)


def end_session(*, user: User, session_id: str) -> None:
    """Sign one of the person's browsers out."""
    row = SignedInSession.objects.filter(user=user, pk=session_id).first()
    if row is None:
        raise NotFound("That browser is not signed in to your account.")
    _end([row], actor=user)


def end_other_sessions(*, user: User, keep_key: str | None) -> int:
    """Sign out every browser but this one; returns how many."""
    rows = list(SignedInSession.objects.filter(user=user).exclude(session_key=keep_key or ""))
    _end(rows, actor=user)
    return len(rows)


def _end(rows: list[SignedInSession], *, actor: User) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for row in rows:
        store(session_key=row.session_key).delete()
        record_audit(actor=actor, action="end_session", target=row.user, after={"session": row.pk})
    SignedInSession.objects.filter(pk__in=[row.pk for row in rows]).delete()


def forget_ended_sessions() -> int:
    """Retention: expired sessions leave Django's store, and their rows here go with them (and
    with any whose session ended some other way, e.g. a password change's new key)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()
    live = Session.objects.filter(expire_date__gt=now()).values("session_key")
    deleted, _ = SignedInSession.objects.exclude(session_key__in=live).delete()
    return deleted


def _address_hash(address: str) -> str:
    """Tells two sessions' addresses apart without keeping the address (keyed, truncated)."""
    if not address:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]
