"""System checks of the deployment (run by `manage.py check` and `check --deploy`, and by the web
server at start-up: instainstru/wsgi.py).

On STG and PROD every secret must come from the environment: a missing secret, or the local
default published in this repository, is an Error. A Stripe test key on PROD is an Error too.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

# Settings that are secrets -> the environment variable that sets them.
SECRETS = {
    "SECRET_KEY": "DJANGO_SECRET_KEY",
    "STRIPE_SECRET_KEY": "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY": "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET": "STRIPE_WEBHOOK_SECRET",
}
# Local defaults written in this repository: anybody can read them.
PUBLISHED_DEFAULTS = {"insecure-local-development-key-only-for-the-INT-tier", "whsec_test_local_only"}
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


@register(Tags.security)
def secrets_come_from_the_environment(app_configs, **kwargs) -> list[Error]:
    if settings.ENV_TIER not in ("STG", "PROD"):
        return []
    errors = []
    for name, variable in SECRETS.items():
        value = getattr(settings, name, "") or ""
        if not value or value in PUBLISHED_DEFAULTS:
            errors.append(
                Error(
                    f"{variable} must be set in the environment on {settings.ENV_TIER}"
                    + (" (the value in use is the published local default)." if value else "."),
                    hint="Set it from the secret store; never rely on a default written in the code.",
                    id="core.E001",
                )
            )
    key = settings.STRIPE_SECRET_KEY or ""
    if settings.ENV_TIER == "PROD" and key and not key.startswith(LIVE_KEY_PREFIXES):
        errors.append(
            Error(
                "STRIPE_SECRET_KEY is not a live key on PROD (it must start with sk_live_ or rk_live_).",
                id="core.E002",
            )
        )
    return errors


def refuse_to_start_without_secrets() -> None:
    """The web server does not run Django's checks: it calls this before serving."""
    errors = secrets_come_from_the_environment(None)
    if errors:
        raise ImproperlyConfigured("; ".join(error.msg for error in errors))
