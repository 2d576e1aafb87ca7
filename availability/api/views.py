"""Public availability (no login), cached.

A cache hit costs no SQL: the instructor's public facts (live or not, zone, name, lesson
lengths) come from a small cached entry under the listings namespace, and the calendar payload
from an entry under the instructor's availability namespace. Both namespaces are bumped on
commit by the services that change what they show (availability saves and booking rules, every
booking transition; profiles going live or offline, offerings), so the cache never outlives a
change there. What only time changes (a start slipping inside the minimum notice) can be up to
PUBLIC_AVAILABILITY_CACHE_SECONDS stale; booking re-checks everything.

The availability endpoint's cache hit is served by `public_availability`, a plain Django view
in front of the DRF view (see there); everything else goes through DRF.
"""

import datetime as dt
import functools

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from availability.services import availability_namespace
from bookings import api_selectors
from bookings.api.serializers import ApiErrorSerializer
from core.cache import cached, get_bytes, read_versions, set_bytes, versioned_key
from core.timeutil import local_today
from instructors.selectors import LISTINGS_CACHE

from .serializers import (
    DEFAULT_DAYS,
    DETAIL_LEVELS,
    MAX_DAYS,
    AvailabilityDaySerializer,
    AvailabilityQuerySerializer,
    NextAvailableQuerySerializer,
    NextAvailableSerializer,
    NextStartSerializer,
    PublicAvailabilitySerializer,
)

TAGS = ["public availability"]
ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="A parameter is not valid (`invalid`, with `fields`)."),
    404: OpenApiResponse(ApiErrorSerializer, description="No such live instructor (`not_found`)."),
}
ULID_LENGTH = 26


def _timeout() -> int:
    return settings.PUBLIC_AVAILABILITY_CACHE_SECONDS


def _instructor_or_404(profile_id: str) -> api_selectors.PublicInstructor:
    # A malformed id is answered without touching the cache or the database.
    instructor = None
    if len(profile_id) == ULID_LENGTH and profile_id.isascii() and profile_id.isalnum():
        instructor = api_selectors.public_instructor(profile_id, timeout=_timeout())
    if instructor is None:
        raise NotFound("No such instructor.")
    return instructor


def _instructor_json(instructor: api_selectors.PublicInstructor) -> dict:
    return {"id": instructor.id, "name": instructor.name if settings.PUBLIC_AVAILABILITY_SHOW_NAME else None}


class PublicView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # anonymous by design: no session or user lookups


class PublicAvailability(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="An instructor's bookable days (no login)",
        description=(
            "Bookable time of a live instructor: what they opened, minus booked lessons with their buffer, minus "
            "what is inside their minimum notice or beyond their booking horizon, minus days that are full. "
            "Times are wall-clock times in the instructor's `timezone`. Every level describes where a lesson of "
            "the instructor's shortest offered length (`shortest_lesson_minutes`) can start on the 15-minute grid:"
            "\n\n- `full`: per day, `ranges` of time such lessons can occupy (`end` may be `24:00`); longer "
            "lessons fit where a range is long enough."
            "\n- `summary`: per day, whether such a lesson can start in the morning (00:00-11:59), afternoon "
            "(12:00-16:59) or evening (17:00-23:59)."
            "\n- `minimal`: per day, `available` only."
            "\n\n`start_date` defaults to the instructor's today; an earlier date is moved to it. Responses are "
            "cached for up to a few minutes and refreshed as soon as the instructor's calendar or bookings "
            "change; booking a time re-checks it. No slot IDs: book by `start_at` through the bookings API."
        ),
        parameters=[AvailabilityQuerySerializer],
        responses={200: PublicAvailabilitySerializer, **ERRORS},
    )
    def get(self, request, profile_id):
        # Versions first: a body stored under them can only be older than a later bump, never newer.
        fast = _fast_query(request)
        versions = read_versions(*_namespaces(profile_id)) if fast else None
        instructor = _instructor_or_404(profile_id)
        today = local_today(instructor.timezone)
        query = AvailabilityQuerySerializer(data=request.query_params, context={"today": today})
        query.is_valid(raise_exception=True)
        first, days, detail = (query.validated_data[name] for name in ("start_date", "days", "detail"))
        key = f"public:{first.isoformat()}:{days}:{detail}:{instructor.shortest}"
        payload = cached(
            availability_namespace(instructor.id),
            key,
            lambda: _availability_payload(instructor, first=first, days=days, detail=detail),
            timeout=_timeout(),
        )
        data = {"instructor": _instructor_json(instructor), **payload}
        if versions:
            header = f"{today.isoformat()} {instructor.timezone}\n".encode()
            set_bytes(_body_key(profile_id, versions, fast), header + JSONRenderer().render(data), _timeout())
        return Response(data)


# --- the cache hit without DRF -------------------------------------------------------------------
# Measured under gunicorn (bench/README.md): a hit through the DRF view made 0.30-0.34 x the
# requests/s of the bare /healthz; DRF's request/negotiation/response machinery cost ~70 us, the
# query serializer ~47 us, four Redis round trips, unpickling and JSON encoding the rest. So a
# plainly valid query is answered here from the encoded response body, in two Redis round trips
# (one MGET of both namespace versions, one GET). Anything else (a miss, an odd or bad parameter,
# another Accept, a new local day, Redis down) falls through to the DRF view, unchanged, which
# stores the body for the next hit. The body key carries both namespace versions, so a bump of
# either (calendar, bookings, profile or offerings) retires it, like the entries it was built from.

