"""Tests for availability.bitmaps: pure functions, no database.

The property tests compare every operation with a deliberately naive reference built on
Python sets of open minutes; the DST tests compare the time-zone helpers with a brute-force
walk over UTC minutes that knows nothing about folds or transitions.
"""

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability import bitmaps
from availability.bitmaps import (
    BYTES_PER_DAY,
    EMPTY,
    FULL,
    MINUTES_PER_DAY,
    bit_and,
    bit_andnot,
    bit_or,
    clear_nonexistent,
    clear_range,
    count_open,
    day_minutes,
    free_starts,
    from_ranges,
    from_time_ranges,
    is_empty,
    is_minute_open,
    is_range_open,
    local_minute_to_utc,
    minutes_of,
    nonexistent_minutes,
    repeated_minutes,
    set_range,
    time_of,
    to_ranges,
    to_time_ranges,
    utc_to_local_minute,
    validate,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
KOLKATA = "Asia/Kolkata"


# --- naive references -----------------------------------------------------------------------


def minute_set(ranges):
    return {minute for start, end in ranges for minute in range(start, end)}


def ranges_of_set(minutes):
    """Merged half-open ranges of a set of minutes, one minute at a time."""
    ranges = []
    for minute in sorted(minutes):
        if ranges and ranges[-1][1] == minute:
            ranges[-1] = (ranges[-1][0], minute + 1)
        else:
            ranges.append((minute, minute + 1))
    return ranges


def open_minutes_by_layout(bits):
    """Read the documented layout directly: minute i is bit (7 - i % 8) of byte i // 8."""
    return {i for i in range(MINUTES_PER_DAY) if bits[i // 8] >> (7 - i % 8) & 1}


def bits_of_set(minutes):
    data = bytearray(BYTES_PER_DAY)
    for minute in minutes:
        data[minute // 8] |= 1 << (7 - minute % 8)
    return bytes(data)


def brute_free_starts(minutes, duration, step, earliest):
    return [
        start
        for start in range(0, MINUTES_PER_DAY + 1, step)
        if start >= earliest
        and start + duration <= MINUTES_PER_DAY
        and all(m in minutes for m in range(start, start + duration))
    ]


ranges_strategy = st.lists(
    st.integers(0, MINUTES_PER_DAY - 1).flatmap(
        lambda start: st.tuples(st.just(start), st.integers(start + 1, MINUTES_PER_DAY))
    ),
    max_size=8,
)
# Bitmaps with long runs as well as noise: random bytes alone are almost never open for an hour.
bitmap_strategy = st.one_of(
    st.binary(min_size=BYTES_PER_DAY, max_size=BYTES_PER_DAY),
    ranges_strategy.map(from_ranges),
)


# --- constants and validation ---------------------------------------------------------------


def test_constants_describe_one_day():
    assert MINUTES_PER_DAY == 1440
    assert BYTES_PER_DAY == 180
    assert len(EMPTY) == 180
    assert not any(EMPTY)
    assert len(FULL) == 180
    assert all(byte == 0xFF for byte in FULL)
    assert bitmaps.empty() == EMPTY
    assert bitmaps.full() == FULL


@pytest.mark.parametrize("value", [bytes(180), bytearray(180), memoryview(bytes(180))])
def test_validate_accepts_bytes_like_values_and_returns_bytes(value):
    result = validate(value)
    assert type(result) is bytes
    assert result == bytes(180)


@pytest.mark.parametrize("length", [0, 179, 181, 360])
def test_validate_rejects_wrong_length(length):
    with pytest.raises(ValueError, match="180 bytes"):
        validate(bytes(length))


@pytest.mark.parametrize("value", ["0" * 180, [0] * 180, None, 0])
def test_validate_rejects_non_bytes(value):
    with pytest.raises(TypeError):
        validate(value)


@pytest.mark.parametrize(
    "operation",
    [
        lambda bad: to_ranges(bad),
        lambda bad: count_open(bad),
        lambda bad: bit_and(bad, FULL),
        lambda bad: bit_or(FULL, bad),
        lambda bad: bit_andnot(FULL, bad),
        lambda bad: set_range(bad, 0, 10),
        lambda bad: free_starts(bad, 60),
    ],
)
def test_operations_refuse_a_short_bitmap(operation):
    with pytest.raises(ValueError, match="180 bytes"):
        operation(bytes(179))


# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "byte_index", "byte_value"),
    [
        ([(0, 1)], 0, 0b1000_0000),
        ([(7, 8)], 0, 0b0000_0001),
        ([(0, 4)], 0, 0b1111_0000),
        ([(8, 16)], 1, 0b1111_1111),
        ([(9, 10)], 1, 0b0100_0000),
        ([(1439, 1440)], 179, 0b0000_0001),
        ([(1432, 1433)], 179, 0b1000_0000),
    ],
)
def test_bit_layout_is_most_significant_bit_first(ranges, byte_index, byte_value):
    bits = from_ranges(ranges)
    assert bits[byte_index] == byte_value
    assert sum(1 for b in bits if b) == 1  # no other byte touched


def test_is_minute_open_reads_single_minutes():
    bits = from_ranges([(0, 1), (1439, 1440), (600, 601)])
    assert [m for m in range(MINUTES_PER_DAY) if is_minute_open(bits, m)] == [0, 600, 1439]
    with pytest.raises(ValueError):
        is_minute_open(bits, 1440)
    with pytest.raises(ValueError):
        is_minute_open(bits, -1)


# --- ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ranges",
    [
        [(0, 1)],
        [(1439, 1440)],
        [(0, 1), (1439, 1440)],
        [(0, 1440)],
        [(540, 720)],
        [(0, 7), (8, 9), (15, 17), (1000, 1439)],
    ],
)
def test_ranges_round_trip(ranges):
    assert to_ranges(from_ranges(ranges)) == ranges


def test_empty_and_full_days():
    assert from_ranges([]) == EMPTY
    assert to_ranges(EMPTY) == []
    assert from_ranges([(0, 1440)]) == FULL
    assert to_ranges(FULL) == [(0, 1440)]
    assert is_empty(EMPTY)
    assert not is_empty(from_ranges([(1439, 1440)]))
    assert count_open(EMPTY) == 0
    assert count_open(FULL) == 1440


def test_overlapping_adjacent_and_unsorted_ranges_merge():
    bits = from_ranges([(100, 110), (25, 40), (10, 20), (20, 30), (105, 106)])
    assert to_ranges(bits) == [(10, 40), (100, 110)]


def test_to_ranges_accepts_memoryview_from_the_database():
    assert to_ranges(memoryview(from_ranges([(60, 120)]))) == [(60, 120)]


@pytest.mark.parametrize(
    "bad",
    [(5, 5), (6, 5), (-1, 10), (0, 1441), (1440, 1441), (1.5, 3), (0, 2.0), ("0", 10), (True, 5), (None, 5)],
)
def test_bad_ranges_raise_value_error(bad):
    with pytest.raises(ValueError, match="range"):
        from_ranges([(0, 10), bad])
    with pytest.raises(ValueError, match="range"):
        set_range(EMPTY, *bad)
    with pytest.raises(ValueError, match="range"):
        clear_range(FULL, *bad)
    with pytest.raises(ValueError, match="range"):
        is_range_open(FULL, *bad)


def test_set_and_clear_range_return_new_bytes_and_leave_input_alone():
    original = from_ranges([(540, 720)])
    opened = set_range(original, 720, 780)
    closed = clear_range(original, 600, 660)
    assert type(opened) is bytes
    assert type(closed) is bytes
    assert to_ranges(original) == [(540, 720)]
    assert to_ranges(opened) == [(540, 780)]
    assert to_ranges(closed) == [(540, 600), (660, 720)]
    assert to_ranges(clear_range(FULL, 0, 1440)) == []
    assert to_ranges(set_range(EMPTY, 0, 1440)) == [(0, 1440)]
    assert type(set_range(bytearray(EMPTY), 0, 1)) is bytes


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (540, 720, True),
        (540, 541, True),
        (719, 720, True),
        (600, 660, True),
        (539, 600, False),
        (700, 721, False),
        (500, 800, False),
        (0, 1440, False),
        (780, 800, False),
    ],
)
def test_is_range_open(start, end, expected):
    assert is_range_open(from_ranges([(540, 720)]), start, end) is expected


