"""The simulated payment gateway: the same interface as Stripe, no network, for development and the demo.

Objects are Stripe-shaped dicts kept in the Django cache (Redis) for a year, so the web process and
the Celery worker see the same customers, intents and transfers; they are turned into results by the
same mapping functions the Stripe gateway uses. A Redis lock serialises changes (demo traffic is tiny),
so two processes capturing one intent at once cannot both succeed.

Stripe's test cards behave as documented for the flows we use:

    4242 4242 4242 4242  pm_card_visa                              succeeds
    5555 5555 5555 4444  pm_card_mastercard                        succeeds
    3782 822463 10005    pm_card_amex                              succeeds
    4000 0000 0000 0002  pm_card_chargeDeclined                    declined: generic_decline
    4000 0000 0000 9995  pm_card_chargeDeclinedInsufficientFunds   declined: insufficient_funds
    4000 0000 0000 0341  pm_card_chargeCustomerFail                saves, then every charge is declined
    4000 0025 0000 3155  pm_card_authenticationRequired            off-session authorization needs
                                                                   authentication; on-session succeeds
    4000 0000 0000 3220  pm_card_threeDSecure2Required             every authorization needs the
                                                                   cardholder's bank check (3-D Secure)

Cards are verified when they are saved, as Stripe does when a SetupIntent confirms or a card is
attached to a customer: the declining cards (0002, 9995) are refused then, with the bank's reason;
0341 is Stripe's card for "saves fine, declines later". (Real Stripe's 3155 card only asks for
authentication on payments it was not set up for; the simulation always asks off-session, so the
"authenticate before the deadline" path can be tried.) A card's `fingerprint` is the same however
often it is saved, as Stripe's is.

Idempotency as Stripe: the same key with the same parameters returns the first result, card errors
included; the same key with different parameters raises InvalidRequest(code="idempotency_error");
requests refused for their parameters or the object's state are not remembered.

Helpers standing in for what Stripe.js and Stripe's hosted pages do in the browser:
`payment_method_for_card_number` (a test-mode card form), `confirm_setup_intent`,
`complete_authentication` (the customer passes 3-D Secure on-session), `complete_onboarding` and
`restrict_account` (Connect Express onboarding).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from core.circuit import redis_breaker

from .gateway import (
    AUTHENTICATION_REQUIRED,
    CURRENCY,
    AccountLinkResult,
    AccountResult,
    AuthenticationRequired,
    CardDeclined,
    CardDetails,
    Customer,
    GatewayError,
    IntentResult,
    IntentStatus,
    InvalidRequest,
    PaymentGateway,
    RefundResult,
    SetupIntentResult,
    TransferResult,
    TransferReversalResult,
    TransientGatewayError,
    account_from_stripe,
    account_link_from_stripe,
    card_details_from_stripe,
    customer_from_stripe,
    in_test_mode,
    intent_from_stripe,
    refund_from_stripe,
    require_amount,
    require_idempotency_key,
    setup_intent_from_stripe,
    transfer_from_stripe,
    transfer_group_for,
    transfer_reversal_from_stripe,
)

KEY_PREFIX = "payments:sim"
TTL_SECONDS = 60 * 60 * 24 * 365
MINIMUM_CHARGE_CENTS = 50  # Stripe's minimum for USD
ACCOUNT_LINK_SECONDS = 300
ONBOARDING_URL_NAME = "payments:test_mode_onboarding"  # the lead's test-mode onboarding page (kwarg account_id)
ONBOARDING_FALLBACK_PATH = "/payments/test-mode/onboarding/{account_id}/"

SUCCEEDS = "succeeds"
GENERIC_DECLINE = "generic_decline"
INSUFFICIENT_FUNDS = "insufficient_funds"
DECLINES_CHARGES = "declines_charges"  # attaches, then every charge is declined (Stripe's 0341)
ALWAYS_AUTHENTICATE = "always_authenticate"
REQUIRES_ACTION = IntentStatus.REQUIRES_ACTION  # 3-D Secure on every authorization, on-session too


@dataclass(frozen=True)
class SimulatedCard:
    number: str
    payment_method: str
    brand: str
    outcome: str  # succeeds | a decline | declines_charges | authentication_required | always_authenticate

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        """The same for every payment method made from this number, as Stripe's is."""
        return "fp_" + hashlib.sha256(self.number.encode()).hexdigest()[:16]

    @property
    def declines_at_setup(self) -> bool:
        return self.outcome in DECLINE_MESSAGES


