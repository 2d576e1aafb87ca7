"""The simulated gateway: Stripe's test cards, idempotency, amount limits and Connect onboarding,
with its state in the (test run's) Redis cache so web and worker processes would share it."""

import threading

import pytest

from payments import simulated
from payments.gateway import (
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    IntentStatus,
    InvalidRequest,
    get_gateway,
    in_test_mode,
)
from payments.simulated import SimulatedGateway, payment_method_for_card_number

BOOKING = "01JBOOKING0000000000000001"


@pytest.fixture
def customer(simulated_gateway):
    return simulated_gateway.create_customer(
        email="sam@example.test", name="Sam Student", user_id="01JUSER", idempotency_key="ii:customer:01JUSER"
    )


def save_card(gateway, customer, number="4242 4242 4242 4242"):
    return gateway.attach_payment_method(
        customer_id=customer.id, payment_method_id=payment_method_for_card_number(number)
    )


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
def authorized(simulated_gateway, customer):
    return authorize(simulated_gateway, customer, save_card(simulated_gateway, customer).payment_method_id)


@pytest.fixture
def captured(simulated_gateway, authorized):
    return simulated_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")


@pytest.fixture
def account(simulated_gateway):
    return simulated_gateway.create_connect_account(
        email="ida@example.test", instructor_id="01JINSTR", idempotency_key="ii:connect:01JINSTR"
    )


# --- Test mode ----------------------------------------------------------------------------------------


def test_without_a_key_on_int_the_simulated_gateway_runs(simulated_gateway, settings):
    assert in_test_mode()
    assert settings.PAYMENTS_TEST_MODE is True  # the development default
    assert simulated_gateway.name == "simulated"


@pytest.mark.parametrize(
    ("number", "payment_method"),
    [
        ("4242424242424242", "pm_card_visa"),
        ("4242 4242 4242 4242", "pm_card_visa"),
        ("5555-5555-5555-4444", "pm_card_mastercard"),
        ("4000000000000002", "pm_card_chargeDeclined"),
        ("4000 0000 0000 9995", "pm_card_chargeDeclinedInsufficientFunds"),
        ("4000002500003155", "pm_card_authenticationRequired"),
    ],
)
def test_test_card_numbers_map_to_stripe_test_payment_methods(simulated_gateway, number, payment_method):
    assert payment_method_for_card_number(number) == payment_method


@pytest.mark.parametrize("number", ["4111111111111111", "", "4242", "abcd"])
def test_other_numbers_are_refused(simulated_gateway, number):
    with pytest.raises(InvalidRequest) as caught:
        payment_method_for_card_number(number)
    assert (caught.value.code, caught.value.param) == ("invalid_number", "number")