def test_is_range_open_on_full_day_boundaries():
    assert is_range_open(FULL, 0, 1440)
    assert is_range_open(FULL, 1439, 1440)
    assert not is_range_open(clear_range(FULL, 1439, 1440), 0, 1440)
    assert not is_range_open(clear_range(FULL, 0, 1), 0, 2)


# --- set operations -------------------------------------------------------------------------

# Minute 0 open in both, 1 only in A, 2 only in B, 3 in neither.
A = from_ranges([(0, 2)])
B = from_ranges([(0, 1), (2, 3)])


def test_bit_and_truth_table():
    assert to_ranges(bit_and(A, B)) == [(0, 1)]


def test_bit_or_truth_table():
    assert to_ranges(bit_or(A, B)) == [(0, 3)]


def test_bit_andnot_truth_table():
    assert to_ranges(bit_andnot(A, B)) == [(1, 2)]
    assert to_ranges(bit_andnot(B, A)) == [(2, 3)]


def test_bit_ops_at_the_day_edges():
    last = from_ranges([(1439, 1440)])
    assert bit_and(FULL, last) == last
    assert to_ranges(bit_andnot(FULL, last)) == [(0, 1439)]
    assert bit_or(EMPTY, last) == last
    assert bit_andnot(EMPTY, FULL) == EMPTY
    assert bit_andnot(FULL, EMPTY) == FULL


