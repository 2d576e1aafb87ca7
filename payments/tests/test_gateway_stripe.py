"""Contract tests: the real StripeGateway (stripe SDK over HTTP) against the local Stripe stand-in.

They pin what we send (paths, parameters, idempotency keys, credentials) and how Stripe's answers and
failures come back (results, CardDeclined, AuthenticationRequired, TransientGatewayError, InvalidRequest).
"""

from datetime import UTC, datetime

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from payments.gateway import (
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    IntentStatus,
    InvalidRequest,
    StripeGateway,
    TransientGatewayError,
    get_gateway,
    idempotency_key,
    in_test_mode,
)

BOOKING = "01JBOOKING0000000000000001"


@pytest.fixture
def customer(stripe_gateway):
    return stripe_gateway.create_customer(
        email="sam@example.test", name="Sam Student", user_id="01JUSER", idempotency_key="ii:customer:01JUSER"
    )


@pytest.fixture
def card(stripe_gateway, customer):
    return stripe_gateway.attach_payment_method(customer_id=customer.id, payment_method_id="pm_card_visa")


def authorize(gateway, customer, payment_method_id, *, key="ii:authorize:B:1", amount=6000, off_session=True):
    return gateway.authorize(
        customer_id=customer.id,
        payment_method_id=payment_method_id,
        amount_cents=amount,
        booking_id=BOOKING,
        idempotency_key=key,
        off_session=off_session,
    )


@pytest.fixture
def authorized(stripe_gateway, customer, card):
    return authorize(stripe_gateway, customer, card.payment_method_id)


@pytest.fixture
def onboarded_account(stripe_gateway, stripe_standin):
    account = stripe_gateway.create_connect_account(
        email="ida@example.test", instructor_id="01JINSTR", idempotency_key="ii:connect:01JINSTR"
    )
    stripe_standin.complete_onboarding(account.id)
    return account


# --- Choosing the gateway and keys ---------------------------------------------------------------------


def test_a_secret_key_selects_the_stripe_gateway_pointed_at_the_configured_base(stripe_settings, stripe_standin):
    gateway = get_gateway()
    assert isinstance(gateway, StripeGateway)
    assert not in_test_mode()
    assert get_gateway() is gateway  # one client (and connection pool) per configuration
    gateway.create_customer(email="a@b.test", name="A B", user_id="U", idempotency_key="ii:customer:U")
    assert [r.path for r in stripe_standin.requests] == ["/v1/customers"]  # the SDK talks to the stand-in


def test_without_a_key_stg_and_prod_refuse_instead_of_simulating(settings):
    settings.STRIPE_SECRET_KEY = ""
    for tier in ("STG", "PROD"):
        settings.ENV_TIER = tier
        assert not in_test_mode()
        with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
            get_gateway()


def test_requests_carry_the_secret_key_and_no_telemetry(stripe_standin, customer):
    request = stripe_standin.last("/v1/customers")
    assert request.headers["authorization"] == "Bearer sk_test_standin"
    assert "x-stripe-client-telemetry" not in request.headers
    assert stripe.enable_telemetry is False


def test_idempotency_key_helper():
    assert idempotency_key("authorize", "01JB", 2) == "ii:authorize:01JB:2"
    long_key = idempotency_key("refund", "x" * 400)
    assert len(long_key) == 255
    assert long_key != idempotency_key("refund", "x" * 399)
    with pytest.raises(ValueError):
        idempotency_key("capture", "")


def test_an_empty_idempotency_key_is_refused_before_any_request(stripe_gateway, stripe_standin, authorized):
    count = len(stripe_standin.requests)
    with pytest.raises(ValueError, match="idempotency key"):
        stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="")
    assert len(stripe_standin.requests) == count


# --- Customers and cards ------------------------------------------------------------------------------


def test_create_customer(stripe_standin, customer):
    request = stripe_standin.last("/v1/customers", "POST")
    assert request.params == {"email": "sam@example.test", "name": "Sam Student", "metadata[user_id]": "01JUSER"}
    assert request.idempotency_key == "ii:customer:01JUSER"
    assert customer.id.startswith("cus_")


