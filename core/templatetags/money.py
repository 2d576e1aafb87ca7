from django import template

from core.money import format_cents

register = template.Library()


@register.filter
def usd(cents):
    """{{ rate_cents|usd }} → $45 or $45.50."""
    return format_cents(cents)