# --- free starts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "duration", "step", "earliest", "expected"),
    [
        ([(540, 720)], 60, 15, 0, [540, 555, 570, 585, 600, 615, 630, 645, 660]),
        ([(540, 600)], 60, 15, 0, [540]),
        ([(540, 599)], 60, 15, 0, []),
        ([(540, 590), (590, 650)], 60, 15, 0, [540, 555, 570, 585]),  # adjacent ranges merge
        ([(540, 590), (591, 650)], 60, 15, 0, []),  # one closed minute breaks it
        ([(540, 720)], 60, 15, 600, [600, 615, 630, 645, 660]),
        ([(540, 720)], 60, 15, 601, [615, 630, 645, 660]),
        ([(540, 720)], 60, 15, 661, []),
        ([(540, 720)], 60, 30, 0, [540, 570, 600, 630, 660]),
        ([(545, 700)], 60, 15, 0, [555, 570, 585, 600, 615, 630]),  # starts stay on the grid
        ([(540, 720)], 90, 60, 0, [540, 600]),
        ([(0, 60), (1380, 1440)], 60, 15, 0, [0, 1380]),
        ([(1380, 1440)], 61, 1, 0, []),  # cannot run past midnight
        ([(0, 1440)], 1440, 15, 0, [0]),
        ([(0, 1440)], 1441, 15, 0, []),
        ([], 30, 15, 0, []),
        ([(540, 720), (780, 900)], 60, 60, 0, [540, 600, 660, 780, 840]),
    ],
)
def test_free_starts_table(ranges, duration, step, earliest, expected):
    assert free_starts(from_ranges(ranges), duration, step=step, earliest=earliest) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": 0},
        {"duration": -30},
        {"duration": 30.0},
        {"duration": 30, "step": 0},
        {"duration": 30, "step": -15},
        {"duration": 30, "earliest": -1},
        {"duration": 30, "earliest": 1.5},
    ],
)
def test_free_starts_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        free_starts(FULL, **kwargs)


# --- wall-clock times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(time(0, 0), 0), (time(0, 1), 1), (time(9, 30), 570), (time(12, 0), 720), (time(23, 59), 1439)],
)
def test_minutes_of(value, expected):
    assert minutes_of(value) == expected


def test_minutes_of_refuses_seconds_and_non_times():
    with pytest.raises(ValueError, match="seconds"):
        minutes_of(time(9, 0, 30))
    with pytest.raises(ValueError, match="seconds"):
        minutes_of(time(9, 0, 0, 1))
    with pytest.raises(TypeError):
        minutes_of(570)


@pytest.mark.parametrize(("minute", "expected"), [(0, time(0, 0)), (570, time(9, 30)), (1439, time(23, 59))])
def test_time_of(minute, expected):
    assert time_of(minute) == expected


def test_time_of_end_of_day_is_midnight_and_beyond_is_refused():
    assert time_of(1440) == time(0, 0)
    with pytest.raises(ValueError):
        time_of(1441)
    with pytest.raises(ValueError):
        time_of(-1)


def test_from_time_ranges_end_midnight_or_none_means_end_of_day():
    assert to_ranges(from_time_ranges([(time(22, 0), time(0, 0))])) == [(1320, 1440)]
    assert to_ranges(from_time_ranges([(time(22, 0), None)])) == [(1320, 1440)]
    assert from_time_ranges([(time(0, 0), time(0, 0))]) == FULL
    assert to_ranges(from_time_ranges([(time(0, 0), time(1, 0))])) == [(0, 60)]


