"""Search analytics: each search someone runs, and what they did with its results.

Request side (`track_search`, `track_interaction` and the session trail): gather plain values
while serving the page and queue ONE Celery task after the request's transaction commits. The
page never waits on it and never fails because of it: with the broker down the event is logged
and dropped (analytics, not money), and a breaker stops every request paying a timeout.

Worker side (`save_search`, `save_interaction`, `save_booked`, called by search.tasks): each is
idempotent, so a retried or duplicated task writes once. The search event's id is made while
serving the request (`new_search_id`) so result links can carry it.

The trail: a result link carries the search id (`result_link_query`); the profile page notes the
click and the view, and keeps {instructor_id: search_id} in the session so the booking page can
say which search led there. "Booked" has no request: when a booking is confirmed
(search.receivers), the student's latest "booking started" for that instructor names the search.

Privacy: the client address is kept only as a keyed HMAC; searches made before signing in are
claimed by the account at sign-in (like the history rows), and `forget_searcher` unlinks them all
when the account is erased.
"""

import datetime as dt
import logging
import re
from functools import partial

from django.db import connection, transaction
from django.utils.crypto import salted_hmac
from ulid import ULID

from bookings.models import Booking
from core.circuit import CircuitBreaker
from core.fields import new_ulid
from core.ratelimit import client_ip
from core.timeutil import now as current_time

from . import history, tasks
from .models import (
    QUERY_MAX_LENGTH,
    DeviceType,
    InteractionKind,
    SearchChannel,
    SearchEvent,
    SearchHistory,
    SearchInteraction,
)
from .query import ParsedQuery
from .visitor import claim_visitor_id, is_ulid, visitor_id

log = logging.getLogger("search")

# A dead broker costs one connection timeout per cool-down, not one per search.
broker_breaker = CircuitBreaker("celery broker (search analytics)", cooldown_seconds=30)

SEARCH_ID_PARAM = "sid"  # on result links: which search the click came from
POSITION_PARAM = "pos"  # on result links: the 1-based rank of the result
TRAIL_SESSION_KEY = "search_trail"
TRAIL_SIZE = 20  # instructors remembered per session, most recent last
MAX_POSITION = 1000
BOOKED_WINDOW = dt.timedelta(hours=24)  # a booking counts for the search that started it this recently
LATE_EVENT_WINDOW = dt.timedelta(minutes=10)  # an interaction may arrive before its search's own task


def new_search_id() -> str:
    return new_ulid()


# --- what is recorded about the request ----------------------------------------------------------

_BOT = re.compile(r"bot|crawl|spider|slurp|headless|lighthouse|curl|wget|python-|httpclient|preview|monitor|scan")
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook")
_MOBILE = re.compile(r"mobi|iphone|ipod|android|windows phone|blackberry|opera mini")
_DESKTOP = re.compile(r"windows nt|macintosh|mac os x|x11|linux|cros")


def device_type(user_agent: str) -> str:
    """Bot, tablet, phone or desktop from the User-Agent, as far as it says (iPads that announce
    themselves as a Mac count as desktops). Android without "Mobile" is a tablet."""
    agent = user_agent.lower()
    if not agent:
        return DeviceType.UNKNOWN
    if _BOT.search(agent):
        return DeviceType.BOT
    if _TABLET.search(agent) or ("android" in agent and "mobile" not in agent):
        return DeviceType.TABLET
    if _MOBILE.search(agent):
        return DeviceType.MOBILE
    if _DESKTOP.search(agent):
        return DeviceType.DESKTOP
    return DeviceType.UNKNOWN


def ip_hash(request) -> str:
    """A keyed HMAC-SHA256 of the client address (the key derives from SECRET_KEY): it counts
    distinct searchers without keeping the address. "" when the address is unknown."""
    address = client_ip(request)
    if address == "unknown":
        return ""
    return salted_hmac("search.tracking.client_ip", address, algorithm="sha256").hexdigest()


def understood(parsed: ParsedQuery) -> list[dict]:
    return [{"kind": chip.kind, "label": chip.label, "matched": chip.matched} for chip in parsed.chips]


def _user_id(request) -> str | None:
    return request.user.pk if request.user.is_authenticated else None


# --- queueing ----------------------------------------------------------------------------------------


def _send(task, kwargs: dict) -> None:
    if broker_breaker.is_open:
        log.info("%s dropped: the broker is unavailable", task.name)
        return
    try:
        task.apply_async(kwargs=kwargs, retry=False)
    except Exception as error:  # analytics are not worth a failed page: log and drop
        broker_breaker.record_failure(error)
        log.warning("%s dropped: could not queue it (%s)", task.name, error)