def test_setup_intent_saves_cards_for_off_session_use(stripe_gateway, stripe_standin, customer):
    result = stripe_gateway.create_setup_intent(customer_id=customer.id, idempotency_key="ii:setup:01JUSER:1")
    request = stripe_standin.last("/v1/setup_intents", "POST")
    assert request.params == {"customer": customer.id, "usage": "off_session", "payment_method_types[0]": "card"}
    assert request.idempotency_key == "ii:setup:01JUSER:1"
    assert result.status == "requires_payment_method"
    assert result.client_secret.startswith(f"{result.id}_secret_")


def test_retrieve_setup_intent_reports_the_confirmed_card(stripe_gateway, stripe_standin, customer, card):
    created = stripe_gateway.create_setup_intent(customer_id=customer.id, idempotency_key="ii:setup:01JUSER:1")
    stripe_standin.update_object(created.id, status="succeeded", payment_method=card.payment_method_id)  # Stripe.js

    result = stripe_gateway.retrieve_setup_intent(setup_intent_id=created.id)

    assert stripe_standin.last(f"/v1/setup_intents/{created.id}").method == "GET"
    assert (result.status, result.payment_method_id) == ("succeeded", card.payment_method_id)


def test_attach_card_details_and_detach(stripe_gateway, stripe_standin, customer, card):
    attach = stripe_standin.last("/v1/payment_methods/pm_card_visa/attach", "POST")
    assert attach.params == {"customer": customer.id}
    assert card.payment_method_id.startswith("pm_") and card.payment_method_id != "pm_card_visa"
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2034)

    assert stripe_gateway.card_details(payment_method_id=card.payment_method_id) == card
    assert stripe_standin.last(f"/v1/payment_methods/{card.payment_method_id}").method == "GET"

    stripe_gateway.detach_payment_method(payment_method_id=card.payment_method_id)
    assert stripe_standin.last(f"/v1/payment_methods/{card.payment_method_id}/detach").method == "POST"
    assert stripe_standin.objects[card.payment_method_id]["customer"] is None


# --- Authorization ------------------------------------------------------------------------------------


def test_authorize_holds_the_price_with_manual_capture(stripe_standin, customer, card, authorized):
    request = stripe_standin.last("/v1/payment_intents", "POST")
    assert request.params == {
        "amount": "6000",
        "currency": "usd",
        "customer": customer.id,
        "payment_method": card.payment_method_id,
        "payment_method_types[0]": "card",
        "capture_method": "manual",
        "confirm": "true",
        "off_session": "true",
        "transfer_group": f"booking_{BOOKING}",
        "metadata[booking_id]": BOOKING,
    }
    assert request.idempotency_key == "ii:authorize:B:1"
    assert authorized.status == IntentStatus.REQUIRES_CAPTURE and authorized.is_authorized
    assert (authorized.amount_cents, authorized.amount_capturable_cents, authorized.amount_received_cents) == (
        6000,
        6000,
        0,
    )
    assert authorized.charge_id.startswith("ch_")
    assert authorized.payment_method_id == card.payment_method_id


def test_authorize_on_session_says_so(stripe_gateway, stripe_standin, customer, card):
    authorize(stripe_gateway, customer, card.payment_method_id, off_session=False)
    assert stripe_standin.last("/v1/payment_intents", "POST").params["off_session"] == "false"


@pytest.mark.parametrize(
    ("payment_method", "decline_code"),
    [("pm_card_chargeDeclined", "generic_decline"), ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")],
)
def test_a_declined_card_raises_card_declined(stripe_gateway, stripe_standin, customer, payment_method, decline_code):
    with pytest.raises(CardDeclined) as caught:
        authorize(stripe_gateway, customer, payment_method)

    assert caught.value.code == "card_declined"
    assert caught.value.decline_code == decline_code
    assert caught.value.message
    assert caught.value.http_status == 402
    failed = stripe_gateway.retrieve_intent(intent_id=caught.value.intent_id)
    assert failed.status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert (failed.error_code, failed.decline_code) == ("card_declined", decline_code)


def test_off_session_authentication_raises_authentication_required(stripe_gateway, customer):
    with pytest.raises(AuthenticationRequired) as caught:
        authorize(stripe_gateway, customer, "pm_card_authenticationRequired")

    assert caught.value.code == "authentication_required"
    intent = stripe_gateway.retrieve_intent(intent_id=caught.value.intent_id)
    assert intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert intent.error_code == "authentication_required"
    assert intent.client_secret  # what Stripe.js needs to let the customer authenticate


def test_on_session_authentication_comes_back_as_requires_action(stripe_gateway, customer):
    result = authorize(stripe_gateway, customer, "pm_card_authenticationRequired", off_session=False)
    assert result.status == IntentStatus.REQUIRES_ACTION
    assert result.client_secret


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        ("card_declined", CardDeclined, "card_declined"),
        ("insufficient_funds", CardDeclined, "card_declined"),
        ("authentication_required", AuthenticationRequired, "authentication_required"),
    ],
)
def test_injected_card_errors_are_mapped(stripe_gateway, stripe_standin, customer, card, fault, error, code):
    stripe_standin.fail_next("/v1/payment_intents", fault)
    with pytest.raises(error) as caught:
        authorize(stripe_gateway, customer, card.payment_method_id)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.intent_id.startswith("pi_")