def test_from_time_ranges_rejects_backwards_ranges():
    with pytest.raises(ValueError, match="range"):
        from_time_ranges([(time(12, 0), time(9, 0))])
    with pytest.raises(ValueError, match="range"):
        from_time_ranges([(time(9, 0), time(9, 0))])


def test_to_time_ranges_writes_end_of_day_as_midnight():
    bits = from_ranges([(0, 60), (570, 720), (1320, 1440)])
    assert to_time_ranges(bits) == [
        (time(0, 0), time(1, 0)),
        (time(9, 30), time(12, 0)),
        (time(22, 0), time(0, 0)),
    ]
    assert from_time_ranges(to_time_ranges(bits)) == bits
    assert to_time_ranges(EMPTY) == []
    assert to_time_ranges(FULL) == [(time(0, 0), time(0, 0))]


# --- properties against set references ------------------------------------------------------


@given(ranges_strategy)
def test_property_ranges_round_trip_to_merged_normalised_ranges(ranges):
    bits = from_ranges(ranges)
    assert to_ranges(bits) == ranges_of_set(minute_set(ranges))
    assert open_minutes_by_layout(bits) == minute_set(ranges)
    assert count_open(bits) == len(minute_set(ranges))


@given(bitmap_strategy)
def test_property_bits_round_trip_through_ranges(bits):
    assert from_ranges(to_ranges(bits)) == bits
    assert from_time_ranges(to_time_ranges(bits)) == bits
    assert to_ranges(bits) == ranges_of_set(open_minutes_by_layout(bits))


@given(bitmap_strategy, bitmap_strategy)
def test_property_bit_ops_agree_with_set_operations(a, b):
    set_a, set_b = open_minutes_by_layout(a), open_minutes_by_layout(b)
    assert open_minutes_by_layout(bit_and(a, b)) == set_a & set_b
    assert open_minutes_by_layout(bit_or(a, b)) == set_a | set_b
    assert open_minutes_by_layout(bit_andnot(a, b)) == set_a - set_b


@given(bitmap_strategy, st.integers(0, MINUTES_PER_DAY - 1), st.integers(1, MINUTES_PER_DAY))
def test_property_range_edits_agree_with_sets(bits, start, length):
    end = min(start + length, MINUTES_PER_DAY)
    minutes = open_minutes_by_layout(bits)
    span = set(range(start, end))
    assert open_minutes_by_layout(set_range(bits, start, end)) == minutes | span
    assert open_minutes_by_layout(clear_range(bits, start, end)) == minutes - span
    assert is_range_open(bits, start, end) is span.issubset(minutes)


@given(
    bitmap_strategy,
    st.integers(1, 240),
    st.sampled_from([1, 5, 15, 30, 60]),
    st.integers(0, MINUTES_PER_DAY + 10),
)
def test_property_free_starts_agrees_with_brute_force(bits, duration, step, earliest):
    expected = brute_free_starts(open_minutes_by_layout(bits), duration, step, earliest)
    assert free_starts(bits, duration, step=step, earliest=earliest) == expected


@given(st.sets(st.integers(0, MINUTES_PER_DAY - 1)))
def test_property_layout_matches_hand_built_bytes(minutes):
    assert from_ranges((m, m + 1) for m in minutes) == bits_of_set(minutes)