TEST_CARDS = (
    SimulatedCard("4242424242424242", "pm_card_visa", "visa", SUCCEEDS),
    SimulatedCard("5555555555554444", "pm_card_mastercard", "mastercard", SUCCEEDS),
    SimulatedCard("378282246310005", "pm_card_amex", "amex", SUCCEEDS),
    SimulatedCard("4000000000000002", "pm_card_chargeDeclined", "visa", GENERIC_DECLINE),
    SimulatedCard("4000000000009995", "pm_card_chargeDeclinedInsufficientFunds", "visa", INSUFFICIENT_FUNDS),
    SimulatedCard("4000000000000341", "pm_card_chargeCustomerFail", "visa", DECLINES_CHARGES),
    SimulatedCard("4000002500003155", "pm_card_authenticationRequired", "visa", AUTHENTICATION_REQUIRED),
    SimulatedCard("4000000000003220", "pm_card_threeDSecure2Required", "visa", ALWAYS_AUTHENTICATE),
)
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}
CARDS_BY_PAYMENT_METHOD = {card.payment_method: card for card in TEST_CARDS}

DECLINE_MESSAGES = {
    GENERIC_DECLINE: "Your card was declined.",
    INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
}
AUTHENTICATION_MESSAGE = "Your card was declined. This transaction requires authentication."  # Stripe's own wording
ONBOARDING_REQUIREMENTS = [
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "individual.ssn_last_4",
    "tos_acceptance.date",
]


def payment_method_for_card_number(number: str) -> str:
    """A test card number typed into a test-mode card form -> Stripe's test payment method id.

    Only in test mode (real card numbers must never reach our servers); only Stripe's test numbers.
    """
    if not in_test_mode():
        raise GatewayError("Card numbers are only accepted in test mode.", code="test_mode_only")
    digits = re.sub(r"[\s-]", "", number or "")
    card = CARDS_BY_NUMBER.get(digits)
    if card is None:
        raise InvalidRequest(
            "Use one of Stripe's test card numbers, such as 4242 4242 4242 4242.", code="invalid_number", param="number"
        )
    return card.payment_method


# --- Storage ------------------------------------------------------------------------------------------

_process_lock = threading.RLock()
_held = threading.local()


