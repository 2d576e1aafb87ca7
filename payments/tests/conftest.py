"""Fixtures for the payments tests: the Stripe stand-in and both gateways.

`stripe_gateway` is the real `StripeGateway` (the SDK over HTTP) pointed at a fresh stand-in
(`stripe_standin`) with API key "sk_test_standin", no SDK retries and a 1 s timeout, so fault tests
stay fast. `simulated_gateway` is the simulated one (INT tier, no key). Neither needs the database;
the simulated gateway keeps its objects in the test run's Redis cache, which the root conftest
empties around every test.
"""

import pytest

from payments.gateway import StripeGateway, get_gateway
from payments.simulated import SimulatedGateway

from .stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandIn


@pytest.fixture
def stripe_standin():
    with StripeStandIn(hang_seconds=3.0) as standin:
        yield standin


@pytest.fixture
def stripe_settings(settings, stripe_standin):
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = stripe_standin.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def stripe_gateway(stripe_settings) -> StripeGateway:
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    return gateway


@pytest.fixture
def simulated_gateway(settings) -> SimulatedGateway:
    settings.STRIPE_SECRET_KEY = ""
    settings.ENV_TIER = "INT"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    gateway = get_gateway()
    assert isinstance(gateway, SimulatedGateway)
    return gateway
