import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from accounts.models import User
from accounts.tests.factories import UserFactory
from core import tiers
from core.context_processors import site


@pytest.mark.parametrize("tier", ["INT", "STG"])
def test_refuse_on_production_allows_other_tiers(settings, tier):
    settings.ENV_TIER = tier
    assert not tiers.is_production()
    assert tiers.refuse_on_production("load demo data") is None


def test_refuse_on_production_refuses_on_prod(settings):
    settings.ENV_TIER = "PROD"
    assert tiers.is_production()
    with pytest.raises(CommandError, match="Refusing to load demo data on the PROD tier"):
        tiers.refuse_on_production("load demo data")


def test_the_integration_tier_does_not_ask(settings):
    settings.ENV_TIER = "INT"
    assert tiers.guard_destructive("flush the database", confirmation=None) is None


@pytest.mark.parametrize("confirmation", [None, "STG", "PROD"])
def test_production_refuses_whatever_is_typed(settings, confirmation):
    settings.ENV_TIER = "PROD"
    with pytest.raises(CommandError, match="Refusing to flush the database on the PROD tier"):
        tiers.guard_destructive("flush the database", confirmation=confirmation)


@pytest.mark.parametrize("confirmation", [None, "", "stg", "yes", "PROD", " STG"])
def test_staging_needs_the_tier_typed(settings, confirmation):
    settings.ENV_TIER = "STG"
    with pytest.raises(CommandError, match="confirm by typing STG"):
        tiers.guard_destructive("flush the database", confirmation=confirmation)
    assert tiers.guard_destructive("flush the database", confirmation="STG") is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tier", ["PROD", "STG"])
def test_flush_keeps_every_row_unless_the_tier_allows_it(settings, tier):
    settings.ENV_TIER = tier
    person = UserFactory()
    with pytest.raises(CommandError, match=tier):
        call_command("flush", interactive=False)
    assert User.objects.filter(pk=person.pk).exists()
    if tier == "STG":
        call_command("flush", interactive=False, confirm_tier="STG")
        assert not User.objects.exists()
    settings.ENV_TIER = "INT"  # the test database's own flush comes after this test


@pytest.mark.parametrize(("tier", "label"), [("INT", "Integration"), ("STG", "Staging"), ("PROD", "Production")])
def test_site_context_shows_the_tier(settings, tier, label):
    settings.ENV_TIER = tier
    settings.DEBUG = False
    context = site(RequestFactory().get("/"))
    assert tiers.current_tier() == tier
    assert context["env_tier"] == tier
    assert context["env_tier_label"] == label
    assert context["site_name"] == "InstaInstru"
    assert context["debug"] is False
