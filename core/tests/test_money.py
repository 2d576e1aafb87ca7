from decimal import Decimal

import pytest
from django.template import Context, Template

from core.money import cents_for_minutes, cents_to_dollars, dollars_to_cents, format_cents


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("45", 4500),
        ("45.5", 4550),
        ("45.50", 4550),
        ("0.01", 1),
        ("$1,234.56", 123456),
        (" $80 ", 8000),
        ("0", 0),
        (45, 4500),
        (0, 0),
        (Decimal("45.5"), 4550),
        (Decimal("19.99"), 1999),
        # half up, never banker's rounding: 0.005 -> 1 cent, 0.015 -> 2 cents, 0.025 -> 3 cents
        ("0.005", 1),
        ("0.015", 2),
        ("0.025", 3),
        ("0.004", 0),
        (Decimal("10.125"), 1013),
        # 0.1 + 0.2 style sums stay exact because nothing is a float
        ("0.30", 30),
    ],
)
def test_dollars_to_cents_is_exact(amount, cents):
    result = dollars_to_cents(amount)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize("amount", [45.5, 0.1, 0.0, float("nan")])
def test_dollars_to_cents_refuses_floats(amount):
    with pytest.raises(TypeError, match="float"):
        dollars_to_cents(amount)


@pytest.mark.parametrize(
    "amount",
    [
        "",
        "   ",
        "abc",
        "45 dollars",
        "4 5",
        "$",
        "1.2.3",
        "NaN",
        "nan",
        "sNaN",
        "inf",
        "-Infinity",
        Decimal("NaN"),
        Decimal("Infinity"),
        None,
        # Too large to be a price: must still be a ValueError (a form error), never a 500.
        "1e30",
        "99999999999999999999999999999",
        Decimal("1E+40"),
    ],
)
def test_dollars_to_cents_rejects_garbage_with_value_error(amount):
    with pytest.raises(ValueError, match="Not a dollar amount"):
        dollars_to_cents(amount)


def test_cents_to_dollars_is_a_two_place_decimal():
    assert cents_to_dollars(4550) == Decimal("45.50")
    assert str(cents_to_dollars(4500)) == "45.00"
    assert str(cents_to_dollars(1)) == "0.01"
    assert str(cents_to_dollars(-250)) == "-2.50"


@pytest.mark.parametrize("cents", [0, 1, 99, 4500, 4550, 123456, 99999999])
def test_cents_round_trip_through_dollars(cents):
    assert dollars_to_cents(cents_to_dollars(cents)) == cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (4500, "$45"),
        (4550, "$45.50"),
        (4505, "$45.05"),
        (5, "$0.05"),
        (0, "$0"),
        (123456, "$1,234.56"),
        (100000000, "$1,000,000"),
        (-4550, "-$45.50"),
        (-4500, "-$45"),
        (-5, "-$0.05"),
        (None, ""),
    ],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


def test_usd_template_filter_uses_format_cents():
    template = Template("{% load money %}{{ a|usd }}|{{ b|usd }}|{{ c|usd }}")
    assert template.render(Context({"a": 4500, "b": 4550, "c": None})) == "$45|$45.50|"


@pytest.mark.parametrize(
    ("hourly_rate_cents", "minutes", "cents"),
    [
        (6000, 60, 6000),
        (6000, 45, 4500),  # $60/h x 45 min = $45.00
        (6000, 30, 3000),
        (6000, 90, 9000),
        (5500, 45, 4125),  # $55/h x 45 min = $41.25
        (5500, 30, 2750),
        (4999, 45, 3749),  # 3749.25 -> down
        (5010, 45, 3758),  # 3757.50 -> half up
        (4999, 50, 4166),  # 4165.83 -> up
        (1, 30, 1),  # half a cent rounds up
        (1, 29, 0),  # under half a cent rounds down
        (7777, 0, 0),
        (12345, 120, 24690),
    ],
)
def test_cents_for_minutes(hourly_rate_cents, minutes, cents):
    result = cents_for_minutes(hourly_rate_cents, minutes)
    assert result == cents
    assert type(result) is int


def test_cents_for_minutes_agrees_with_exact_decimal_half_up():
    from decimal import ROUND_HALF_UP

    for rate in (1000, 3333, 4999, 5010, 6001, 12345):
        for minutes in (15, 20, 25, 30, 45, 50, 60, 75, 90, 120):
            exact = (Decimal(rate) * minutes / 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
            assert cents_for_minutes(rate, minutes) == int(exact), (rate, minutes)