def test_a_decline_is_replayed_for_the_same_key_and_a_new_attempt_needs_a_new_key(
    stripe_gateway, stripe_standin, customer, card
):
    stripe_standin.fail_next("/v1/payment_intents", "card_declined")
    with pytest.raises(CardDeclined) as first:
        authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1")
    with pytest.raises(CardDeclined) as replay:
        authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1")
    assert replay.value.intent_id == first.value.intent_id
    assert stripe_standin.replays == 1

    second_attempt = authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:2")
    assert second_attempt.is_authorized


# --- Capture, release, refund -------------------------------------------------------------------------


def test_capture_sends_the_amount_to_capture(stripe_gateway, stripe_standin, authorized):
    result = stripe_gateway.capture(intent_id=authorized.id, amount_cents=3000, idempotency_key="ii:capture:B")

    request = stripe_standin.last(f"/v1/payment_intents/{authorized.id}/capture", "POST")
    assert request.params == {"amount_to_capture": "3000"}
    assert request.idempotency_key == "ii:capture:B"
    assert result.is_captured
    assert (result.amount_received_cents, result.amount_capturable_cents) == (3000, 0)


def test_capturing_more_than_authorized_is_an_invalid_request(stripe_gateway, authorized):
    with pytest.raises(InvalidRequest) as caught:
        stripe_gateway.capture(intent_id=authorized.id, amount_cents=6001, idempotency_key="ii:capture:B")
    assert caught.value.code == "amount_too_large"
    assert caught.value.param == "amount_to_capture"
    assert stripe_gateway.retrieve_intent(intent_id=authorized.id).is_authorized


def test_capture_twice_with_one_key_captures_once(stripe_gateway, stripe_standin, authorized):
    first = stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")
    again = stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")

    assert first == again
    requests = stripe_standin.requests_to(f"/v1/payment_intents/{authorized.id}/capture")
    assert [r.idempotency_key for r in requests] == ["ii:capture:B", "ii:capture:B"]
    assert stripe_standin.replays == 1
    with pytest.raises(InvalidRequest, match="status of succeeded"):
        stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B:other")


def test_cancel_authorization_releases_the_hold(stripe_gateway, stripe_standin, authorized):
    result = stripe_gateway.cancel_authorization(intent_id=authorized.id, idempotency_key="ii:release:B")

    request = stripe_standin.last(f"/v1/payment_intents/{authorized.id}/cancel", "POST")
    assert request.idempotency_key == "ii:release:B"
    assert result.is_canceled and result.amount_capturable_cents == 0


def test_retrieve_intent(stripe_gateway, stripe_standin, authorized):
    assert stripe_gateway.retrieve_intent(intent_id=authorized.id) == authorized
    assert stripe_standin.last(f"/v1/payment_intents/{authorized.id}").method == "GET"


def test_an_unknown_intent_is_an_invalid_request(stripe_gateway):
    with pytest.raises(InvalidRequest) as caught:
        stripe_gateway.retrieve_intent(intent_id="pi_nope")
    assert (caught.value.code, caught.value.http_status) == ("resource_missing", 404)


