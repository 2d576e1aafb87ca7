import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
import time_machine

from core import timeutil

UTC = dt.UTC


@pytest.mark.parametrize(
    "name",
    ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Pacific/Honolulu", "UTC"],
)
def test_is_valid_timezone_accepts_iana_names(name):
    assert timezone_is_valid(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        None,
        "Mars/Olympus_Mons",
        "america/new_york",  # names are case-sensitive
        "America/New York",
        "EST+5",
        "EST5EDT",  # legacy aliases are not offered by the pickers, so not valid either
        "GMT",
        "../../etc/passwd",
        "/etc/localtime",
        "America/",
        "New_York",
    ],
)
def test_is_valid_timezone_rejects_other_strings(name):
    assert not timezone_is_valid(name)


def timezone_is_valid(name):
    result = timeutil.is_valid_timezone(name)
    assert isinstance(result, bool)
    return result


def test_timezone_choices_start_with_the_common_us_zones():
    choices = timeutil.timezone_choices()
    names = [name for name, _label in choices]
    assert names[: len(timeutil.COMMON_TIMEZONES)] == list(timeutil.COMMON_TIMEZONES)
    assert names[0] == "America/New_York"
    assert {"America/Chicago", "America/Denver", "America/Los_Angeles"} <= set(names[:8])


def test_timezone_choices_have_no_duplicates_and_are_all_valid():
    names = [name for name, _label in timeutil.timezone_choices()]
    assert len(names) == len(set(names))
    assert len(names) > 300  # the full IANA list follows the common ones
    assert all(timeutil.is_valid_timezone(name) for name in names)
    rest = names[len(timeutil.COMMON_TIMEZONES) :]
    assert rest == sorted(rest)
    assert "Europe/Paris" in rest


def test_timezone_choice_labels_are_readable():
    labels = dict(timeutil.timezone_choices())
    assert labels["America/New_York"] == "America/New York"
    assert labels["America/Los_Angeles"] == "America/Los Angeles"


@pytest.mark.parametrize(
    ("utc_instant", "tz_name", "expected"),
    [
        # 03:00 UTC in January is 22:00 the evening before in New York (UTC-5).
        (dt.datetime(2025, 1, 15, 3, 0, tzinfo=UTC), "America/New_York", dt.date(2025, 1, 14)),
        (dt.datetime(2025, 1, 15, 4, 59, tzinfo=UTC), "America/New_York", dt.date(2025, 1, 14)),
        (dt.datetime(2025, 1, 15, 5, 0, tzinfo=UTC), "America/New_York", dt.date(2025, 1, 15)),
        # In July New York is UTC-4: local midnight is 04:00 UTC.
        (dt.datetime(2025, 7, 15, 3, 59, tzinfo=UTC), "America/New_York", dt.date(2025, 7, 14)),
        (dt.datetime(2025, 7, 15, 4, 0, tzinfo=UTC), "America/New_York", dt.date(2025, 7, 15)),
        (dt.datetime(2025, 1, 15, 3, 0, tzinfo=UTC), "UTC", dt.date(2025, 1, 15)),
        # East of UTC the local date runs ahead.
        (dt.datetime(2025, 1, 14, 20, 0, tzinfo=UTC), "Asia/Tokyo", dt.date(2025, 1, 15)),
        (dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "Europe/Berlin", dt.date(2026, 1, 1)),
    ],
)
def test_local_today_follows_the_zone_not_utc(utc_instant, tz_name, expected):
    with time_machine.travel(utc_instant, tick=False):
        assert timeutil.local_today(tz_name) == expected


def test_now_is_aware_utc_and_follows_time_travel():
    instant = dt.datetime(2025, 3, 9, 6, 30, tzinfo=UTC)
    with time_machine.travel(instant, tick=False):
        current = timeutil.now()
    assert current == instant
    assert current.utcoffset() == dt.timedelta(0)


def test_to_local_converts_aware_instants():
    instant = dt.datetime(2025, 1, 15, 3, 0, tzinfo=UTC)
    local = timeutil.to_local(instant, "America/New_York")
    assert (local.year, local.month, local.day, local.hour) == (2025, 1, 14, 22)
    assert local.tzinfo == ZoneInfo("America/New_York")
    assert local == instant  # same instant, different wall clock


def test_to_local_across_a_dst_change():
    # 2025-03-09: New York springs forward at 02:00 local (07:00 UTC).
    before = timeutil.to_local(dt.datetime(2025, 3, 9, 6, 59, tzinfo=UTC), "America/New_York")
    after = timeutil.to_local(dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC), "America/New_York")
    assert (before.hour, before.minute) == (1, 59)
    assert (after.hour, after.minute) == (3, 0)
    assert before.utcoffset() == dt.timedelta(hours=-5)
    assert after.utcoffset() == dt.timedelta(hours=-4)


def test_to_local_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        timeutil.to_local(dt.datetime(2025, 1, 15, 3, 0), "America/New_York")  # noqa: DTZ001


def test_zone_rejects_unknown_names():
    assert timeutil.zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    with pytest.raises(ZoneInfoNotFoundError):
        timeutil.zone("Mars/Olympus_Mons")


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "America/New_York", 17 * 3600),  # 07:00 there
        (dt.datetime(2026, 12, 2, 4, 59, 30, tzinfo=UTC), "America/New_York", 30),  # 23:59:30 there
        (dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC), "America/New_York", 25 * 3600),  # the 25-hour day
        (dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC), "America/New_York", 23 * 3600),  # the 23-hour day
        (dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "Asia/Kolkata", 6 * 3600 + 30 * 60),  # 17:30 there
    ],
)
def test_seconds_until_local_midnight(instant, zone, expected):
    with time_machine.travel(instant, tick=False):
        assert timeutil.seconds_until_local_midnight(zone) == expected
