"""Environment tiers: INT (default), STG, PROD. Commands that delete data refuse on PROD and
need the tier typed as a confirmation on STG."""

from django.conf import settings
from django.core.management.base import CommandError

TIER_LABELS = {"INT": "Integration", "STG": "Staging", "PROD": "Production"}


def current_tier() -> str:
    return settings.ENV_TIER


def is_production() -> bool:
    return current_tier() == "PROD"


def refuse_on_production(what: str) -> None:
    """For commands that must never run on PROD at all (demo data)."""
    if is_production():
        raise CommandError(f"Refusing to {what} on the PROD tier.")


def guard_destructive(what: str, *, confirmation: str | None) -> None:
    """Commands that delete data: never on PROD; on STG only with the tier typed as the
    confirmation (asked at the prompt, or given with --confirm-tier for a script)."""
    refuse_on_production(what)
    if current_tier() == "STG" and confirmation != "STG":
        raise CommandError(f"To {what} on the STG tier, confirm by typing STG (or pass --confirm-tier STG).")
