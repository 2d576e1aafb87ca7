"""Money is integer cents (USD). These helpers are the only way between cents and dollars."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def dollars_to_cents(amount: str | int | Decimal) -> int:
    """Exact conversion of a dollar amount ("45", "45.5", Decimal) to integer cents."""
    if isinstance(amount, float):
        raise TypeError("Money never travels as float; pass a str, int or Decimal")
    try:
        value = Decimal(str(amount).strip().lstrip("$").replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"Not a dollar amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"Not a dollar amount: {amount!r}")
    try:
        cents = (value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds ("1e30")
        raise ValueError(f"Not a dollar amount: {amount!r}") from exc
    return int(cents)


def cents_to_dollars(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_cents(cents: int | None) -> str:
    """$45 for whole dollars, $45.50 otherwise; '' for None."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}" if rest == 0 else f"{sign}${dollars:,}.{rest:02d}"


def cents_for_minutes(hourly_rate_cents: int, minutes: int) -> int:
    """Price of a lesson of `minutes` at an hourly rate, rounded half up to the cent."""
    return (hourly_rate_cents * minutes + 30) // 60