def _enqueue(task, **kwargs) -> None:
    """Queue `task` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_send, task, kwargs))


# --- request side ---------------------------------------------------------------------------------


def track_search(request, *, search_id: str, parsed: ParsedQuery, result_count: int, channel: str) -> None:
    """Record this search (and count it in the searcher's history) in a task after the page.
    On the search page an anonymous browser is given a visitor id: the view must then call
    search.visitor.ensure_visitor_id(request, response) so the browser keeps it. An API call
    without the cookie gets none (no history nobody could see); a signed-in search is the
    account's alone."""
    user_id = _user_id(request)
    if user_id:
        visitor = ""
    elif channel == SearchChannel.PAGE:
        visitor = claim_visitor_id(request)
    else:
        visitor = visitor_id(request)
    _enqueue(
        tasks.record_search,
        search_id=search_id,
        at=current_time().isoformat(),
        user_id=user_id,
        visitor_id=visitor,
        channel=channel,
        query=parsed.text[:QUERY_MAX_LENGTH],
        normalized_query=parsed.normalized[:QUERY_MAX_LENGTH],
        understood=understood(parsed),
        result_count=result_count,
        ip_hash=ip_hash(request),
        device_type=device_type(request.headers.get("user-agent", "")),
    )


def track_interaction(request, *, search_id: str, kind: str, instructor_id: str, position: int | None = None) -> None:
    """Record one step (a kind of InteractionKind) the searcher took after `search_id`, in a
    task. Only the search's own searcher counts: a forged or shared id records nothing."""
    user_id, visitor = _user_id(request), visitor_id(request)
    if not (user_id or visitor) or not is_ulid(search_id) or kind not in InteractionKind.values:
        return  # nobody to match the search's searcher with, or nothing we could record
    _enqueue(
        tasks.record_interaction,
        search_id=search_id,
        kind=str(kind),
        instructor_id=str(instructor_id),
        position=position if position is not None and 1 <= position <= MAX_POSITION else None,
        at=current_time().isoformat(),
        user_id=user_id,
        visitor_id=visitor,
    )


def result_link_query(search_id: str, position: int) -> str:
    """The query string a result link carries, e.g. "sid=01J…&pos=3"."""
    return f"{SEARCH_ID_PARAM}={search_id}&{POSITION_PARAM}={position}"


def _trail(request) -> dict[str, str]:
    return dict(request.session.get(TRAIL_SESSION_KEY, {}))


def remember_result_click(request, *, search_id: str, instructor_id: str, position: int | None) -> None:
    """A result was clicked: record it, and remember which search led to this instructor (the
    last TRAIL_SIZE instructors) so the profile and booking pages can say so."""
    if not is_ulid(search_id):
        return
    instructor_id = str(instructor_id)
    trail = _trail(request)
    trail.pop(instructor_id, None)  # re-inserted last: the dict's order is the recency
    trail[instructor_id] = search_id
    request.session[TRAIL_SESSION_KEY] = dict(list(trail.items())[-TRAIL_SIZE:])
    track_interaction(
        request,
        search_id=search_id,
        kind=InteractionKind.RESULT_CLICKED,
        instructor_id=instructor_id,
        position=position,
    )


def _position_from(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[0-9]{1,4}", value) else None  # track_interaction checks the range


def _note_step(request, instructor_id: str, kind: str) -> None:
    search_id = _trail(request).get(str(instructor_id))
    if search_id:
        track_interaction(request, search_id=search_id, kind=kind, instructor_id=instructor_id)


def note_profile_view(request, instructor_id: str) -> None:
    """The instructor's profile page was shown. Reached from a result link (?sid=…&pos=…), that
    is the click; and when a search led here, the view is a step of that search."""
    search_id = request.GET.get(SEARCH_ID_PARAM, "")
    if search_id:
        position = _position_from(request.GET.get(POSITION_PARAM, ""))
        remember_result_click(request, search_id=search_id, instructor_id=instructor_id, position=position)
    _note_step(request, instructor_id, InteractionKind.PROFILE_VIEWED)


def note_booking_started(request, instructor_id: str) -> None:
    """The student held a time with this instructor (went to checkout), after a search that led here."""
    _note_step(request, instructor_id, InteractionKind.BOOKING_STARTED)


def track_booking(booking_id: str) -> None:
    """A booking was confirmed: credit the search that started it, in a task."""
    _enqueue(tasks.record_booked, booking_id=booking_id)


# --- worker side (called by search.tasks) -------------------------------------------------------


def save_search(
    *,
    search_id: str,
    at: dt.datetime,
    user_id: str | None,
    visitor_id: str,
    channel: str,
    query: str,
    normalized_query: str,
    understood: list[dict],
    result_count: int,
    ip_hash: str,
    device_type: str,
) -> bool:
    """Insert the search event and count it in the searcher's history, together. Returns False,
    writing nothing, when the event is already there (the task ran before). Bots get no history."""
    with transaction.atomic():
        _, created = SearchEvent.objects.get_or_create(
            pk=search_id,
            defaults={
                "created_at": at,
                "user_id": user_id,
                "visitor_id": visitor_id,
                "channel": channel,
                "query": query,
                "normalized_query": normalized_query,
                "understood": understood,
                "result_count": result_count,
                "ip_hash": ip_hash,
                "device_type": device_type,
            },
        )
        if created and device_type != DeviceType.BOT:
            history.record_search(
                user_id=user_id, visitor_id=visitor_id, query=query, normalized=normalized_query, at=at
            )
    return created


class SearchNotRecorded(Exception):
    """The interaction's search is not in the table: forged, or its own task has not run yet."""


# The search must be the searcher's own (by account, or by the browser's visitor id) and the
# instructor must exist; one row per (search, kind, instructor), so a repeat inserts nothing.
INSERT_INTERACTION = """
    INSERT INTO search_searchinteraction (id, search_id, kind, instructor_id, position, created_at)
    SELECT %(id)s, event.id, %(kind)s, profile.id, %(position)s::smallint, %(at)s::timestamptz
    FROM search_searchevent AS event
    JOIN instructors_instructorprofile AS profile ON profile.id = %(instructor_id)s
    WHERE event.id = %(search_id)s
      AND (event.user_id = %(user_id)s OR (event.visitor_id <> '' AND event.visitor_id = %(visitor_id)s))
    ON CONFLICT (search_id, kind, instructor_id) DO NOTHING
"""

# A search made before signing in becomes the account's when the same browser, now signed in,
# acts on its results: so "booked" (which only knows the student) can find it.
CLAIM_EVENT = """
    UPDATE search_searchevent SET user_id = %(user_id)s
    WHERE id = %(search_id)s AND user_id IS NULL AND visitor_id <> '' AND visitor_id = %(visitor_id)s
"""


def save_interaction(
    *,
    search_id: str,
    kind: str,
    instructor_id: str,
    position: int | None,
    at: dt.datetime,
    user_id: str | None,
    visitor_id: str,
) -> bool:
    """Record one step of a search's searcher; True when a row was added. Raises
    SearchNotRecorded when the search is not (yet) in the table."""
    params = {
        "id": new_ulid(),
        "search_id": search_id,
        "kind": kind,
        "instructor_id": instructor_id,
        "position": position,
        "at": at,
        "user_id": user_id,
        "visitor_id": visitor_id,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if user_id and visitor_id:
            cursor.execute(CLAIM_EVENT, params)
        cursor.execute(INSERT_INTERACTION, params)
        if cursor.rowcount:
            return True
    if not SearchEvent.objects.filter(pk=search_id).exists():
        raise SearchNotRecorded(search_id)
    return False  # a repeat, not the searcher's search, or no such instructor


def may_still_arrive(search_id: str, *, now: dt.datetime | None = None) -> bool:
    """Whether a missing search may just be late: its id (a ULID) was made in the last few
    minutes. A forged or old id is not waited for."""
    made_at = ULID.from_str(search_id).datetime
    return (now or current_time()) - made_at <= LATE_EVENT_WINDOW


def save_booked(*, booking_id: str) -> bool:
    """Credit a confirmed booking to the search whose "booking started" step for that instructor
    came latest in the day before the booking was made. True when a row was added."""
    booking = Booking.objects.filter(pk=booking_id).values("student_id", "instructor_id", "created_at").first()
    if booking is None:
        return False
    search_id = (
        SearchInteraction.objects.filter(
            kind=InteractionKind.BOOKING_STARTED,
            instructor_id=booking["instructor_id"],
            search__user_id=booking["student_id"],
            created_at__gte=booking["created_at"] - BOOKED_WINDOW,
        )
        .order_by("-created_at")
        .values_list("search_id", flat=True)
        .first()
    )
    if search_id is None:
        return False
    return save_interaction(
        search_id=search_id,
        kind=InteractionKind.BOOKED,
        instructor_id=booking["instructor_id"],
        position=None,
        at=current_time(),
        user_id=booking["student_id"],
        visitor_id="",
    )


# --- sign-in and erasure -----------------------------------------------------------------------------


def claim_visitor_searches(*, visitor_id: str, user, now: dt.datetime | None = None) -> int:
    """At sign-in: the browser's anonymous searches of the last day become the account's (older
    ones stay anonymous: the funnel only looks back a day, and created_at is indexed)."""
    if not visitor_id:
        return 0
    since = (now or current_time()) - BOOKED_WINDOW
    return SearchEvent.objects.filter(visitor_id=visitor_id, user__isnull=True, created_at__gte=since).update(user=user)


def forget_searcher(*, user) -> None:
    """For erasing an account: delete the person's search history and unlink their search events
    from them and from their browsers' visitor ids (the counts stay, anonymous)."""
    with transaction.atomic():
        visitor_ids = set(
            SearchEvent.objects.filter(user=user).exclude(visitor_id="").values_list("visitor_id", flat=True)
        )
        SearchHistory.objects.filter(user=user).delete()
        SearchHistory.objects.filter(user__isnull=True, visitor_id__in=visitor_ids).delete()
        SearchEvent.objects.filter(user=user).update(user=None, visitor_id="")
        SearchEvent.objects.filter(visitor_id__in=visitor_ids).update(visitor_id="")


def delete_old_searches(*, made_before: dt.datetime) -> int:
    """Retention: search events (and the steps that followed them) older than `made_before` go."""
    deleted, _ = SearchEvent.objects.filter(created_at__lt=made_before).delete()
    return deleted
