"""Per-day availability bitmaps: pure functions, standard library only (no Django, no ORM).

One bitmap is one LOCAL day of an instructor, indexed by local WALL-CLOCK minute in the
instructor's time zone: bit ``i`` (0 <= i < 1440) says whether minute ``i`` after local midnight
is open. The 1440 bits are stored as 180 ``bytes``, most significant bit first: minute ``i`` is
``bits[i // 8] >> (7 - i % 8) & 1``. Read as one big-endian integer, minute ``i`` is integer bit
``1439 - i``; the set operations use that to work on the whole day at once.

Ranges are half-open minute pairs ``(start, end)`` meaning ``[start, end)``, with
``0 <= start < end <= 1440``; ``end == 1440`` is midnight at the end of the day.

Time values (``datetime.time``): an END of ``time(0, 0)`` (or ``None``, accepted on input) means
24:00, the midnight that ends the day. That is unambiguous because an end must come after its
start. ``to_time_ranges`` always writes that end as ``time(0, 0)``.

Daylight saving time. A local day lasts 1440 minutes of real time on most dates, but 1380 on a
spring-forward day and 1500 on a fall-back day (other values exist in odd zones, e.g. 0 for
Pacific/Apia on 2011-12-30, a date that was skipped). The bitmap is ALWAYS 1440 wall-clock bits:

- spring forward: the wall-clock minutes that do not exist (02:00-02:59 in New York on
  2026-03-08) can never be open; ``clear_nonexistent`` clears them and ``nonexistent_minutes``
  lists them. ``local_minute_to_utc`` maps a minute inside the gap to the transition instant
  (the first real instant after the gap, 03:00 EDT), so a range that starts or ends inside
  the gap converts to the real time it covers, never to time outside it.
- fall back: the repeated wall-clock hour (01:00-01:59 in New York on 2026-11-01) has one bit
  per minute, and ``local_minute_to_utc`` maps it to its FIRST occurrence (fold=0, daylight
  time). ``utc_to_local_minute`` maps instants from either occurrence to the same wall minute.

Offsets are assumed to be whole minutes (true for every zone since the 1970s) and a local day
is assumed to hold at most one UTC-offset change (every zone in the tz database was checked
against a brute-force walk over UTC minutes around its changes in sample years 1975-2045).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import NamedTuple, TypeAlias, TypeGuard
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
BYTES_PER_DAY = MINUTES_PER_DAY // 8  # 180
EMPTY: bytes = bytes(BYTES_PER_DAY)
FULL: bytes = b"\xff" * BYTES_PER_DAY

MinuteRange: TypeAlias = tuple[int, int]  # half-open [start, end) in wall-clock minutes
TimeRange: TypeAlias = tuple[time, time | None]  # an end of time(0, 0) or None means 24:00

_ALL_ONES = (1 << MINUTES_PER_DAY) - 1
_SECONDS_PER_DAY = 86_400
_EPOCH_DATE = date(1970, 1, 1)


# --- building and reading bitmaps -----------------------------------------------------------


def empty() -> bytes:
    """A day with every minute closed: days without a stored row read as this."""
    return EMPTY


def full() -> bytes:
    """A day with every minute open."""
    return FULL


def validate(bits: bytes | bytearray | memoryview) -> bytes:
    """Check that ``bits`` is one day (180 bytes) and return it as ``bytes``.

    Accepts any bytes-like value because Django's BinaryField hands back ``memoryview`` on
    PostgreSQL; a wrong length means corrupt data, so it fails loudly with ValueError.
    """
    if not isinstance(bits, bytes | bytearray | memoryview):
        raise TypeError(f"a day bitmap must be bytes, not {type(bits).__name__}")
    data = bytes(bits)
    if len(data) != BYTES_PER_DAY:
        raise ValueError(f"a day bitmap must be {BYTES_PER_DAY} bytes long, got {len(data)}")
    return data


def from_ranges(ranges: Iterable[MinuteRange]) -> bytes:
    """Build a day from half-open minute ranges; overlapping or adjacent ranges simply merge."""
    value = 0
    for start, end in ranges:
        value |= _range_mask(start, end)
    return _to_bits(value)


def to_ranges(bits: bytes | bytearray | memoryview) -> list[MinuteRange]:
    """The open minutes as sorted, merged, half-open ranges (the inverse of ``from_ranges``).

    The day is written as a 1440-character binary string once, then each run of open minutes
    costs two ``str.find`` calls (C speed) instead of a Python step per minute.
    """
    value = _to_int(bits)
    if value == 0:
        return []
    if value == _ALL_ONES:
        return [(0, MINUTES_PER_DAY)]
    minutes = format(value, f"0{MINUTES_PER_DAY}b")
    ranges: list[MinuteRange] = []
    start = minutes.find("1")
    while start != -1:
        end = minutes.find("0", start)
        if end == -1:
            ranges.append((start, MINUTES_PER_DAY))
            break
        ranges.append((start, end))
        start = minutes.find("1", end)
    return ranges


def set_range(bits: bytes | bytearray | memoryview, start: int, end: int) -> bytes:
    """A copy of ``bits`` with ``[start, end)`` opened."""
    return _to_bits(_to_int(bits) | _range_mask(start, end))


def clear_range(bits: bytes | bytearray | memoryview, start: int, end: int) -> bytes:
    """A copy of ``bits`` with ``[start, end)`` closed."""
    return _to_bits(_to_int(bits) & ~_range_mask(start, end))


def is_range_open(bits: bytes | bytearray | memoryview, start: int, end: int) -> bool:
    """Whether every minute of ``[start, end)`` is open: the check a new booking makes."""
    mask = _range_mask(start, end)
    return _to_int(bits) & mask == mask


def is_minute_open(bits: bytes | bytearray | memoryview, minute: int) -> bool:
    """Whether the single minute ``minute`` (0..1439) is open."""
    _check_minute(minute, "minute", upper=MINUTES_PER_DAY - 1)
    data = validate(bits)
    return bool(data[minute // 8] >> (7 - minute % 8) & 1)


def count_open(bits: bytes | bytearray | memoryview) -> int:
    """How many minutes of the day are open."""
    return _to_int(bits).bit_count()


def is_empty(bits: bytes | bytearray | memoryview) -> bool:
    """Whether no minute is open (such a day needs no stored row)."""
    return _to_int(bits) == 0


# --- set operations on whole days -----------------------------------------------------------


def bit_and(a: bytes | bytearray | memoryview, b: bytes | bytearray | memoryview) -> bytes:
    """Minutes open in both ``a`` and ``b``."""
    return _to_bits(_to_int(a) & _to_int(b))


def bit_or(a: bytes | bytearray | memoryview, b: bytes | bytearray | memoryview) -> bytes:
    """Minutes open in ``a`` or ``b``."""
    return _to_bits(_to_int(a) | _to_int(b))


def bit_andnot(a: bytes | bytearray | memoryview, b: bytes | bytearray | memoryview) -> bytes:
    """Minutes open in ``a`` but not in ``b``: availability minus what is already booked."""
    return _to_bits(_to_int(a) & ~_to_int(b))


# --- finding lesson start times -------------------------------------------------------------


def free_starts(
    bits: bytes | bytearray | memoryview,
    duration: int,
    step: int = 15,
    earliest: int = 0,
) -> list[int]:
    """Start minutes where a lesson of ``duration`` minutes fits entirely in open time.

    Starts are multiples of ``step`` counted from local midnight, no earlier than ``earliest``
    (e.g. "now plus notice" on today), and the lesson must end by midnight (same day). Works
    per open range with arithmetic, not per minute.
    """
    _check_positive(duration, "duration")
    _check_positive(step, "step")
    if not _is_int(earliest) or earliest < 0:
        raise ValueError(f"earliest must be a whole minute >= 0, got {earliest!r}")
    starts: list[int] = []
    for start, end in to_ranges(bits):
        first = _round_up(max(start, earliest), step)
        last = end - duration
        if first <= last:
            starts.extend(range(first, last + 1, step))
    return starts


# --- wall-clock times -----------------------------------------------------------------------


def minutes_of(value: time) -> int:
    """Minutes after midnight of a wall-clock time; seconds are refused, not silently dropped."""
    if not isinstance(value, time):
        raise TypeError(f"expected a datetime.time, got {type(value).__name__}")
    if value.second or value.microsecond:
        raise ValueError(f"availability is kept to the minute; {value.isoformat()} has seconds")
    return value.hour * 60 + value.minute


def time_of(minute: int) -> time:
    """The wall-clock time of a minute 0..1440; 1440 (end of day) is written as ``time(0, 0)``."""
    _check_minute(minute, "minute", upper=MINUTES_PER_DAY)
    return time((minute // 60) % 24, minute % 60)


def from_time_ranges(ranges: Iterable[TimeRange]) -> bytes:
    """Build a day from ``(start, end)`` times; an end of ``time(0, 0)`` or ``None`` means 24:00."""
    return from_ranges((minutes_of(start), _end_minutes_of(end)) for start, end in ranges)


def to_time_ranges(bits: bytes | bytearray | memoryview) -> list[tuple[time, time]]:
    """The open minutes as merged ``(start, end)`` times; an end of ``time(0, 0)`` means 24:00."""
    return [(time_of(start), time_of(end)) for start, end in to_ranges(bits)]


# --- time zones and daylight saving time ----------------------------------------------------


def day_minutes(local_date: date, tz_name: str) -> int:
    """How many real minutes the local day lasts: 1440, or 1380 / 1500 on DST change days.

    Counted as 1440 wall-clock minutes, minus the skipped ones, plus the repeated ones. That
    is also ``local_minute_to_utc(d, 1440) - local_minute_to_utc(d, 0)`` except in the rare
    zones that fell back across midnight (e.g. St. John's, 00:01 -> 23:01, until 2011), where
    the day's end maps to the first occurrence of the next midnight.
    """
    clock = _day_clock(local_date, tz_name)
    return MINUTES_PER_DAY - _length(clock.gap) + _length(clock.repeat)


def local_minute_to_utc(local_date: date, minute: int, tz_name: str) -> datetime:
    """The aware UTC instant of wall-clock ``minute`` (0..1440) of ``local_date`` in ``tz_name``.

    1440 is the midnight that ends the day (useful for range ends). In a repeated hour the
    first occurrence is used; a minute inside a spring-forward gap maps to the transition
    instant (e.g. 02:30 on 2026-03-08 in New York -> 07:00 UTC, which is 03:00 EDT).
    """
    _check_minute(minute, "minute", upper=MINUTES_PER_DAY)
    seconds = _day_clock(local_date, tz_name).utc_seconds(minute)
    return datetime.fromtimestamp(seconds, UTC)


def utc_to_local_minute(instant: datetime, tz_name: str) -> tuple[date, int]:
    """The local date and wall-clock minute (0..1439) of an aware instant; seconds round down.

    Both occurrences of a repeated hour give the same wall minute, because the bitmap has one
    bit per wall-clock minute.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("utc_to_local_minute needs an aware datetime, got a naive one")
    local = instant.astimezone(ZoneInfo(tz_name))
    return local.date(), local.hour * 60 + local.minute


def nonexistent_minutes(local_date: date, tz_name: str) -> list[MinuteRange]:
    """Wall-clock minutes of ``local_date`` skipped by a spring-forward change, e.g. [(120, 180)].

    An instructor cannot be open at 02:30 on a day when the clock jumps from 02:00 to 03:00.
    """
    clock = _day_clock(local_date, tz_name)
    if clock.gap is None:
        return []
    return [clock.gap]


def repeated_minutes(local_date: date, tz_name: str) -> list[MinuteRange]:
    """Wall-clock minutes of ``local_date`` that happen twice (fall back), e.g. [(60, 120)].

    Their bits stand for the first occurrence; callers may want to warn or display this.
    """
    clock = _day_clock(local_date, tz_name)
    if clock.repeat is None:
        return []
    return [clock.repeat]


def clear_nonexistent(bits: bytes | bytearray | memoryview, local_date: date, tz_name: str) -> bytes:
    """A copy of ``bits`` with the minutes that do not exist on ``local_date`` closed.

    Call it when saving a day or applying a weekly template, so an open 02:00-04:00 on the
    spring-forward day means the real 03:00-04:00 only.
    """
    value = _to_int(bits)
    for start, end in nonexistent_minutes(local_date, tz_name):
        value &= ~_range_mask(start, end)
    return _to_bits(value)


# --- internals ------------------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_minute(value: object, name: str, *, upper: int) -> None:
    if not (_is_int(value) and 0 <= value <= upper):
        raise ValueError(f"{name} must be a whole minute in 0..{upper}, got {value!r}")


def _check_positive(value: object, name: str) -> None:
    if not (_is_int(value) and value > 0):
        raise ValueError(f"{name} must be a whole number of minutes > 0, got {value!r}")


def _range_mask(start: int, end: int) -> int:
    """The integer with minutes ``[start, end)`` set (minute i is integer bit 1439 - i)."""
    if not (_is_int(start) and _is_int(end)):
        raise ValueError(f"a range must be whole minutes, got ({start!r}, {end!r})")
    if not 0 <= start < end <= MINUTES_PER_DAY:
        raise ValueError(
            f"a range must satisfy 0 <= start < end <= {MINUTES_PER_DAY} (half-open), got ({start}, {end})"
        )
    return ((1 << (end - start)) - 1) << (MINUTES_PER_DAY - end)


def _to_int(bits: bytes | bytearray | memoryview) -> int:
    return int.from_bytes(validate(bits), "big")


def _to_bits(value: int) -> bytes:
    return value.to_bytes(BYTES_PER_DAY, "big")


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _end_minutes_of(end: time | None) -> int:
    if end is None:
        return MINUTES_PER_DAY
    minutes = minutes_of(end)
    return MINUTES_PER_DAY if minutes == 0 else minutes


class _DayClock(NamedTuple):
    """How one local day's wall clock maps to UTC, in whole seconds since the epoch.

    Wall-clock seconds are "local time written as if it were UTC". Before the transition
    (if any) the offset is ``offset_before``, from it on ``offset_after``.
    """

    midnight_wall: int
    offset_before: int
    offset_after: int
    transition: int | None
    gap: MinuteRange | None
    repeat: MinuteRange | None

    def utc_seconds(self, minute: int) -> int:
        wall = self.midnight_wall + minute * 60
        if self.transition is None or wall < self.transition + self.offset_before:
            return wall - self.offset_before
        if wall < self.transition + self.offset_after:  # inside a spring-forward gap
            return self.transition
        return wall - self.offset_after


@lru_cache(maxsize=8192)
def _day_clock(local_date: date, tz_name: str) -> _DayClock:
    """Find the UTC offsets of a local day and the transition between them, if any.

    The search window runs from the earliest reading of this day's midnight to the latest
    reading of the next one, so a change at either midnight is seen by both days it touches.
    Cached: the public availability API asks for the same days over and over.
    """
    zone = ZoneInfo(tz_name)
    midnight_wall = (local_date - _EPOCH_DATE).days * _SECONDS_PER_DAY
    window_start = min(_readings_of_wall(midnight_wall, zone))
    window_end = max(_readings_of_wall(midnight_wall + _SECONDS_PER_DAY, zone))
    offset_before = _offset_at(window_start, zone)
    offset_after = _offset_at(window_end, zone)
    if offset_before == offset_after:
        return _DayClock(midnight_wall, offset_before, offset_before, None, None, None)

    transition = _first_instant_with_offset(window_start, window_end, offset_after, zone)
    changed = _clip_to_day(
        transition + min(offset_before, offset_after) - midnight_wall,
        transition + max(offset_before, offset_after) - midnight_wall,
    )
    springs_forward = offset_after > offset_before
    return _DayClock(
        midnight_wall,
        offset_before,
        offset_after,
        transition,
        changed if springs_forward else None,
        None if springs_forward else changed,
    )


def _readings_of_wall(wall_seconds: int, zone: ZoneInfo) -> tuple[int, int]:
    """Both UTC readings (fold 0 and fold 1) of a wall-clock moment; equal on ordinary times."""
    wall = datetime.fromtimestamp(wall_seconds, UTC).replace(tzinfo=zone)
    return (
        int(wall.replace(fold=0).timestamp()),
        int(wall.replace(fold=1).timestamp()),
    )


def _offset_at(utc_seconds: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(utc_seconds, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return int(offset.total_seconds())


def _first_instant_with_offset(low: int, high: int, offset: int, zone: ZoneInfo) -> int:
    """Binary search for the first second in (low, high] already on ``offset``."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, zone) == offset:
            high = middle
        else:
            low = middle
    return high


def _length(minutes: MinuteRange | None) -> int:
    return 0 if minutes is None else minutes[1] - minutes[0]


def _clip_to_day(start_seconds: int, end_seconds: int) -> MinuteRange | None:
    """Wall-clock seconds after midnight -> a minute range within the day, or None if outside."""
    start = max(0, start_seconds // 60)
    end = min(MINUTES_PER_DAY, -(-end_seconds // 60))
    return (start, end) if start < end else None