def test_card_numbers_are_never_taken_outside_test_mode(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_real_stripe"
    with pytest.raises(GatewayError) as caught:
        payment_method_for_card_number("4242424242424242")
    assert caught.value.code == "test_mode_only"


# --- Customers and cards ------------------------------------------------------------------------------


def test_setup_intent_then_confirmation_saves_the_card(simulated_gateway, customer):
    setup = simulated_gateway.create_setup_intent(customer_id=customer.id, idempotency_key="ii:setup:U:1")
    assert setup.status == "requires_payment_method"
    assert setup.client_secret.startswith(f"{setup.id}_secret_")

    simulated.confirm_setup_intent(setup.id, payment_method_for_card_number("5555555555554444"))  # "Stripe.js"

    confirmed = simulated_gateway.retrieve_setup_intent(setup_intent_id=setup.id)
    assert confirmed.status == "succeeded"
    card = simulated_gateway.card_details(payment_method_id=confirmed.payment_method_id)
    assert (card.brand, card.last4, card.exp_month) == ("mastercard", "4444", 12)
    assert simulated.simulated_object(card.payment_method_id)["customer"] == customer.id


def test_attaching_a_test_card_makes_a_payment_method_of_the_customer(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000 0000 0000 0341")
    assert card.payment_method_id.startswith("pm_sim_")
    assert (card.brand, card.last4) == ("visa", "0341")
    assert simulated_gateway.card_details(payment_method_id=card.payment_method_id) == card


def test_saving_the_same_card_again_gives_a_new_payment_method_with_the_same_fingerprint(simulated_gateway, customer):
    first, again = save_card(simulated_gateway, customer), save_card(simulated_gateway, customer)
    other = save_card(simulated_gateway, customer, "5555 5555 5555 4444")
    assert first.payment_method_id != again.payment_method_id
    assert first.fingerprint == again.fingerprint != other.fingerprint
    assert first.fingerprint.startswith("fp_")


@pytest.mark.parametrize(
    ("number", "decline_code", "message"),
    [
        ("4000000000000002", "generic_decline", "Your card was declined."),
        ("4000000000009995", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_cards_stripe_declines_at_setup_are_refused_when_saved(
    simulated_gateway, customer, number, decline_code, message
):
    with pytest.raises(CardDeclined) as attached:
        save_card(simulated_gateway, customer, number)
    assert (attached.value.decline_code, attached.value.message) == (decline_code, message)
    setup = simulated_gateway.create_setup_intent(customer_id=customer.id, idempotency_key=f"ii:setup:{number}")
    with pytest.raises(CardDeclined):
        simulated.confirm_setup_intent(setup.id, payment_method_for_card_number(number))
    assert simulated_gateway.retrieve_setup_intent(setup_intent_id=setup.id).status == "requires_payment_method"


def test_the_3220_card_asks_for_the_bank_on_session_and_passes_once_confirmed(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000 0000 0000 3220")
    on_session = authorize(simulated_gateway, customer, card.payment_method_id, off_session=False)
    assert (on_session.status, on_session.amount_capturable_cents) == (IntentStatus.REQUIRES_ACTION, 0)
    assert on_session.client_secret
    assert simulated.complete_authentication(on_session.id).is_authorized
    with pytest.raises(AuthenticationRequired):
        authorize(simulated_gateway, customer, card.payment_method_id, key="ii:authorize:B:2", off_session=True)


def test_a_card_of_one_customer_cannot_be_used_by_another(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer)
    other = simulated_gateway.create_customer(email="o@x.test", name="O", user_id="U2", idempotency_key="k-o")
    with pytest.raises(InvalidRequest):
        simulated_gateway.attach_payment_method(customer_id=other.id, payment_method_id=card.payment_method_id)
    with pytest.raises(InvalidRequest):
        authorize(simulated_gateway, other, card.payment_method_id)


def test_a_detached_card_can_no_longer_be_charged(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer)
    simulated_gateway.detach_payment_method(payment_method_id=card.payment_method_id)
    with pytest.raises(InvalidRequest):
        authorize(simulated_gateway, customer, card.payment_method_id)
    with pytest.raises(InvalidRequest):
        simulated_gateway.detach_payment_method(payment_method_id=card.payment_method_id)


def test_unknown_objects_are_invalid_requests(simulated_gateway, customer):
    with pytest.raises(InvalidRequest) as caught:
        simulated_gateway.retrieve_intent(intent_id="pi_sim_nope")
    assert caught.value.code == "resource_missing"
    with pytest.raises(InvalidRequest):
        simulated_gateway.create_setup_intent(customer_id="cus_nope", idempotency_key="k")
    with pytest.raises(InvalidRequest):
        authorize(simulated_gateway, customer, "pm_nope")


# --- Stripe's test cards when authorizing -------------------------------------------------------------


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005"])
def test_good_cards_are_authorized_off_session(simulated_gateway, customer, number):
    result = authorize(simulated_gateway, customer, save_card(simulated_gateway, customer, number).payment_method_id)
    assert result.status == IntentStatus.REQUIRES_CAPTURE
    assert (result.amount_cents, result.amount_capturable_cents, result.amount_received_cents) == (6000, 6000, 0)
    assert result.charge_id.startswith("ch_sim_")
    assert simulated.simulated_object(result.id)["metadata"] == {"booking_id": BOOKING}


@pytest.mark.parametrize(
    ("payment_method", "decline_code", "message"),
    [
        ("0341", "generic_decline", "Your card was declined."),  # saves, then declines every charge
        ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),  # charged without saving
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
@pytest.mark.parametrize("off_session", [True, False])
def test_declining_cards_decline(simulated_gateway, customer, payment_method, decline_code, message, off_session):
    if payment_method == "0341":
        payment_method = save_card(simulated_gateway, customer, "4000 0000 0000 0341").payment_method_id
    with pytest.raises(CardDeclined) as caught:
        authorize(simulated_gateway, customer, payment_method, off_session=off_session)

    assert (caught.value.code, caught.value.decline_code, caught.value.message) == (
        "card_declined",
        decline_code,
        message,
    )
    intent = simulated_gateway.retrieve_intent(intent_id=caught.value.intent_id)
    assert intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert (intent.error_code, intent.decline_code, intent.amount_capturable_cents) == (
        "card_declined",
        decline_code,
        0,
    )


def test_the_3155_card_needs_authentication_off_session(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000 0025 0000 3155")  # saving works (on-session)

    with pytest.raises(AuthenticationRequired) as caught:
        authorize(simulated_gateway, customer, card.payment_method_id, off_session=True)

    intent = simulated_gateway.retrieve_intent(intent_id=caught.value.intent_id)
    assert intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert intent.error_code == "authentication_required"
    assert intent.client_secret


def test_the_3155_card_is_authorized_on_session(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000002500003155")
    assert authorize(simulated_gateway, customer, card.payment_method_id, off_session=False).is_authorized


def test_authenticating_on_session_afterwards_authorizes_the_same_intent(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000002500003155")
    with pytest.raises(AuthenticationRequired) as caught:
        authorize(simulated_gateway, customer, card.payment_method_id)

    result = simulated.complete_authentication(caught.value.intent_id)

    assert result.id == caught.value.intent_id
    assert result.is_authorized and result.error_code == ""
    assert simulated_gateway.retrieve_intent(intent_id=result.id) == result


def test_authenticating_with_a_declining_card_still_declines(simulated_gateway, customer):
    card = save_card(simulated_gateway, customer, "4000002500003155")
    with pytest.raises(AuthenticationRequired) as caught:
        authorize(simulated_gateway, customer, card.payment_method_id)
    other = save_card(simulated_gateway, customer, "4000000000000341")

    with pytest.raises(CardDeclined):
        simulated.complete_authentication(caught.value.intent_id, other.payment_method_id)
    good = save_card(simulated_gateway, customer)
    assert simulated.complete_authentication(caught.value.intent_id, good.payment_method_id).is_authorized


def test_stripe_test_ids_can_be_charged_directly(simulated_gateway, customer):
    assert authorize(simulated_gateway, customer, "pm_card_visa").is_authorized
    with pytest.raises(CardDeclined):
        authorize(simulated_gateway, customer, "pm_card_chargeDeclined", key="k2")


def test_less_than_fifty_cents_cannot_be_charged(simulated_gateway, customer):
    with pytest.raises(InvalidRequest) as caught:
        authorize(simulated_gateway, customer, "pm_card_visa", amount=49)
    assert caught.value.code == "amount_too_small"


# --- Idempotency --------------------------------------------------------------------------------------


def test_the_same_key_returns_the_same_intent(simulated_gateway, customer):
    first = authorize(simulated_gateway, customer, "pm_card_visa", key="ii:authorize:B:1")
    again = authorize(simulated_gateway, customer, "pm_card_visa", key="ii:authorize:B:1")
    other = authorize(simulated_gateway, customer, "pm_card_visa", key="ii:authorize:B:2")
    assert first == again
    assert other.id != first.id


def test_the_same_key_replays_a_decline(simulated_gateway, customer):
    with pytest.raises(CardDeclined) as first:
        authorize(simulated_gateway, customer, "pm_card_chargeDeclined", key="ii:authorize:B:1")
    with pytest.raises(CardDeclined) as again:
        authorize(simulated_gateway, customer, "pm_card_chargeDeclined", key="ii:authorize:B:1")
    assert again.value.intent_id == first.value.intent_id
    assert again.value.decline_code == "generic_decline"


def test_the_same_key_with_other_parameters_is_refused(simulated_gateway, customer):
    authorize(simulated_gateway, customer, "pm_card_visa", key="ii:authorize:B:1", amount=6000)
    with pytest.raises(InvalidRequest) as caught:
        authorize(simulated_gateway, customer, "pm_card_visa", key="ii:authorize:B:1", amount=7000)
    assert caught.value.code == "idempotency_error"


def test_every_object_creating_call_needs_a_key(simulated_gateway, customer):
    with pytest.raises(ValueError):
        authorize(simulated_gateway, customer, "pm_card_visa", key="")


def test_another_process_sees_the_same_objects(simulated_gateway, authorized):
    """State lives in Redis, not in the gateway object: a second instance (another process) sees it."""
    assert SimulatedGateway().retrieve_intent(intent_id=authorized.id) == authorized
    assert get_gateway().capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="c").is_captured


# --- Capture and release ------------------------------------------------------------------------------


def test_capture_takes_part_or_all_of_the_hold(simulated_gateway, authorized):
    result = simulated_gateway.capture(intent_id=authorized.id, amount_cents=4500, idempotency_key="c")
    assert result.is_captured
    assert (result.amount_received_cents, result.amount_capturable_cents) == (4500, 0)


def test_capturing_more_than_authorized_is_refused(simulated_gateway, authorized):
    with pytest.raises(InvalidRequest) as caught:
        simulated_gateway.capture(intent_id=authorized.id, amount_cents=6001, idempotency_key="c")
    assert caught.value.code == "amount_too_large"
    assert simulated_gateway.retrieve_intent(intent_id=authorized.id).is_authorized


@pytest.mark.parametrize("amount", [0, -100])
def test_capturing_nothing_is_refused(simulated_gateway, authorized, amount):
    with pytest.raises(InvalidRequest):
        simulated_gateway.capture(intent_id=authorized.id, amount_cents=amount, idempotency_key="c")


def test_capture_twice_is_refused_unless_it_is_the_same_request(simulated_gateway, authorized, captured):
    again = simulated_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B")
    assert again == captured
    with pytest.raises(InvalidRequest, match="already been captured"):
        simulated_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="ii:capture:B:2")


def test_concurrent_captures_with_different_keys_capture_once(simulated_gateway, authorized):
    outcomes = []

    def capture(key):
        try:
            outcomes.append(SimulatedGateway().capture(intent_id=authorized.id, amount_cents=6000, idempotency_key=key))
        except InvalidRequest as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=capture, args=(f"c{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(not isinstance(outcome, InvalidRequest) for outcome in outcomes) == 1
    assert simulated_gateway.retrieve_intent(intent_id=authorized.id).amount_received_cents == 6000


def test_cancel_releases_the_hold(simulated_gateway, authorized):
    result = simulated_gateway.cancel_authorization(intent_id=authorized.id, idempotency_key="r")
    assert result.is_canceled and result.amount_capturable_cents == 0
    assert simulated_gateway.cancel_authorization(intent_id=authorized.id, idempotency_key="r") == result
    with pytest.raises(InvalidRequest):
        simulated_gateway.cancel_authorization(intent_id=authorized.id, idempotency_key="r2")
    with pytest.raises(InvalidRequest):
        simulated_gateway.capture(intent_id=authorized.id, amount_cents=6000, idempotency_key="c")


def test_a_captured_payment_cannot_be_released(simulated_gateway, authorized, captured):
    with pytest.raises(InvalidRequest):
        simulated_gateway.cancel_authorization(intent_id=authorized.id, idempotency_key="r")


def test_a_declined_intent_can_be_released(simulated_gateway, customer):
    with pytest.raises(CardDeclined) as caught:
        authorize(simulated_gateway, customer, "pm_card_chargeDeclined")
    result = simulated_gateway.cancel_authorization(intent_id=caught.value.intent_id, idempotency_key="r")
    assert result.is_canceled


# --- Refunds ------------------------------------------------------------------------------------------


def test_refunds_up_to_what_was_captured(simulated_gateway, authorized, captured):
    first = simulated_gateway.refund(intent_id=authorized.id, amount_cents=2500, idempotency_key="r1")
    second = simulated_gateway.refund(
        intent_id=authorized.id, amount_cents=3500, idempotency_key="r2", reason="requested_by_customer"
    )
    assert (first.amount_cents, first.status, second.amount_cents) == (2500, "succeeded", 3500)
    assert simulated_gateway.refund(intent_id=authorized.id, amount_cents=2500, idempotency_key="r1") == first
    with pytest.raises(InvalidRequest) as caught:
        simulated_gateway.refund(intent_id=authorized.id, amount_cents=1, idempotency_key="r3")
    assert caught.value.code == "amount_too_large"


def test_refunding_more_than_a_partial_capture_is_refused(simulated_gateway, authorized):
    simulated_gateway.capture(intent_id=authorized.id, amount_cents=3000, idempotency_key="c")
    with pytest.raises(InvalidRequest):
        simulated_gateway.refund(intent_id=authorized.id, amount_cents=3001, idempotency_key="r")


def test_an_uncaptured_payment_cannot_be_refunded(simulated_gateway, authorized):
    with pytest.raises(InvalidRequest):
        simulated_gateway.refund(intent_id=authorized.id, amount_cents=100, idempotency_key="r")


# --- Connect onboarding, transfers and reversals ------------------------------------------------------


def test_a_new_account_is_pending(account):
    assert account.id.startswith("acct_sim_")
    assert not (account.charges_enabled or account.payouts_enabled or account.details_submitted)
    assert account.disabled_reason == "requirements.past_due"
    assert "external_account" in account.currently_due
    assert not account.ready_for_transfers


def test_the_account_link_leads_to_the_test_mode_onboarding_page(simulated_gateway, account, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    link = simulated_gateway.create_account_link(account_id=account.id, refresh_url="r", return_url="d")
    assert link.url.startswith("http://127.0.0.1:8000/")
    assert account.id in link.url
    assert link.expires_at.tzinfo is not None


def test_completing_onboarding_enables_the_account(simulated_gateway, account):
    simulated.complete_onboarding(account.id)
    refreshed = simulated_gateway.retrieve_account(account_id=account.id)
    assert refreshed.charges_enabled and refreshed.payouts_enabled and refreshed.details_submitted
    assert refreshed.ready_for_transfers
    assert (refreshed.disabled_reason, refreshed.currently_due) == ("", [])


def test_a_restricted_account_stops_being_ready(simulated_gateway, account):
    simulated.complete_onboarding(account.id)
    simulated.restrict_account(account.id)
    refreshed = simulated_gateway.retrieve_account(account_id=account.id)
    assert not refreshed.ready_for_transfers
    assert refreshed.disabled_reason == "requirements.past_due"


def test_no_transfer_to_an_account_that_has_not_finished_onboarding(simulated_gateway, account):
    with pytest.raises(InvalidRequest) as caught:
        simulated_gateway.transfer(
            amount_cents=5100, destination_account_id=account.id, booking_id=BOOKING, idempotency_key="t"
        )
    assert caught.value.code == "insufficient_capabilities_for_transfer"


def test_transfer_the_instructor_share_once(simulated_gateway, account, captured):
    simulated.complete_onboarding(account.id)
    kwargs = {
        "amount_cents": 6000 - 900,
        "destination_account_id": account.id,
        "booking_id": BOOKING,
        "idempotency_key": "ii:transfer:B",
        "source_transaction": captured.charge_id,
    }

    transfer = simulated_gateway.transfer(**kwargs)

    assert (transfer.amount_cents, transfer.destination, transfer.transfer_group) == (
        5100,
        account.id,
        f"booking_{BOOKING}",
    )
    assert simulated_gateway.transfer(**kwargs) == transfer
    assert simulated_gateway.transfers_for_booking(booking_id=BOOKING) == [transfer]
    assert simulated_gateway.transfers_for_booking(booking_id="OTHER") == []


def test_no_more_can_be_transferred_from_a_charge_than_it_captured(simulated_gateway, account, captured):
    simulated.complete_onboarding(account.id)
    simulated_gateway.transfer(
        amount_cents=5100,
        destination_account_id=account.id,
        booking_id=BOOKING,
        idempotency_key="t1",
        source_transaction=captured.charge_id,
    )
    with pytest.raises(InvalidRequest):
        simulated_gateway.transfer(
            amount_cents=901,
            destination_account_id=account.id,
            booking_id=BOOKING,
            idempotency_key="t2",
            source_transaction=captured.charge_id,
        )


def test_reversals_up_to_the_transfer(simulated_gateway, account):
    simulated.complete_onboarding(account.id)
    transfer = simulated_gateway.transfer(
        amount_cents=5100, destination_account_id=account.id, booking_id=BOOKING, idempotency_key="t"
    )

    reversal = simulated_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=5000, idempotency_key="v1")
    assert reversal.amount_cents == 5000
    assert simulated_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=5000, idempotency_key="v1") == (
        reversal
    )
    with pytest.raises(InvalidRequest):
        simulated_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=101, idempotency_key="v2")
    simulated_gateway.reverse_transfer(transfer_id=transfer.id, amount_cents=100, idempotency_key="v3")
    assert simulated_gateway.transfers_for_booking(booking_id=BOOKING)[0].reversed_cents == 5100
