"""On STG and PROD every secret comes from the environment (issue 10, item 3): a missing or
published default secret is a system-check Error, so `check --deploy` fails and so does the web
server's start-up; a webhook signed with the old published default is refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.test import override_settings

from core.checks import secrets_come_from_the_environment

ROOT = Path(__file__).resolve().parent.parent.parent
REAL = {
    "DJANGO_SECRET_KEY": "0a9f8e7d6c5b4a39281706f5e4d3c2b1a0" * 2,
    "STRIPE_SECRET_KEY": "sk_live_real",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_real",
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
}


def production_environment(**environment) -> dict[str, str]:
    """This process's environment with no secrets in it, on the PROD tier. The browser tests'
    DJANGO_ALLOW_ASYNC_UNSAFE goes too: `check --deploy` rightly refuses it."""
    dropped = ("STRIPE_", "DJANGO_SECRET", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.update(ENV_TIER="PROD", DJANGO_ALLOWED_HOSTS="instainstru.example", **environment)
    return env


def deploy_check(**environment) -> subprocess.CompletedProcess:
    env = production_environment(DJANGO_DEBUG="0", **environment)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_fails_without_real_secrets_and_passes_with_them():
    without = deploy_check(DJANGO_SECRET_KEY=REAL["DJANGO_SECRET_KEY"])
    assert without.returncode != 0
    for variable in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert variable in without.stderr
    with_them = deploy_check(**REAL)
    assert with_them.returncode == 0, with_them.stderr


@pytest.mark.parametrize("tier", ["STG", "PROD"])
def test_a_published_default_is_as_bad_as_none(tier):
    published = {"SECRET_KEY": "insecure-local-development-key-only-for-the-INT-tier"}
    with override_settings(ENV_TIER=tier, STRIPE_WEBHOOK_SECRET="whsec_test_local_only", **published):
        found = secrets_come_from_the_environment(None)
    assert all(isinstance(error, Error) for error in found)
    named = " ".join(error.msg for error in found)
    assert "DJANGO_SECRET_KEY" in named and "STRIPE_WEBHOOK_SECRET" in named


def test_the_development_tier_keeps_its_local_defaults():
    with override_settings(ENV_TIER="INT", STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="whsec_test_local_only"):
        assert secrets_come_from_the_environment(None) == []


def test_a_test_key_on_production_is_an_error_too():
    with override_settings(ENV_TIER="PROD", STRIPE_SECRET_KEY="sk_test_oops"):
        found = secrets_come_from_the_environment(None)
    assert any("sk_live_" in error.msg for error in found)


def test_the_web_server_refuses_to_start_without_them():
    env = production_environment(DJANGO_SECRET_KEY="k" * 64)
    started = subprocess.run(
        [sys.executable, "-c", "import instainstru.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0 and "STRIPE_WEBHOOK_SECRET" in started.stderr


def test_production_has_no_webhook_secret_unless_the_environment_gives_one():
    """The published default used to be PROD's secret too: a webhook signed with it was accepted."""
    env = production_environment(
        DJANGO_SECRET_KEY=REAL["DJANGO_SECRET_KEY"], DJANGO_SETTINGS_MODULE="instainstru.settings"
    )
    code = (
        "import django; django.setup(); from django.conf import settings; print(repr(settings.STRIPE_WEBHOOK_SECRET))"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert found.stdout.strip() == "''", found.stderr