@contextmanager
def _locked() -> Iterator[None]:
    """One lock for the whole simulation (re-entrant within a thread): a Redis lock when the cache has
    one, so web and worker processes take turns; a process lock otherwise."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    _require_storage()
    lock = cache.lock(f"{KEY_PREFIX}:lock", timeout=30, blocking_timeout=30) if hasattr(cache, "lock") else None
    with lock if lock is not None else _process_lock:
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0


def _require_storage() -> None:
    """The simulation keeps its objects in Redis: without Redis, "Stripe" is not answering (a
    TransientGatewayError, which pages turn into "not available right now"), never a 500."""
    if redis_breaker.is_open:
        raise TransientGatewayError()
    try:
        get_redis_connection("default").ping()
    except (RedisError, OSError) as error:
        redis_breaker.record_failure(error)
        raise TransientGatewayError() from error


def _new_id(prefix: str) -> str:
    return f"{prefix}_sim_{secrets.token_hex(12)}"


def _now() -> int:
    return int(time.time())


def _save(obj: dict) -> dict:
    cache.set(f"{KEY_PREFIX}:obj:{obj['id']}", obj, TTL_SECONDS)
    return obj


def _find(object_id: str) -> dict | None:
    if not object_id:
        return None
    return cache.get(f"{KEY_PREFIX}:obj:{object_id}")


def _load(object_id: str, kind: str, *, param: str = "id") -> dict:
    if not getattr(_held, "depth", 0):  # a read outside the lock: is the storage there at all?
        _require_storage()
    obj = _find(object_id)
    if obj is None or obj.get("object") != kind:
        raise InvalidRequest(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
    return obj


def _error_record(exc: GatewayError) -> dict:
    return {
        "class": type(exc).__name__,
        "message": exc.message,
        "code": exc.code,
        "decline_code": getattr(exc, "decline_code", ""),
        "intent_id": getattr(exc, "intent_id", ""),
    }


def _raise_recorded(record: dict) -> None:
    if record["class"] == "AuthenticationRequired":
        raise AuthenticationRequired(record["message"], code=record["code"], intent_id=record["intent_id"])
    raise CardDeclined(
        record["message"], code=record["code"], decline_code=record["decline_code"], intent_id=record["intent_id"]
    )


def _idempotent(key: str, operation: str, params: dict, create: Callable[[], dict]) -> dict:
    """Run `create` once per idempotency key; replay its response (or its card error) afterwards."""
    require_idempotency_key(key)
    fingerprint = hashlib.sha256(json.dumps([operation, params], sort_keys=True, default=str).encode()).hexdigest()
    cache_key = f"{KEY_PREFIX}:idem:{key}"
    with _locked():
        saved = cache.get(cache_key)
        if saved is not None:
            if saved["fingerprint"] != fingerprint:
                raise InvalidRequest(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    code="idempotency_error",
                )
            if saved.get("error"):
                _raise_recorded(saved["error"])
            return saved["response"]
        try:
            response = create()
        except (CardDeclined, AuthenticationRequired) as exc:
            cache.set(cache_key, {"fingerprint": fingerprint, "error": _error_record(exc)}, TTL_SECONDS)
            raise
        cache.set(cache_key, {"fingerprint": fingerprint, "response": response}, TTL_SECONDS)
        return response


def _card_for(payment_method: dict) -> SimulatedCard:
    return CARDS_BY_NUMBER[payment_method["sim_card_number"]]


def _payment_method(payment_method_id: str, *, param: str = "payment_method") -> dict:
    """A stored payment method, or one of Stripe's test ids (pm_card_visa...) as an unattached one."""
    test_card = CARDS_BY_PAYMENT_METHOD.get(payment_method_id)
    if test_card is not None:
        return _payment_method_object(payment_method_id, test_card, customer=None)
    return _load(payment_method_id, "payment_method", param=param)


def _payment_method_object(payment_method_id: str, card: SimulatedCard, *, customer: str | None) -> dict:
    return {
        "id": payment_method_id,
        "object": "payment_method",
        "type": "card",
        "created": _now(),
        "customer": customer,
        "card": {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": 12,
            "exp_year": timezone.now().year + 3,
            "funding": "credit",
            "country": "US",
            "fingerprint": card.fingerprint,
        },
        "sim_card_number": card.number,
    }


def _verify(card: SimulatedCard) -> None:
    """Stripe checks a card with the bank when it is set up or attached: a declining card fails then."""
    if card.declines_at_setup:
        raise CardDeclined(DECLINE_MESSAGES[card.outcome], code="card_declined", decline_code=card.outcome)


def _attach(payment_method_id: str, customer_id: str) -> dict:
    _load(customer_id, "customer", param="customer")
    source = _payment_method(payment_method_id, param="payment_method")
    _verify(_card_for(source))
    if source["id"] in CARDS_BY_PAYMENT_METHOD:  # like Stripe: attaching a test id makes a new payment method
        return _save(_payment_method_object(_new_id("pm"), _card_for(source), customer=customer_id))
    if source["customer"] and source["customer"] != customer_id:
        raise InvalidRequest(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
            param="payment_method",
        )
    source["customer"] = customer_id
    return _save(source)


def _outcome(payment_method: dict, *, off_session: bool) -> str:
    outcome = _card_for(payment_method).outcome
    if outcome == AUTHENTICATION_REQUIRED and not off_session:
        return SUCCEEDS  # the customer is present and passes 3-D Secure
    if outcome == DECLINES_CHARGES:
        return GENERIC_DECLINE
    if outcome == ALWAYS_AUTHENTICATE:
        return REQUIRES_ACTION if not off_session else AUTHENTICATION_REQUIRED
    return outcome


