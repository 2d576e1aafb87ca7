"""The analytics reads behind the staff pages in search/admin.py: each one aggregate query in
the database (bots left out), whatever the number of events."""

import datetime as dt

from django.db.models import Avg, CharField, Count, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone

from .models import DeviceType, InteractionKind, SearchEvent

CONVERSION_DAYS = 30
TOP_LIMIT = 50
FUNNEL = (
    ("clicked", InteractionKind.RESULT_CLICKED),
    ("viewed", InteractionKind.PROFILE_VIEWED),
    ("started", InteractionKind.BOOKING_STARTED),
    ("booked", InteractionKind.BOOKED),
)
# One searcher: the account, else the browser's visitor id, else the keyed hash of the address.
SEARCHER = Coalesce("user_id", NullIf("visitor_id", Value("")), NullIf("ip_hash", Value("")), output_field=CharField())


def _human_searches(since: dt.datetime) -> QuerySet[SearchEvent]:
    return SearchEvent.objects.filter(created_at__gte=since).exclude(device_type=DeviceType.BOT)


def _by_query(searches: QuerySet[SearchEvent]) -> QuerySet:
    return (
        searches.exclude(normalized_query="")
        .values("normalized_query")
        .annotate(searches=Count("pk"), searchers=Count(SEARCHER, distinct=True))
        .order_by("-searches", "normalized_query")
    )


def top_queries(*, days: int, now: dt.datetime) -> list[dict]:
    """The most searched queries since `days` ago, with distinct searchers and average results."""
    rows = _by_query(_human_searches(now - dt.timedelta(days=days))).annotate(avg_results=Avg("result_count"))
    return list(rows[:TOP_LIMIT])


def zero_result_queries(*, days: int, now: dt.datetime) -> list[dict]:
    """The queries that found nobody since `days` ago, most searched first."""
    searches = _human_searches(now - dt.timedelta(days=days)).filter(result_count=0)
    return list(_by_query(searches).annotate(last_searched_at=Max("created_at"))[:TOP_LIMIT])


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def conversion_by_day(*, days: int = CONVERSION_DAYS, now: dt.datetime) -> list[dict]:
    """For each of the last `days` local days (today last): the searches made that day and how
    many of them reached each step of FUNNEL, whenever the step happened, with rates against
    the searches. Days without searches are shown as zeros."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    steps = {
        name: Count("pk", filter=Q(interactions__kind=kind), distinct=True) for name, kind in FUNNEL
    }  # one join to the interactions; each search counted once per step
    counted = {
        row["day"]: row
        for row in _human_searches(since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(searches=Count("pk", distinct=True), **steps)
        .order_by("day")
    }
    empty = {"searches": 0, **dict.fromkeys(steps, 0)}
    rows = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        row = {**empty, **counted.get(day, {}), "day": day}
        row["rates"] = {name: _rate(row[name], row["searches"]) for name in steps}
        rows.append(row)
    return rows