# --- DST: known days ------------------------------------------------------------------------


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz_name", "local_date", "minutes", "gap", "repeat"),
    [
        (NEW_YORK, date(2026, 3, 8), 1380, [(120, 180)], []),
        (NEW_YORK, date(2026, 11, 1), 1500, [], [(60, 120)]),
        (NEW_YORK, date(2026, 3, 7), 1440, [], []),
        (NEW_YORK, date(2026, 3, 9), 1440, [], []),
        (NEW_YORK, date(2026, 6, 15), 1440, [], []),
        (LONDON, date(2026, 3, 29), 1380, [(60, 120)], []),
        (LONDON, date(2026, 10, 25), 1500, [], [(60, 120)]),
        (LONDON, date(2026, 1, 15), 1440, [], []),
        (KOLKATA, date(2026, 3, 8), 1440, [], []),
        (KOLKATA, date(2026, 11, 1), 1440, [], []),
        ("UTC", date(2026, 3, 29), 1440, [], []),
        # Chile changes at midnight: the repeated hour ends the day, the gap starts it.
        ("America/Santiago", date(2026, 4, 4), 1500, [], [(1380, 1440)]),
        ("America/Santiago", date(2026, 4, 5), 1440, [], []),
        ("America/Santiago", date(2026, 9, 5), 1440, [], []),
        ("America/Santiago", date(2026, 9, 6), 1380, [(0, 60)], []),
        # Lord Howe Island moves its clocks by half an hour.
        ("Australia/Lord_Howe", date(2026, 4, 5), 1470, [], [(90, 120)]),
        ("Australia/Lord_Howe", date(2026, 10, 4), 1410, [(120, 150)], []),
        # St. John's fell back from 00:01 to 23:01, so the repeated hour spans midnight.
        ("America/St_Johns", date(2005, 10, 29), 1499, [], [(1381, 1440)]),
        ("America/St_Johns", date(2005, 10, 30), 1441, [], [(0, 1)]),
        # Samoa skipped 30 December 2011 entirely.
        ("Pacific/Apia", date(2011, 12, 29), 1440, [], []),
        ("Pacific/Apia", date(2011, 12, 30), 0, [(0, 1440)], []),
        ("Pacific/Apia", date(2011, 12, 31), 1440, [], []),
    ],
)
def test_known_dst_days(tz_name, local_date, minutes, gap, repeat):
    assert day_minutes(local_date, tz_name) == minutes
    assert nonexistent_minutes(local_date, tz_name) == gap
    assert repeated_minutes(local_date, tz_name) == repeat


def test_kolkata_has_no_dst_all_year():
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert day_minutes(day, KOLKATA) == 1440
        assert nonexistent_minutes(day, KOLKATA) == []
        day += timedelta(days=1)


def test_new_york_2026_has_exactly_two_odd_days():
    odd = {}
    day = date(2026, 1, 1)
    while day.year == 2026:
        if day_minutes(day, NEW_YORK) != 1440:
            odd[day] = day_minutes(day, NEW_YORK)
        day += timedelta(days=1)
    assert odd == {date(2026, 3, 8): 1380, date(2026, 11, 1): 1500}


@pytest.mark.parametrize(
    ("minute", "expected"),
    [
        (0, utc(2026, 3, 8, 5, 0)),  # 00:00 EST
        (119, utc(2026, 3, 8, 6, 59)),  # 01:59 EST, just before the jump
        (120, utc(2026, 3, 8, 7, 0)),  # 02:00 does not exist: the transition instant
        (150, utc(2026, 3, 8, 7, 0)),  # 02:30 does not exist: the transition instant
        (179, utc(2026, 3, 8, 7, 0)),
        (180, utc(2026, 3, 8, 7, 0)),  # 03:00 EDT, the same instant
        (181, utc(2026, 3, 8, 7, 1)),
        (1439, utc(2026, 3, 9, 3, 59)),
        (1440, utc(2026, 3, 9, 4, 0)),  # midnight ending the day, EDT
    ],
)
def test_local_minute_to_utc_across_the_spring_gap(minute, expected):
    result = local_minute_to_utc(date(2026, 3, 8), minute, NEW_YORK)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("minute", "expected"),
    [
        (0, utc(2026, 11, 1, 4, 0)),  # 00:00 EDT
        (60, utc(2026, 11, 1, 5, 0)),  # 01:00, first occurrence (EDT)
        (90, utc(2026, 11, 1, 5, 30)),
        (119, utc(2026, 11, 1, 5, 59)),
        (120, utc(2026, 11, 1, 7, 0)),  # 02:00 EST
        (1440, utc(2026, 11, 2, 5, 0)),  # midnight ending the day, EST
    ],
)
def test_local_minute_to_utc_across_the_autumn_fold(minute, expected):
    assert local_minute_to_utc(date(2026, 11, 1), minute, NEW_YORK) == expected