def _confirm(intent: dict, payment_method: dict, *, off_session: bool) -> dict:
    """Confirm an intent with a card: funds held, or a stored failure and the card error raised."""
    intent["payment_method"] = payment_method["id"]
    outcome = _outcome(payment_method, off_session=off_session)
    if outcome == SUCCEEDS:
        return _hold_funds(intent, payment_method)
    if outcome == REQUIRES_ACTION:  # on-session: the customer is sent to their bank's check (Stripe.js)
        intent.update(status=IntentStatus.REQUIRES_ACTION, last_payment_error=None)
        return _save(intent)
    if outcome == AUTHENTICATION_REQUIRED:
        error = {"type": "card_error", "code": AUTHENTICATION_REQUIRED, "message": AUTHENTICATION_MESSAGE}
        intent.update(status=IntentStatus.REQUIRES_PAYMENT_METHOD, last_payment_error=error)
        _save(intent)
        raise AuthenticationRequired(AUTHENTICATION_MESSAGE, intent_id=intent["id"])
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": outcome,
        "message": DECLINE_MESSAGES[outcome],
    }
    intent.update(status=IntentStatus.REQUIRES_PAYMENT_METHOD, last_payment_error=error)
    _save(intent)
    raise CardDeclined(error["message"], code="card_declined", decline_code=outcome, intent_id=intent["id"])


def _hold_funds(intent: dict, payment_method: dict) -> dict:
    """The bank authorized the amount: an uncaptured charge holds it."""
    intent["payment_method"] = payment_method["id"]
    charge = _save(
        {
            "id": _new_id("ch"),
            "object": "charge",
            "created": _now(),
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "captured": False,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "payment_method": payment_method["id"],
            "sim_transferred": 0,
        }
    )
    intent.update(
        status=IntentStatus.REQUIRES_CAPTURE,
        amount_capturable=intent["amount"],
        latest_charge=charge["id"],
        last_payment_error=None,
    )
    return _save(intent)


def _unexpected_state(kind: str, obj: dict, action: str) -> InvalidRequest:
    return InvalidRequest(
        f"This {kind} could not be {action} because it has a status of {obj['status']}.",
        code=f"{kind}_unexpected_state",
    )


# --- Browser-side stand-ins (Stripe.js and Stripe's hosted pages) -----------------------------------------


def confirm_setup_intent(setup_intent_id: str, payment_method_id: str) -> SetupIntentResult:
    """What Stripe.js `confirmCardSetup` does: save the card to the SetupIntent's customer."""
    with _locked():
        setup_intent = _load(setup_intent_id, "setup_intent")
        if setup_intent["status"] == "succeeded":
            return setup_intent_from_stripe(setup_intent)
        if setup_intent["status"] == "canceled":
            raise _unexpected_state("setup_intent", setup_intent, "confirmed")
        payment_method = _attach(payment_method_id, setup_intent["customer"])
        setup_intent.update(status="succeeded", payment_method=payment_method["id"])
        return setup_intent_from_stripe(_save(setup_intent))


def complete_authentication(intent_id: str, payment_method_id: str | None = None) -> IntentResult:
    """The customer, on-session, passes their bank's check (or picks another card) for an intent that
    needed it: what Stripe.js `confirmCardPayment` / `handleNextAction` does. Declining cards still
    decline."""
    with _locked():
        intent = _load(intent_id, "payment_intent")
        if intent["status"] == IntentStatus.REQUIRES_CAPTURE:
            return intent_from_stripe(intent)
        if intent["status"] not in (IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_ACTION):
            raise _unexpected_state("payment_intent", intent, "confirmed")
        payment_method = _payment_method(payment_method_id or intent["payment_method"])
        if _card_for(payment_method).outcome == ALWAYS_AUTHENTICATE:
            return intent_from_stripe(_hold_funds(intent, payment_method))  # the check was just passed
        return intent_from_stripe(_confirm(intent, payment_method, off_session=False))


def complete_onboarding(account_id: str) -> AccountResult:
    """The instructor finished Stripe's Express onboarding: charges, payouts and transfers enabled."""
    with _locked():
        account = _load(account_id, "account", param="account")
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
        account["requirements"] = {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None}
        account["capabilities"] = {"transfers": "active"}
        return account_from_stripe(_save(account))