def test_refund_sends_the_amount_and_reason(stripe_gateway, stripe_standin, authorized):
    stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")

    refund = stripe_gateway.refund(
        intent_id=authorized.id, amount_cents=2500, idempotency_key="ii:refund:B:1", reason="requested_by_customer"
    )

    request = stripe_standin.last("/v1/refunds", "POST")
    assert request.params == {"payment_intent": authorized.id, "amount": "2500", "reason": "requested_by_customer"}
    assert request.idempotency_key == "ii:refund:B:1"
    assert (refund.amount_cents, refund.status) == (2500, "succeeded")
    stripe_gateway.refund(intent_id=authorized.id, amount_cents=100, idempotency_key="ii:refund:B:2")
    assert "reason" not in stripe_standin.last("/v1/refunds").params


def test_refunding_more_than_captured_is_an_invalid_request(stripe_gateway, authorized):
    stripe_gateway.capture(intent_id=authorized.id, amount_cents=5000, idempotency_key="ii:capture:B")
    with pytest.raises(InvalidRequest) as caught:
        stripe_gateway.refund(intent_id=authorized.id, amount_cents=5001, idempotency_key="ii:refund:B:1")
    assert caught.value.code == "amount_too_large"


# --- Connect and transfers ----------------------------------------------------------------------------


def test_create_connect_account_is_express_in_the_us_with_transfers(stripe_gateway, stripe_standin):
    account = stripe_gateway.create_connect_account(
        email="ida@example.test", instructor_id="01JINSTR", idempotency_key="ii:connect:01JINSTR"
    )

    request = stripe_standin.last("/v1/accounts", "POST")
    assert request.params == {
        "type": "express",
        "country": "US",
        "email": "ida@example.test",
        "capabilities[transfers][requested]": "true",
        "metadata[instructor_id]": "01JINSTR",
    }
    assert request.idempotency_key == "ii:connect:01JINSTR"
    assert not (account.charges_enabled or account.payouts_enabled or account.details_submitted)
    assert account.disabled_reason == "requirements.past_due"
    assert "external_account" in account.currently_due
    assert not account.ready_for_transfers


def test_account_link_is_for_onboarding(stripe_gateway, stripe_standin, onboarded_account):
    link = stripe_gateway.create_account_link(
        account_id=onboarded_account.id, refresh_url="https://ii.test/r/", return_url="https://ii.test/done/"
    )

    request = stripe_standin.last("/v1/account_links", "POST")
    assert request.params == {
        "account": onboarded_account.id,
        "type": "account_onboarding",
        "refresh_url": "https://ii.test/r/",
        "return_url": "https://ii.test/done/",
    }
    assert link.url.startswith("https://connect.stripe.com/")
    assert link.expires_at.tzinfo is UTC and link.expires_at > datetime.now(UTC)


def test_retrieve_account_reads_its_state(stripe_gateway, stripe_standin, onboarded_account):
    account = stripe_gateway.retrieve_account(account_id=onboarded_account.id)

    assert stripe_standin.last(f"/v1/accounts/{onboarded_account.id}").method == "GET"
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.transfers_active and account.ready_for_transfers
    assert (account.disabled_reason, account.currently_due) == ("", [])


def test_transfer_pays_the_instructor_share_to_their_account(
    stripe_gateway, stripe_standin, authorized, onboarded_account
):
    captured = stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")
    price, fee = 6000, 900  # the caller works out the platform fee (15 %)

    transfer = stripe_gateway.transfer(
        amount_cents=price - fee,
        destination_account_id=onboarded_account.id,
        booking_id=BOOKING,
        idempotency_key="ii:transfer:B",
        source_transaction=captured.charge_id,
    )

    request = stripe_standin.last("/v1/transfers", "POST")
    assert request.params == {
        "amount": "5100",
        "currency": "usd",
        "destination": onboarded_account.id,
        "transfer_group": f"booking_{BOOKING}",
        "metadata[booking_id]": BOOKING,
        "source_transaction": captured.charge_id,
    }
    assert request.idempotency_key == "ii:transfer:B"
    assert (transfer.amount_cents, transfer.destination, transfer.reversed_cents) == (5100, onboarded_account.id, 0)
    assert transfer.transfer_group == f"booking_{BOOKING}"


def test_transfer_without_a_source_transaction_leaves_it_out(stripe_gateway, stripe_standin, onboarded_account):
    stripe_gateway.transfer(
        amount_cents=100, destination_account_id=onboarded_account.id, booking_id=BOOKING, idempotency_key="k1"
    )
    assert "source_transaction" not in stripe_standin.last("/v1/transfers").params