def test_local_minute_to_utc_london_spring_and_ordinary_days():
    day = date(2026, 3, 29)
    assert local_minute_to_utc(day, 59, LONDON) == utc(2026, 3, 29, 0, 59)  # 00:59 GMT
    assert local_minute_to_utc(day, 60, LONDON) == utc(2026, 3, 29, 1, 0)  # gap -> transition
    assert local_minute_to_utc(day, 90, LONDON) == utc(2026, 3, 29, 1, 0)
    assert local_minute_to_utc(day, 120, LONDON) == utc(2026, 3, 29, 1, 0)  # 02:00 BST
    assert local_minute_to_utc(day, 600, LONDON) == utc(2026, 3, 29, 9, 0)
    assert local_minute_to_utc(date(2026, 7, 1), 600, LONDON) == utc(2026, 7, 1, 9, 0)
    assert local_minute_to_utc(date(2026, 7, 1), 600, KOLKATA) == utc(2026, 7, 1, 4, 30)


def test_local_minute_to_utc_refuses_minutes_outside_the_day():
    with pytest.raises(ValueError):
        local_minute_to_utc(date(2026, 7, 1), 1441, NEW_YORK)
    with pytest.raises(ValueError):
        local_minute_to_utc(date(2026, 7, 1), -1, NEW_YORK)


def test_a_range_ending_inside_the_gap_does_not_reach_past_it():
    day = date(2026, 3, 8)
    start = local_minute_to_utc(day, 60, NEW_YORK)  # 01:00 EST
    end = local_minute_to_utc(day, 150, NEW_YORK)  # 02:30, which does not exist
    assert end - start == timedelta(hours=1)  # only 01:00-02:00 EST is real


@pytest.mark.parametrize(
    ("instant", "tz_name", "expected"),
    [
        (utc(2026, 11, 1, 5, 30), NEW_YORK, (date(2026, 11, 1), 90)),  # 01:30 EDT
        (utc(2026, 11, 1, 6, 30), NEW_YORK, (date(2026, 11, 1), 90)),  # 01:30 EST, second time
        (utc(2026, 3, 8, 7, 0), NEW_YORK, (date(2026, 3, 8), 180)),  # 03:00 EDT
        (utc(2026, 3, 8, 6, 59, 59), NEW_YORK, (date(2026, 3, 8), 119)),  # seconds round down
        (utc(2026, 3, 9, 3, 59), NEW_YORK, (date(2026, 3, 8), 1439)),
        (utc(2026, 3, 9, 4, 0), NEW_YORK, (date(2026, 3, 9), 0)),
        (utc(2026, 1, 1, 0, 0), KOLKATA, (date(2026, 1, 1), 330)),
        (utc(2025, 12, 31, 18, 30), KOLKATA, (date(2026, 1, 1), 0)),
        (datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo(LONDON)), NEW_YORK, (date(2026, 7, 1), 240)),
    ],
)
def test_utc_to_local_minute(instant, tz_name, expected):
    assert utc_to_local_minute(instant, tz_name) == expected


def test_utc_to_local_minute_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        utc_to_local_minute(datetime(2026, 7, 1, 9, 0), NEW_YORK)


def test_clear_nonexistent_closes_only_the_gap():
    spring = date(2026, 3, 8)
    assert to_ranges(clear_nonexistent(FULL, spring, NEW_YORK)) == [(0, 120), (180, 1440)]
    assert to_ranges(clear_nonexistent(from_ranges([(60, 240)]), spring, NEW_YORK)) == [(60, 120), (180, 240)]
    assert to_ranges(clear_nonexistent(FULL, date(2026, 3, 29), LONDON)) == [(0, 60), (120, 1440)]
    assert clear_nonexistent(FULL, date(2026, 11, 1), NEW_YORK) == FULL  # the fold keeps its bits
    assert clear_nonexistent(FULL, date(2026, 3, 9), NEW_YORK) == FULL
    assert clear_nonexistent(FULL, spring, KOLKATA) == FULL
    assert clear_nonexistent(FULL, date(2011, 12, 30), "Pacific/Apia") == EMPTY


def test_unknown_time_zone_is_an_error():
    with pytest.raises(KeyError):
        day_minutes(date(2026, 3, 8), "Mars/Olympus_Mons")


# --- DST: brute-force reference -------------------------------------------------------------

DST_ZONES = [
    NEW_YORK,
    LONDON,
    KOLKATA,
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Antarctica/Troll",  # two-hour jumps
    "Pacific/Apia",
    "Asia/Tehran",
    "America/St_Johns",
]