def restrict_account(account_id: str, reason: str = "requirements.past_due") -> AccountResult:
    """Stripe restricted the account (e.g. verification overdue): payouts and transfers stop."""
    with _locked():
        account = _load(account_id, "account", param="account")
        account.update(charges_enabled=False, payouts_enabled=False)
        account["requirements"] = {
            "currently_due": ["individual.verification.document"],
            "eventually_due": ["individual.verification.document"],
            "past_due": ["individual.verification.document"],
            "disabled_reason": reason,
        }
        account["capabilities"] = {"transfers": "inactive"}
        return account_from_stripe(_save(account))


def onboarding_url(account_id: str) -> str:
    try:
        path = reverse(ONBOARDING_URL_NAME, kwargs={"account_id": account_id})
    except NoReverseMatch:
        path = ONBOARDING_FALLBACK_PATH.format(account_id=account_id)
    return settings.SITE_URL.rstrip("/") + path


# --- The gateway ------------------------------------------------------------------------------------


class SimulatedGateway(PaymentGateway):
    name = "simulated"

    # Customers and cards

    def create_customer(self, *, email: str, name: str, user_id: str, idempotency_key: str) -> Customer:
        params = {"email": email, "name": name, "user_id": user_id}

        def create() -> dict:
            customer = {"id": _new_id("cus"), "object": "customer", "created": _now(), "email": email, "name": name}
            return _save({**customer, "metadata": {"user_id": user_id}})

        return customer_from_stripe(_idempotent(idempotency_key, "create_customer", params, create))

    def create_setup_intent(self, *, customer_id: str, idempotency_key: str) -> SetupIntentResult:
        def create() -> dict:
            _load(customer_id, "customer", param="customer")
            setup_intent_id = _new_id("seti")
            return _save(
                {
                    "id": setup_intent_id,
                    "object": "setup_intent",
                    "created": _now(),
                    "client_secret": f"{setup_intent_id}_secret_{secrets.token_hex(12)}",
                    "customer": customer_id,
                    "usage": "off_session",
                    "payment_method_types": ["card"],
                    "payment_method": None,
                    "status": "requires_payment_method",
                }
            )

        response = _idempotent(idempotency_key, "create_setup_intent", {"customer": customer_id}, create)
        return setup_intent_from_stripe(response)

    def retrieve_setup_intent(self, *, setup_intent_id: str) -> SetupIntentResult:
        return setup_intent_from_stripe(_load(setup_intent_id, "setup_intent"))

    def card_details(self, *, payment_method_id: str) -> CardDetails:
        return card_details_from_stripe(_payment_method(payment_method_id, param="id"))

    def attach_payment_method(self, *, customer_id: str, payment_method_id: str) -> CardDetails:
        with _locked():
            return card_details_from_stripe(_attach(payment_method_id, customer_id))

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        with _locked():
            payment_method = _payment_method(payment_method_id, param="id")
            if not payment_method["customer"]:
                raise InvalidRequest(
                    "The payment method is not attached to a customer.", code="payment_method_unexpected_state"
                )
            payment_method["customer"] = None
            _save(payment_method)

    # Payments

    def authorize(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount_cents: int,
        currency: str = CURRENCY,
        booking_id: str,
        idempotency_key: str,
        off_session: bool,
    ) -> IntentResult:
        params = {
            "customer": customer_id,
            "payment_method": payment_method_id,
            "amount": amount_cents,
            "currency": currency,
            "booking_id": booking_id,
            "off_session": off_session,
        }

        def create() -> dict:
            require_amount(amount_cents)
            if amount_cents < MINIMUM_CHARGE_CENTS:
                raise InvalidRequest("Amount must be at least $0.50 usd.", code="amount_too_small", param="amount")
            _load(customer_id, "customer", param="customer")
            payment_method = _payment_method(payment_method_id)
            if payment_method["customer"] not in (None, customer_id) or (
                payment_method["customer"] is None and payment_method["id"] not in CARDS_BY_PAYMENT_METHOD
            ):
                raise InvalidRequest(
                    "The provided PaymentMethod does not belong to this customer.",
                    code="payment_method_unexpected_state",
                    param="payment_method",
                )
            intent_id = _new_id("pi")
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "created": _now(),
                "amount": amount_cents,
                "amount_capturable": 0,
                "amount_received": 0,
                "currency": currency,
                "capture_method": "manual",
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
                "customer": customer_id,
                "payment_method": payment_method["id"],
                "latest_charge": None,
                "last_payment_error": None,
                "status": IntentStatus.REQUIRES_CONFIRMATION,
                "transfer_group": transfer_group_for(booking_id),
                "metadata": {"booking_id": booking_id},
                "sim_off_session": off_session,
            }
            return _confirm(intent, payment_method, off_session=off_session)

        return intent_from_stripe(_idempotent(idempotency_key, "authorize", params, create))

    def capture(self, *, intent_id: str, amount_cents: int, idempotency_key: str) -> IntentResult:
        def create() -> dict:
            intent = _load(intent_id, "payment_intent")
            if intent["status"] == IntentStatus.SUCCEEDED:
                raise InvalidRequest(
                    "This PaymentIntent could not be captured because it has already been captured.",
                    code="payment_intent_unexpected_state",
                )
            if intent["status"] != IntentStatus.REQUIRES_CAPTURE:
                raise _unexpected_state("payment_intent", intent, "captured")
            require_amount(amount_cents, param="amount_to_capture")
            if amount_cents > intent["amount_capturable"]:
                raise InvalidRequest(
                    f"The amount to capture ({amount_cents}) is greater than the amount capturable "
                    f"({intent['amount_capturable']}).",
                    code="amount_too_large",
                    param="amount_to_capture",
                )
            charge = _load(intent["latest_charge"], "charge")
            charge.update(captured=True, amount_captured=amount_cents)
            _save(charge)
            intent.update(status=IntentStatus.SUCCEEDED, amount_capturable=0, amount_received=amount_cents)
            return _save(intent)

        params = {"intent": intent_id, "amount_to_capture": amount_cents}
        return intent_from_stripe(_idempotent(idempotency_key, "capture", params, create))

    def cancel_authorization(self, *, intent_id: str, idempotency_key: str) -> IntentResult:
        def create() -> dict:
            intent = _load(intent_id, "payment_intent")
            if intent["status"] in (IntentStatus.SUCCEEDED, IntentStatus.CANCELED, IntentStatus.PROCESSING):
                raise _unexpected_state("payment_intent", intent, "canceled")
            intent.update(status=IntentStatus.CANCELED, amount_capturable=0, cancellation_reason="requested")
            return _save(intent)

        response = _idempotent(idempotency_key, "cancel_authorization", {"intent": intent_id}, create)
        return intent_from_stripe(response)

    def retrieve_intent(self, *, intent_id: str) -> IntentResult:
        return intent_from_stripe(_load(intent_id, "payment_intent"))

    def refund(
        self, *, intent_id: str, amount_cents: int, idempotency_key: str, reason: str | None = None
    ) -> RefundResult:
        def create() -> dict:
            intent = _load(intent_id, "payment_intent", param="payment_intent")
            if intent["status"] != IntentStatus.SUCCEEDED:
                raise _unexpected_state("payment_intent", intent, "refunded")
            require_amount(amount_cents)
            charge = _load(intent["latest_charge"], "charge")
            refundable = charge["amount_captured"] - charge["amount_refunded"]
            if amount_cents > refundable:
                raise InvalidRequest(
                    f"Refund amount ({amount_cents}) is greater than unrefunded amount on charge ({refundable}).",
                    code="amount_too_large",
                    param="amount",
                )
            charge["amount_refunded"] += amount_cents
            _save(charge)
            refund = {
                "id": _new_id("re"),
                "object": "refund",
                "created": _now(),
                "amount": amount_cents,
                "currency": intent["currency"],
                "charge": charge["id"],
                "payment_intent": intent_id,
                "reason": reason,
                "status": "succeeded",
            }
            return _save(refund)

        params = {"intent": intent_id, "amount": amount_cents, "reason": reason}
        return refund_from_stripe(_idempotent(idempotency_key, "refund", params, create))

    # Connect

    def create_connect_account(self, *, email: str, instructor_id: str, idempotency_key: str) -> AccountResult:
        def create() -> dict:
            account = {
                "id": _new_id("acct"),
                "object": "account",
                "created": _now(),
                "type": "express",
                "country": "US",
                "email": email,
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "capabilities": {"transfers": "inactive"},
                "requirements": {
                    "currently_due": list(ONBOARDING_REQUIREMENTS),
                    "eventually_due": list(ONBOARDING_REQUIREMENTS),
                    "past_due": list(ONBOARDING_REQUIREMENTS),
                    "disabled_reason": "requirements.past_due",
                },
                "metadata": {"instructor_id": instructor_id},
            }
            return _save(account)

        params = {"email": email, "instructor_id": instructor_id}
        return account_from_stripe(_idempotent(idempotency_key, "create_connect_account", params, create))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> AccountLinkResult:
        _load(account_id, "account", param="account")
        link = {
            "object": "account_link",
            "created": _now(),
            "expires_at": _now() + ACCOUNT_LINK_SECONDS,
            "url": onboarding_url(account_id),
        }
        return account_link_from_stripe(link)

    def retrieve_account(self, *, account_id: str) -> AccountResult:
        return account_from_stripe(_load(account_id, "account"))

    def transfer(
        self,
        *,
        amount_cents: int,
        destination_account_id: str,
        booking_id: str,
        idempotency_key: str,
        source_transaction: str | None = None,
        currency: str = CURRENCY,
    ) -> TransferResult:
        group = transfer_group_for(booking_id)

        def create() -> dict:
            require_amount(amount_cents)
            account = _load(destination_account_id, "account", param="destination")
            if (account.get("capabilities") or {}).get("transfers") != "active":
                raise InvalidRequest(
                    "Your destination account needs to have the transfers capability enabled.",
                    code="insufficient_capabilities_for_transfer",
                    param="destination",
                )
            if source_transaction:
                charge = _load(source_transaction, "charge", param="source_transaction")
                available = charge["amount_captured"] - charge["amount_refunded"] - charge["sim_transferred"]
                if not charge["captured"] or amount_cents > available:
                    raise InvalidRequest(
                        f"Transfer amount ({amount_cents}) exceeds what is left of the charge ({available}).",
                        code="amount_too_large",
                        param="amount",
                    )
                charge["sim_transferred"] += amount_cents
                _save(charge)
            transfer = _save(
                {
                    "id": _new_id("tr"),
                    "object": "transfer",
                    "created": _now(),
                    "amount": amount_cents,
                    "amount_reversed": 0,
                    "reversed": False,
                    "currency": currency,
                    "destination": destination_account_id,
                    "source_transaction": source_transaction,
                    "transfer_group": group,
                    "metadata": {"booking_id": booking_id},
                }
            )
            group_key = f"{KEY_PREFIX}:group:{group}"
            cache.set(group_key, [*(cache.get(group_key) or []), transfer["id"]], TTL_SECONDS)
            return transfer

        params = {
            "amount": amount_cents,
            "destination": destination_account_id,
            "booking_id": booking_id,
            "source_transaction": source_transaction,
            "currency": currency,
        }
        return transfer_from_stripe(_idempotent(idempotency_key, "transfer", params, create))

    def transfers_for_booking(self, *, booking_id: str) -> list[TransferResult]:
        ids = cache.get(f"{KEY_PREFIX}:group:{transfer_group_for(booking_id)}") or []
        return [transfer_from_stripe(_load(transfer_id, "transfer")) for transfer_id in reversed(ids)]

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> TransferReversalResult:
        def create() -> dict:
            transfer = _load(transfer_id, "transfer")
            require_amount(amount_cents)
            left = transfer["amount"] - transfer["amount_reversed"]
            if amount_cents > left:
                raise InvalidRequest(
                    f"The reversal amount ({amount_cents}) is greater than what is left of the transfer ({left}).",
                    code="amount_too_large",
                    param="amount",
                )
            transfer["amount_reversed"] += amount_cents
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            _save(transfer)
            reversal = {
                "id": _new_id("trr"),
                "object": "transfer_reversal",
                "created": _now(),
                "amount": amount_cents,
                "currency": transfer["currency"],
                "transfer": transfer_id,
            }
            return _save(reversal)

        params = {"transfer": transfer_id, "amount": amount_cents}
        return transfer_reversal_from_stripe(_idempotent(idempotency_key, "reverse_transfer", params, create))


def simulated_object(object_id: str) -> dict[str, Any] | None:
    """The raw Stripe-shaped object (for tests and the demo's debugging)."""
    return _find(object_id)