def test_transfers_for_booking_lists_its_transfer_group(stripe_gateway, stripe_standin, onboarded_account):
    made = stripe_gateway.transfer(
        amount_cents=5100, destination_account_id=onboarded_account.id, booking_id=BOOKING, idempotency_key="k1"
    )
    stripe_gateway.transfer(
        amount_cents=700, destination_account_id=onboarded_account.id, booking_id="OTHER", idempotency_key="k2"
    )

    assert stripe_gateway.transfers_for_booking(booking_id=BOOKING) == [made]
    request = stripe_standin.last("/v1/transfers", "GET")
    assert request.params == {"transfer_group": f"booking_{BOOKING}", "limit": "100"}


def test_reverse_transfer(stripe_gateway, stripe_standin, onboarded_account):
    transfer = stripe_gateway.transfer(
        amount_cents=5100, destination_account_id=onboarded_account.id, booking_id=BOOKING, idempotency_key="k1"
    )

    reversal = stripe_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=2000, idempotency_key="ii:rev:B")

    request = stripe_standin.last(f"/v1/transfers/{transfer.id}/reversals", "POST")
    assert request.params == {"amount": "2000"}
    assert request.idempotency_key == "ii:rev:B"
    assert reversal.amount_cents == 2000
    assert stripe_gateway.transfers_for_booking(booking_id=BOOKING)[0].reversed_cents == 2000
    with pytest.raises(InvalidRequest):
        stripe_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=3101, idempotency_key="ii:rev:B:2")


# --- Idempotency --------------------------------------------------------------------------------------


def test_the_same_key_twice_makes_one_payment_intent(stripe_gateway, stripe_standin, customer, card):
    first = authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1")
    second = authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1")

    assert first == second
    assert len(stripe_standin.objects_of("payment_intent")) == 1
    assert len(stripe_standin.requests_to("/v1/payment_intents", "POST")) == 2


def test_the_same_key_twice_makes_one_transfer(stripe_gateway, stripe_standin, onboarded_account):
    for _ in range(2):
        stripe_gateway.transfer(
            amount_cents=5100, destination_account_id=onboarded_account.id, booking_id=BOOKING, idempotency_key="k"
        )
    assert len(stripe_standin.objects_of("transfer")) == 1


def test_a_key_reused_with_other_parameters_is_refused(stripe_gateway, customer, card):
    authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1", amount=6000)
    with pytest.raises(InvalidRequest) as caught:
        authorize(stripe_gateway, customer, card.payment_method_id, key="ii:authorize:B:1", amount=9000)
    assert caught.value.code == "idempotency_error"


# --- Transient failures -------------------------------------------------------------------------------


def _operations(gateway, customer, card, account, intent_id):
    return {
        "authorize": ("/v1/payment_intents", lambda: authorize(gateway, customer, card.payment_method_id, key="a2")),
        "capture": (
            "/v1/payment_intents/*/capture",
            lambda: gateway.capture(intent_id=intent_id, amount_cents=6000, idempotency_key="c1"),
        ),
        "transfer": (
            "/v1/transfers",
            lambda: gateway.transfer(
                amount_cents=5100, destination_account_id=account.id, booking_id=BOOKING, idempotency_key="t1"
            ),
        ),
    }


@pytest.mark.parametrize("fault", ["500", "429", "timeout"])
@pytest.mark.parametrize("operation", ["authorize", "capture", "transfer"])
def test_outages_raise_transient_errors_and_a_retry_with_the_key_succeeds_once(
    stripe_gateway, stripe_standin, customer, card, authorized, onboarded_account, operation, fault
):
    path, call = _operations(stripe_gateway, customer, card, onboarded_account, authorized.id)[operation]
    before = {kind: len(stripe_standin.objects_of(kind)) for kind in ("payment_intent", "transfer")}
    stripe_standin.fail_next(path, fault)

    with pytest.raises(TransientGatewayError) as caught:
        call()
    assert caught.value.code == ("rate_limited" if fault == "429" else "gateway_unavailable")

    result = call()  # the task's retry, same key
    assert call() == result  # and a duplicate delivery of it
    requests = stripe_standin.requests_to(path, "POST")[-3:]
    assert len({r.idempotency_key for r in requests}) == 1
    created = {kind: len(stripe_standin.objects_of(kind)) - before[kind] for kind in before}
    assert (
        created
        == {
            "authorize": {"payment_intent": 1, "transfer": 0},
            "capture": {"payment_intent": 0, "transfer": 0},
            "transfer": {"payment_intent": 0, "transfer": 1},
        }[operation]
    )
    if operation == "capture":
        assert stripe_gateway.retrieve_intent(intent_id=authorized.id).amount_received_cents == 6000


