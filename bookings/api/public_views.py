"""Public availability (no login), cached.

A cache hit costs no SQL: the instructor's public facts (live or not, zone, name, lesson
lengths) come from a small cached entry under the listings namespace, and the calendar payload
from an entry under the instructor's availability namespace. Both namespaces are bumped on
commit by the services that change what they show (availability saves and booking rules, every
booking transition; profiles going live or offline, offerings), so the cache never outlives a
change there. What only time changes (a start slipping inside the minimum notice) can be up to
PUBLIC_AVAILABILITY_CACHE_SECONDS + PUBLIC_AVAILABILITY_EDGE_SECONDS stale; booking re-checks
everything.

Both endpoints mark their answers for the edge (core.edge), which serves a repeated request
from process memory before Django, for PUBLIC_AVAILABILITY_EDGE_SECONDS at most and only until
one of the two namespaces is bumped.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from availability.services import availability_namespace
from bookings import selectors
from core.cache import cached
from core.edge import mark_for_edge
from core.timeutil import local_today, seconds_until_local_midnight
from instructors.selectors import LISTINGS_CACHE

from .public_serializers import (
    AvailabilityDaySerializer,
    AvailabilityQuerySerializer,
    NextAvailableQuerySerializer,
    NextAvailableSerializer,
    NextStartSerializer,
    PublicAvailabilitySerializer,
)

TAGS = ["public availability"]
ULID_LENGTH = 26


def _timeout() -> int:
    return settings.PUBLIC_AVAILABILITY_CACHE_SECONDS


def _instructor_or_404(profile_id: str) -> selectors.PublicInstructor:
    # A malformed id is answered without touching the cache or the database.
    instructor = None
    if len(profile_id) == ULID_LENGTH and profile_id.isascii() and profile_id.isalnum():
        instructor = selectors.public_instructor(profile_id, timeout=_timeout())
    if instructor is None:
        raise NotFound("No such instructor.")
    return instructor


def _instructor_json(instructor: selectors.PublicInstructor) -> dict:
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
        responses={200: PublicAvailabilitySerializer},
    )
    def get(self, request, profile_id):
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
        return _for_the_edge(request, Response({"instructor": _instructor_json(instructor), **payload}), instructor)


def _namespaces(profile_id: str) -> tuple[str, str]:
    return LISTINGS_CACHE, availability_namespace(profile_id)  # the public facts', the calendar's


def _for_the_edge(request, response: Response, instructor: selectors.PublicInstructor) -> Response:
    """Let the edge (core.edge) answer the same request until a bump or the instructor's midnight:
    the default start date and what counts as past change then. JSON only: the browsable API's
    page shows who is signed in."""
    if request.accepted_renderer.format == "json":
        max_age = min(settings.PUBLIC_AVAILABILITY_EDGE_SECONDS, seconds_until_local_midnight(instructor.timezone))
        mark_for_edge(response, max_age=max_age, namespaces=_namespaces(instructor.id))
    return response


def _availability_payload(instructor, *, first, days, detail) -> dict:
    profile = selectors.live_profile(instructor.id)
    if profile is None:  # went offline since its public facts were cached
        raise NotFound("No such instructor.")
    bookable = selectors.bookable_days(profile, first=first, days=days, duration=instructor.shortest)
    rows = []
    for day in bookable:
        row = {"date": day.date, "available": day.available}
        if detail == "full":
            row["ranges"] = [
                {"start": selectors.clock(start), "end": selectors.clock(end)} for start, end in day.ranges
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
        responses={200: NextAvailableSerializer},
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
        return _for_the_edge(request, Response({"instructor": _instructor_json(instructor), **payload}), instructor)


def _next_available_payload(instructor, *, duration: int) -> dict:
    profile = selectors.live_profile(instructor.id)
    if profile is None:
        raise NotFound("No such instructor.")
    found = selectors.next_available(profile, duration=duration)
    start = None
    if found is not None:
        start = NextStartSerializer(
            {
                "start_at": found.start_at,
                "end_at": found.end_at,
                "local_date": found.local_date,
                "local_start": selectors.clock(found.local_start),
                "local_end": selectors.clock(found.local_end),
            }
        ).data
    return {
        "timezone": profile.user.timezone,
        "duration": duration,
        "next_available": start,
        "message": None if start else "No time is free to book within this instructor's booking window.",
    }
