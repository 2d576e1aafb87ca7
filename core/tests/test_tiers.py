import pytest
from django.core.management.base import CommandError
from django.test import RequestFactory

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


@pytest.mark.parametrize("tier", ["INT", "STG"])
@pytest.mark.parametrize(("allow_prod", "confirmation"), [(False, None), (True, None), (False, "PROD"), (True, "no")])
def test_guard_destructive_does_not_ask_off_production(settings, tier, allow_prod, confirmation):
    settings.ENV_TIER = tier
    assert tiers.guard_destructive("flush the database", allow_prod=allow_prod, confirmation=confirmation) is None


@pytest.mark.parametrize("confirmation", [None, "PROD"])
def test_guard_destructive_on_prod_needs_the_flag(settings, confirmation):
    settings.ENV_TIER = "PROD"
    with pytest.raises(CommandError, match="without --allow-prod"):
        tiers.guard_destructive("flush the database", allow_prod=False, confirmation=confirmation)


@pytest.mark.parametrize("confirmation", [None, "", "prod", "yes", " PROD", "PRODUCTION"])
def test_guard_destructive_on_prod_needs_the_exact_confirmation(settings, confirmation):
    settings.ENV_TIER = "PROD"
    with pytest.raises(CommandError, match="confirm by typing PROD"):
        tiers.guard_destructive("flush the database", allow_prod=True, confirmation=confirmation)


def test_guard_destructive_on_prod_with_flag_and_confirmation_proceeds(settings):
    settings.ENV_TIER = "PROD"
    assert tiers.guard_destructive("flush the database", allow_prod=True, confirmation="PROD") is None


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