def brute_force_day(local_date, tz_name):
    """Walk every UTC minute around the day and see which wall-clock minutes it shows.

    Returns (day length in minutes, nonexistent ranges, repeated ranges, utc_of) where
    utc_of(minute) is the first UTC minute whose wall clock has reached that minute.
    """
    zone = ZoneInfo(tz_name)
    midnight = datetime.combine(local_date, time(0), tzinfo=UTC)  # wall clock written as UTC
    first = midnight - timedelta(hours=16)
    instants = [first + timedelta(minutes=i) for i in range((24 + 32) * 60)]
    walls = [int((i.astimezone(zone).replace(tzinfo=UTC) - midnight).total_seconds()) // 60 for i in instants]
    seen = {}
    for wall in walls:
        if 0 <= wall < MINUTES_PER_DAY:
            seen[wall] = seen.get(wall, 0) + 1
    length = sum(seen.values())
    missing = ranges_of_set(set(range(MINUTES_PER_DAY)) - set(seen))
    repeated = ranges_of_set({wall for wall, count in seen.items() if count > 1})
    reached = list(accumulate(walls, max))

    def utc_of(minute):
        return instants[bisect_left(reached, minute)]

    return length, missing, repeated, utc_of


def transition_days(tz_name, year):
    """Local dates touching an offset change in ``year``, found by hourly sampling."""
    zone = ZoneInfo(tz_name)
    days = set()
    instant = datetime(year, 1, 1, tzinfo=UTC)
    previous = instant.astimezone(zone)
    while instant.year == year:
        instant += timedelta(hours=1)
        current = instant.astimezone(zone)
        if current.utcoffset() != previous.utcoffset():
            for local in (previous, current):
                days.update(local.date() + timedelta(days=k) for k in (-1, 0, 1))
        previous = current
    return sorted(days)


def assert_matches_brute_force(local_date, tz_name, minutes_to_check):
    length, missing, repeated, utc_of = brute_force_day(local_date, tz_name)
    assert day_minutes(local_date, tz_name) == length
    assert nonexistent_minutes(local_date, tz_name) == missing
    assert repeated_minutes(local_date, tz_name) == repeated
    for minute in minutes_to_check:
        assert local_minute_to_utc(local_date, minute, tz_name) == utc_of(minute), minute
        instant = local_minute_to_utc(local_date, minute, tz_name)
        if minute < MINUTES_PER_DAY and not any(start <= minute < end for start, end in missing):
            assert utc_to_local_minute(instant, tz_name) == (local_date, minute)


@pytest.mark.parametrize(
    ("tz_name", "year"),
    [(zone, 2026) for zone in DST_ZONES] + [("Pacific/Apia", 2011), ("Asia/Tehran", 2020)],
)
def test_days_around_every_transition_match_brute_force(tz_name, year):
    days = transition_days(tz_name, year)
    if tz_name in (NEW_YORK, LONDON, "Australia/Sydney", "Antarctica/Troll"):
        assert days, "the zone should change its clocks this year"
    for local_date in days:
        assert_matches_brute_force(local_date, tz_name, range(0, MINUTES_PER_DAY + 1))


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(DST_ZONES), st.dates(date(1980, 1, 1), date(2037, 12, 31)), st.integers(0, MINUTES_PER_DAY))
def test_property_random_days_match_brute_force(tz_name, local_date, minute):
    assert_matches_brute_force(local_date, tz_name, [0, minute, MINUTES_PER_DAY])


@given(st.sampled_from(DST_ZONES), st.dates(date(2012, 1, 1), date(2037, 12, 31)))
def test_property_day_span_in_utc_equals_day_length(tz_name, local_date):
    """Holds wherever no clock falls back across midnight (St. John's last did in 2010)."""
    span = local_minute_to_utc(local_date, MINUTES_PER_DAY, tz_name) - local_minute_to_utc(local_date, 0, tz_name)
    assert span == timedelta(minutes=day_minutes(local_date, tz_name))


@pytest.mark.parametrize(
    ("tz_name", "local_date"),
    [
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 11, 1)),
        (NEW_YORK, date(2026, 7, 1)),
        (KOLKATA, date(2026, 3, 8)),
    ],
)
def test_day_span_in_utc_equals_day_length_on_known_days(tz_name, local_date):
    span = local_minute_to_utc(local_date, MINUTES_PER_DAY, tz_name) - local_minute_to_utc(local_date, 0, tz_name)
    assert span == timedelta(minutes=day_minutes(local_date, tz_name))
