"""Time-zone aware helpers. App code never calls date.today() or naive datetime.now()."""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
    if not name or name not in all_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def all_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(name for name in all_timezones() if name not in COMMON_TIMEZONES and "/" in name)
    names = [*COMMON_TIMEZONES, *rest]
    return [(name, name.replace("_", " ")) for name in names]


def local_today(tz_name: str) -> dt.date:
    return timezone.localtime(now(), zone(tz_name)).date()


def to_local(instant: dt.datetime, tz_name: str) -> dt.datetime:
    if timezone.is_naive(instant):
        raise ValueError("to_local needs an aware datetime")
    return instant.astimezone(zone(tz_name))
