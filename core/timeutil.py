"""Time-zone aware helpers: app code asks these or django.utils.timezone for "now" and "today"."""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone

# Zones most of our users live in, shown first in pickers.
COMMON_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "UTC",
)


def now() -> dt.datetime:
    return timezone.now()


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str) -> bool:
    """True exactly for the zones the pickers offer (so a saved zone is always selectable)."""
    return bool(name) and name in selectable_timezones()


@lru_cache(maxsize=1)
def selectable_timezones() -> frozenset[str]:
    """IANA region/city zones plus UTC; legacy aliases such as EST5EDT or GMT are left out."""
    return frozenset(name for name in available_timezones() if "/" in name) | {"UTC"}


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(selectable_timezones() - set(COMMON_TIMEZONES))
    names = [*COMMON_TIMEZONES, *rest]
    return [(name, name.replace("_", " ")) for name in names]


def local_today(tz_name: str) -> dt.date:
    return timezone.localtime(now(), zone(tz_name)).date()


def seconds_until_local_midnight(tz_name: str) -> int:
    """Whole seconds until the next midnight in `tz_name` (rounded down; 23 or 25-hour days too)."""
    moment = now()
    tomorrow = timezone.localtime(moment, zone(tz_name)).date() + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(0), tzinfo=zone(tz_name))
    return int((midnight - moment).total_seconds())


def to_local(instant: dt.datetime, tz_name: str) -> dt.datetime:
    if timezone.is_naive(instant):
        raise ValueError("to_local needs an aware datetime")
    return instant.astimezone(zone(tz_name))