@pytest.mark.parametrize("operation", ["authorize", "capture", "transfer"])
def test_stripe_succeeded_but_the_answer_was_lost_then_the_retry_converges(
    stripe_gateway, stripe_standin, customer, card, authorized, onboarded_account, operation
):
    path, call = _operations(stripe_gateway, customer, card, onboarded_account, authorized.id)[operation]
    stripe_standin.fail_next(path, "timeout_after_success")
    before = {kind: len(stripe_standin.objects_of(kind)) for kind in ("payment_intent", "transfer")}

    with pytest.raises(TransientGatewayError):
        call()
    result = call()

    assert stripe_standin.replays == 1  # the retry got Stripe's first answer, no second execution
    created = {kind: len(stripe_standin.objects_of(kind)) - before[kind] for kind in before}
    assert sum(created.values()) == (0 if operation == "capture" else 1)
    if operation == "capture":
        assert result.is_captured and result.amount_received_cents == 6000


def test_the_sdk_retries_a_5xx_itself_with_the_same_key(stripe_settings, stripe_standin, monkeypatch):
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe._http_client.HTTPClient, "MAX_DELAY", 0.02)
    stripe_settings.STRIPE_MAX_NETWORK_RETRIES = 2
    gateway = get_gateway()
    stripe_standin.fail_next("/v1/customers", "500", times=2)

    customer = gateway.create_customer(email="a@b.test", name="A B", user_id="U", idempotency_key="ii:customer:U")

    requests = stripe_standin.requests_to("/v1/customers")
    assert [r.idempotency_key for r in requests] == ["ii:customer:U"] * 3
    assert [c["id"] for c in stripe_standin.objects_of("customer")] == [customer.id]


def test_a_500_stripe_remembered_is_replayed_until_a_new_key_is_used(stripe_gateway, stripe_standin, authorized):
    """Stripe saves a 500 raised mid-request under its key: retrying that key keeps failing, so a
    capture retry checks the intent's state and only then tries a fresh key."""
    stripe_standin.fail_next("/v1/payment_intents/*/capture", "500", remember=True)
    for _ in range(2):
        with pytest.raises(TransientGatewayError):
            stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B:1")

    assert stripe_gateway.retrieve_intent(intent_id=authorized.id).is_authorized
    result = stripe_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B:2")
    assert result.is_captured


def test_a_wrong_api_key_is_a_configuration_error_not_a_transient_one(stripe_settings):
    stripe_settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(GatewayError) as caught:
        get_gateway().create_customer(email="a@b.test", name="A", user_id="U", idempotency_key="k")
    assert type(caught.value) is GatewayError
    assert caught.value.http_status == 401


@pytest.mark.parametrize("amount", [0, -500, 45.0, "6000", True])
def test_a_tampered_amount_never_reaches_stripe(stripe_gateway, stripe_standin, authorized, onboarded_account, amount):
    count = len(stripe_standin.requests)
    calls = [
        lambda: stripe_gateway.capture(intent_id=authorized.id, amount_cents=amount, idempotency_key="c"),
        lambda: stripe_gateway.refund(intent_id=authorized.id, amount_cents=amount, idempotency_key="r"),
        lambda: stripe_gateway.transfer(
            amount_cents=amount, destination_account_id=onboarded_account.id, booking_id=BOOKING, idempotency_key="t"
        ),
        lambda: stripe_gateway.reverse_transfer(transfer_id="tr_x", amount_cents=amount, idempotency_key="v"),
    ]
    for call in calls:
        with pytest.raises(InvalidRequest) as caught:
            call()
        assert caught.value.code == "parameter_invalid_integer"
    assert len(stripe_standin.requests) == count
