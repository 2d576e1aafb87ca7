"""Environment tiers: INT (default), STG, PROD. Destructive commands refuse on PROD
unless given an explicit flag and a typed confirmation."""

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


def guard_destructive(what: str, *, allow_prod: bool, confirmation: str | None) -> None:
    """On PROD, `what` needs --allow-prod and the confirmation text 'PROD'."""
    if not is_production():
        return
    if not allow_prod:
        raise CommandError(f"Refusing to {what} on the PROD tier without --allow-prod.")
    if confirmation != "PROD":
        raise CommandError(f"To {what} on PROD, confirm by typing PROD.")