FAST_PARAMS = frozenset({"start_date", "days", "detail"})
FAST_ACCEPT = frozenset({"", "*/*", "application/json"})  # what DRF answers with compact JSON
HIT_HEADERS = {"Vary": "Accept", "Allow": "GET, HEAD, OPTIONS"}  # as the DRF view sends them


def _fast_query(request) -> tuple[str, int, str] | None:
    """(start_date as given or "", days, detail) of a GET whose query needs no serializer to judge."""
    query = request.GET
    if (
        request.method != "GET"
        or request.META.get("HTTP_ACCEPT", "") not in FAST_ACCEPT
        or not FAST_PARAMS.issuperset(query)
        or any(len(query.getlist(name)) != 1 for name in query)
    ):
        return None
    start, days, detail = query.get("start_date", ""), query.get("days", str(DEFAULT_DAYS)), query.get("detail", "full")
    if start:
        try:
            if len(start) != 10 or dt.date.fromisoformat(start).isoformat() != start:
                return None
        except ValueError:
            return None
    if not (len(days) <= 2 and days.isascii() and days.isdigit() and 1 <= int(days) <= MAX_DAYS):
        return None
    if detail not in DETAIL_LEVELS:
        return None
    return start, int(days), detail


def _namespaces(profile_id: str) -> tuple[str, str]:
    return LISTINGS_CACHE, availability_namespace(profile_id)  # the public facts', the calendar's


def _body_key(profile_id: str, versions: list[int], fast: tuple[str, int, str]) -> str:
    listings_version, calendar_version = versions
    start, days, detail = fast
    show_name = int(settings.PUBLIC_AVAILABILITY_SHOW_NAME)
    return versioned_key(
        availability_namespace(profile_id),
        calendar_version,
        f"public-body:{listings_version}:{start or 'today'}:{days}:{detail}:{show_name}",
    )


def _cached_body(request, profile_id: str) -> bytes | None:
    if len(profile_id) != ULID_LENGTH or not (profile_id.isascii() and profile_id.isalnum()):
        return None
    fast = _fast_query(request)
    versions = read_versions(*_namespaces(profile_id)) if fast else None
    stored = get_bytes(_body_key(profile_id, versions, fast)) if versions else None
    if stored is None:
        return None
    header, _, body = stored.partition(b"\n")
    today, _, tz_name = header.decode().partition(" ")
    # Stored with the instructor's local date it was built on: a new day moves the default start
    # date and what counts as past, so the body is only good for that date.
    return body if local_today(tz_name).isoformat() == today else None


_drf_public_availability = PublicAvailability.as_view()


@functools.wraps(_drf_public_availability)  # keeps .cls & co., so the schema still shows the DRF view
def public_availability(request, profile_id):
    body = _cached_body(request, profile_id)
    if body is None:
        return _drf_public_availability(request, profile_id=profile_id)
    return HttpResponse(body, content_type="application/json", headers=HIT_HEADERS)


def _availability_payload(instructor, *, first, days, detail) -> dict:
    profile = api_selectors.live_profile(instructor.id)
    if profile is None:  # went offline since its public facts were cached
        raise NotFound("No such instructor.")
    bookable = api_selectors.bookable_days(profile, first=first, days=days, duration=instructor.shortest)
    rows = []
    for day in bookable:
        row = {"date": day.date, "available": day.available}
        if detail == "full":
            row["ranges"] = [
                {"start": api_selectors.clock(start), "end": api_selectors.clock(end)} for start, end in day.ranges
            ]
        elif detail == "summary":
            row.update(day.part_flags())
        rows.append(row)
    return {
        "timezone": profile.user.timezone,
        "start_date": first.isoformat(),
        "end_date": bookable[-1].date.isoformat(),
        "detail": detail,
        "shortest_lesson_minutes": instructor.shortest,
        "days": AvailabilityDaySerializer(rows, many=True).data,
    }


class NextAvailable(PublicView):
    @extend_schema(
        tags=TAGS,
        summary="An instructor's first bookable start (no login)",
        description=(
            "The earliest start of a lesson of `duration` minutes that can be booked now, within the "
            "instructor's booking horizon: a UTC instant plus the instructor's local date and time. "
            "`next_available` is null (with a `message`) when nothing is free. Cached like the availability."
        ),
        parameters=[NextAvailableQuerySerializer],
        responses={200: NextAvailableSerializer, **ERRORS},
    )
    def get(self, request, profile_id):
        instructor = _instructor_or_404(profile_id)
        query = NextAvailableQuerySerializer(data=request.query_params, context={"durations": instructor.durations})
        query.is_valid(raise_exception=True)
        duration = query.validated_data["duration"]
        today = local_today(instructor.timezone)
        payload = cached(
            availability_namespace(instructor.id),
            f"next:{today.isoformat()}:{duration}",
            lambda: _next_available_payload(instructor, duration=duration),
            timeout=_timeout(),
        )
        return Response({"instructor": _instructor_json(instructor), **payload})


def _next_available_payload(instructor, *, duration: int) -> dict:
    profile = api_selectors.live_profile(instructor.id)
    if profile is None:
        raise NotFound("No such instructor.")
    found = api_selectors.next_available(profile, duration=duration)
    start = None
    if found is not None:
        start = NextStartSerializer(
            {
                "start_at": found.start_at,
                "end_at": found.end_at,
                "local_date": found.local_date,
                "local_start": api_selectors.clock(found.local_start),
                "local_end": api_selectors.clock(found.local_end),
            }
        ).data
    return {
        "timezone": profile.user.timezone,
        "duration": duration,
        "next_available": start,
        "message": None if start else "No time is free to book within this instructor's booking window.",
    }
