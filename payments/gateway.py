"""The payments gateway: one interface to the payment provider, and the only module that imports `stripe`.

Two implementations share the interface `PaymentGateway`:

- `StripeGateway` (this module) calls the Stripe API through the official SDK (stripe 16.x), with a
  `stripe.StripeClient` of its own: API key, API base (tests point it at a local stand-in), network
  retries and timeout are per client, so nothing global is mutated and tests cannot leak settings
  into each other.
- `SimulatedGateway` (`payments.simulated`) keeps Stripe-shaped objects in the Django cache (Redis,
  shared by web and worker processes), honours Stripe's test cards and never touches the network.

`get_gateway()` picks one: Stripe whenever `STRIPE_SECRET_KEY` is set; otherwise the simulated
gateway, but only on the INT tier. On STG/PROD without a key it raises `ImproperlyConfigured` at call
time (not at import, so `manage.py check --deploy` still runs in CI's production-like environment
without Stripe keys). `in_test_mode()` says whether the simulated gateway is in use (the site then
says "test mode" and card forms may take Stripe test card numbers).

Every call that creates an object or moves money takes an `idempotency_key` (build them with
`idempotency_key(operation, *parts)`), sent as Stripe's `Idempotency-Key`: the same key returns the
first result (or the first card error) instead of doing the work twice. Stripe forgets keys after
24 hours; a retry later than that must check state first (`retrieve_intent`,
`transfers_for_booking`) rather than trust the key.

Results are frozen dataclasses (no Django models here). Errors:

- `CardDeclined` (decline_code, intent_id) and `AuthenticationRequired` (intent_id; the bank wants
  the customer present, e.g. 3-D Secure for an off-session charge): tell the customer.
- `TransientGatewayError`: timeouts, connection errors, 5xx, rate limits. Retry later with backoff,
  with the same idempotency key. The SDK itself retries `STRIPE_MAX_NETWORK_RETRIES` times first
  (default 1; tests use 0 to stay fast), reusing the key.
- `InvalidRequest`: Stripe refused the request (bad parameters, wrong state, amount too large, or an
  idempotency key reused with different parameters). Retrying the same request will not help.
- `GatewayError`: the base class; bare instances mean a configuration problem (bad API key).
- `InvalidWebhook`: a webhook whose signature, timestamp or body is not acceptable.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# The SDK would otherwise write an id file under ~/.config/stripe and report platform details.
stripe.enable_telemetry = False

CURRENCY = "usd"
WEBHOOK_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE  # 300 s
IDEMPOTENCY_KEY_PREFIX = "ii"
MAX_IDEMPOTENCY_KEY_LENGTH = 255  # Stripe's limit
AUTHENTICATION_REQUIRED = "authentication_required"


# --- Idempotency keys ---------------------------------------------------------------------------------


def idempotency_key(operation: str, *parts: object) -> str:
    """`idempotency_key("authorize", booking_id, 1)` -> "ii:authorize:<booking_id>:1".

    Derive keys from what makes the operation unique (the booking, the operation, an attempt number
    when a new attempt is wanted after a decline). Longer than 255 characters -> shortened with a hash.
    """
    texts = [str(part) for part in parts]
    if not operation or any(not text for text in texts):
        raise ValueError("An idempotency key needs an operation and non-empty parts.")
    key = ":".join([IDEMPOTENCY_KEY_PREFIX, operation, *texts])
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[: MAX_IDEMPOTENCY_KEY_LENGTH - len(digest) - 1]}~{digest}"
    return key


# --- Results ------------------------------------------------------------------------------------------


class IntentStatus:
    """PaymentIntent statuses we meet (Stripe's own strings)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"  # authorized, funds held
    SUCCEEDED = "succeeded"  # captured
    CANCELED = "canceled"  # released


@dataclass(frozen=True)
class Customer:
    id: str


@dataclass(frozen=True)
class SetupIntentResult:
    id: str
    client_secret: str
    status: str  # requires_payment_method | requires_confirmation | requires_action | processing | succeeded | canceled
    payment_method_id: str = ""  # set once the card is confirmed (status "succeeded")


@dataclass(frozen=True)
class CardDetails:
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str = ""  # the same for every payment method made from one card number


@dataclass(frozen=True)
class IntentResult:
    id: str
    status: str  # see IntentStatus
    amount_cents: int
    amount_capturable_cents: int
    amount_received_cents: int
    error_code: str = ""
    error_message: str = ""
    decline_code: str = ""
    client_secret: str = ""  # for Stripe.js when the customer must act on-session (requires_action)
    charge_id: str = ""  # latest charge ("ch_..."), usable as a transfer's source_transaction
    payment_method_id: str = ""
    currency: str = CURRENCY

    @property
    def is_authorized(self) -> bool:
        return self.status == IntentStatus.REQUIRES_CAPTURE

    @property
    def is_captured(self) -> bool:
        return self.status == IntentStatus.SUCCEEDED

    @property
    def is_canceled(self) -> bool:
        return self.status == IntentStatus.CANCELED


@dataclass(frozen=True)
class RefundResult:
    id: str
    amount_cents: int
    status: str  # pending | requires_action | succeeded | failed | canceled


@dataclass(frozen=True)
class AccountResult:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    disabled_reason: str = ""
    currently_due: list[str] = field(default_factory=list)
    transfers_active: bool = False  # the "transfers" capability is active

    @property
    def ready_for_transfers(self) -> bool:
        """Conservative: pay out only to an account that can take transfers and pay them out now."""
        return self.transfers_active and self.payouts_enabled and not self.disabled_reason


@dataclass(frozen=True)
class AccountLinkResult:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount_cents: int
    destination: str
    reversed_cents: int = 0
    transfer_group: str = ""


@dataclass(frozen=True)
class TransferReversalResult:
    id: str
    amount_cents: int


# --- Errors -------------------------------------------------------------------------------------------


class GatewayError(Exception):
    """Base of every gateway error: `code` (machine) and `message` (human)."""

    default_code = "gateway_error"
    default_message = "The payment provider could not complete the request."

    def __init__(self, message: str = "", *, code: str = "", http_status: int | None = None, request_id: str = ""):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.http_status = http_status
        self.request_id = request_id
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class CardDeclined(GatewayError):
    default_code = "card_declined"
    default_message = "The card was declined."

    def __init__(self, message: str = "", *, decline_code: str = "", intent_id: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.decline_code = decline_code
        self.intent_id = intent_id


class AuthenticationRequired(GatewayError):
    """The bank wants the customer to authenticate (3-D Secure) before it will authorize."""

    default_code = "authentication_required"
    default_message = "The bank asks the cardholder to confirm this payment."

    def __init__(self, message: str = "", *, intent_id: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.intent_id = intent_id


class TransientGatewayError(GatewayError):
    """Timeouts, connection errors, 5xx and rate limits: retry later with the same idempotency key."""

    default_code = "gateway_unavailable"
    default_message = "The payment provider is not answering right now."


class InvalidRequest(GatewayError):
    default_code = "invalid_request"
    default_message = "The payment provider refused the request."

    def __init__(self, message: str = "", *, param: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.param = param


class InvalidWebhook(GatewayError):
    default_code = "invalid_webhook"
    default_message = "The webhook's signature, timestamp or body is not valid."


# --- The interface ------------------------------------------------------------------------------------


class PaymentGateway(ABC):
    """What the rest of the project may ask of the payment provider. Arguments are keyword-only."""

    name: str = "gateway"

    @abstractmethod
    def create_customer(self, *, email: str, name: str, user_id: str, idempotency_key: str) -> Customer: ...

    @abstractmethod
    def create_setup_intent(self, *, customer_id: str, idempotency_key: str) -> SetupIntentResult: ...

    @abstractmethod
    def retrieve_setup_intent(self, *, setup_intent_id: str) -> SetupIntentResult: ...

    @abstractmethod
    def card_details(self, *, payment_method_id: str) -> CardDetails: ...

    @abstractmethod
    def attach_payment_method(self, *, customer_id: str, payment_method_id: str) -> CardDetails: ...

    @abstractmethod
    def detach_payment_method(self, *, payment_method_id: str) -> None: ...

    @abstractmethod
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
    ) -> IntentResult: ...

    @abstractmethod
    def capture(self, *, intent_id: str, amount_cents: int, idempotency_key: str) -> IntentResult: ...

    @abstractmethod
    def cancel_authorization(self, *, intent_id: str, idempotency_key: str) -> IntentResult: ...

    @abstractmethod
    def retrieve_intent(self, *, intent_id: str) -> IntentResult: ...

    @abstractmethod
    def refund(
        self, *, intent_id: str, amount_cents: int, idempotency_key: str, reason: str | None = None
    ) -> RefundResult: ...

    @abstractmethod
    def create_connect_account(self, *, email: str, instructor_id: str, idempotency_key: str) -> AccountResult: ...

    @abstractmethod
    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> AccountLinkResult: ...

    @abstractmethod
    def retrieve_account(self, *, account_id: str) -> AccountResult: ...

    @abstractmethod
    def transfer(
        self,
        *,
        amount_cents: int,
        destination_account_id: str,
        booking_id: str,
        idempotency_key: str,
        source_transaction: str | None = None,
        currency: str = CURRENCY,
    ) -> TransferResult: ...

    @abstractmethod
    def transfers_for_booking(self, *, booking_id: str) -> list[TransferResult]:
        """Every transfer made for a booking (its transfer group): to check before paying out again."""

    @abstractmethod
    def reverse_transfer(
        self, *, transfer_id: str, amount_cents: int, idempotency_key: str
    ) -> TransferReversalResult: ...

    def construct_webhook_event(self, *, payload: bytes, signature_header: str | None) -> dict:
        """Verify a webhook (the same code path for every gateway) and return the event as a dict."""
        return construct_webhook_event(payload=payload, signature_header=signature_header)


def transfer_group_for(booking_id: str) -> str:
    return f"booking_{booking_id}"


def require_amount(amount_cents: int, *, param: str = "amount") -> int:
    """Money is a positive whole number of cents; anything else is refused before any request."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents < 1:
        raise InvalidRequest(
            "The amount must be a positive whole number of cents.", code="parameter_invalid_integer", param=param
        )
    return amount_cents


def require_idempotency_key(key: str) -> str:
    """Every object-creating or money-moving call names its key; an empty one is a bug, not a default."""
    if not key or not isinstance(key, str):
        raise ValueError("This gateway call needs an idempotency key (see payments.gateway.idempotency_key).")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(f"Idempotency keys are at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    return key


# --- Webhooks -----------------------------------------------------------------------------------------


def construct_webhook_event(
    *,
    payload: bytes,
    signature_header: str | None,
    secret: str | None = None,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
) -> dict:
    """`stripe.Webhook.construct_event` with our secret: the verified event as a plain dict.

    Raises InvalidWebhook (code missing_signature, bad_signature, stale_signature or bad_payload) for a
    missing or wrong signature, a timestamp older than `tolerance` seconds, or a body that is not a JSON
    event. Nothing is read from the body before the signature is verified.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    if not secret:
        logger.error("STRIPE_WEBHOOK_SECRET is empty: every webhook is refused")
        raise InvalidWebhook("No webhook secret is configured.", code="bad_signature")
    if not signature_header:
        raise InvalidWebhook("The Stripe-Signature header is missing.", code="missing_signature")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        stale = "tolerance" in str(exc)
        raise InvalidWebhook(
            "The webhook timestamp is too old." if stale else "The webhook signature does not match.",
            code="stale_signature" if stale else "bad_signature",
        ) from exc
    except (ValueError, TypeError, AttributeError) as exc:  # not UTF-8, not JSON, not an object
        raise InvalidWebhook("The webhook body is not a JSON event.", code="bad_payload") from exc
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise InvalidWebhook("The webhook body is not a Stripe event.", code="bad_payload")
    return data


# --- Mapping Stripe objects (API responses, webhook `data.object`s) to results -------------------------


def _id(value: Any) -> str:
    """An id whether the field holds the id, an expanded object, or nothing."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def customer_from_stripe(obj: Mapping[str, Any]) -> Customer:
    return Customer(id=obj["id"])


def setup_intent_from_stripe(obj: Mapping[str, Any]) -> SetupIntentResult:
    return SetupIntentResult(
        id=obj["id"],
        client_secret=obj.get("client_secret") or "",
        status=obj.get("status") or "",
        payment_method_id=_id(obj.get("payment_method")),
    )


def card_details_from_stripe(obj: Mapping[str, Any]) -> CardDetails:
    card = obj.get("card") or {}
    return CardDetails(
        payment_method_id=obj["id"],
        brand=card.get("brand") or "",
        last4=card.get("last4") or "",
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
        fingerprint=card.get("fingerprint") or "",
    )


def intent_from_stripe(obj: Mapping[str, Any]) -> IntentResult:
    error = obj.get("last_payment_error") or {}
    return IntentResult(
        id=obj["id"],
        status=obj.get("status") or "",
        amount_cents=int(obj.get("amount") or 0),
        amount_capturable_cents=int(obj.get("amount_capturable") or 0),
        amount_received_cents=int(obj.get("amount_received") or 0),
        error_code=error.get("code") or "",
        error_message=error.get("message") or "",
        decline_code=error.get("decline_code") or "",
        client_secret=obj.get("client_secret") or "",
        charge_id=_id(obj.get("latest_charge")),
        payment_method_id=_id(obj.get("payment_method")),
        currency=obj.get("currency") or CURRENCY,
    )


def refund_from_stripe(obj: Mapping[str, Any]) -> RefundResult:
    return RefundResult(id=obj["id"], amount_cents=int(obj.get("amount") or 0), status=obj.get("status") or "")


def account_from_stripe(obj: Mapping[str, Any]) -> AccountResult:
    requirements = obj.get("requirements") or {}
    capabilities = obj.get("capabilities") or {}
    return AccountResult(
        id=obj["id"],
        charges_enabled=bool(obj.get("charges_enabled")),
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
        disabled_reason=requirements.get("disabled_reason") or "",
        currently_due=list(requirements.get("currently_due") or []),
        transfers_active=capabilities.get("transfers") == "active",
    )


def account_link_from_stripe(obj: Mapping[str, Any]) -> AccountLinkResult:
    return AccountLinkResult(url=obj["url"], expires_at=datetime.fromtimestamp(int(obj["expires_at"]), tz=UTC))


def transfer_from_stripe(obj: Mapping[str, Any]) -> TransferResult:
    return TransferResult(
        id=obj["id"],
        amount_cents=int(obj.get("amount") or 0),
        destination=_id(obj.get("destination")),
        reversed_cents=int(obj.get("amount_reversed") or 0),
        transfer_group=obj.get("transfer_group") or "",
    )


def transfer_reversal_from_stripe(obj: Mapping[str, Any]) -> TransferReversalResult:
    return TransferReversalResult(id=obj["id"], amount_cents=int(obj.get("amount") or 0))


def check_authorization(result: IntentResult, *, off_session: bool) -> IntentResult:
    """An authorization that came back without funds held but without an error either."""
    if off_session and result.status == IntentStatus.REQUIRES_ACTION:
        raise AuthenticationRequired(intent_id=result.id)
    if result.status == IntentStatus.REQUIRES_PAYMENT_METHOD and result.error_code:
        if AUTHENTICATION_REQUIRED in (result.error_code, result.decline_code):
            raise AuthenticationRequired(result.error_message, intent_id=result.id)
        raise CardDeclined(
            result.error_message, code=result.error_code, decline_code=result.decline_code, intent_id=result.id
        )
    return result


# --- Stripe -------------------------------------------------------------------------------------------


def _plain(obj: Any) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _card_error(exc: stripe.CardError) -> GatewayError:
    error = (exc.json_body or {}).get("error") or {}
    code = exc.code or error.get("code") or "card_declined"
    decline_code = error.get("decline_code") or ""
    intent_id = _id(error.get("payment_intent"))
    message = error.get("message") or exc.user_message or ""
    meta = {"http_status": exc.http_status, "request_id": exc.request_id or ""}
    if AUTHENTICATION_REQUIRED in (code, decline_code):
        return AuthenticationRequired(message, code=AUTHENTICATION_REQUIRED, intent_id=intent_id, **meta)
    return CardDeclined(message, code=code, decline_code=decline_code, intent_id=intent_id, **meta)


@contextmanager
def _stripe_errors(operation: str) -> Iterator[None]:
    """Translate the SDK's exceptions into ours (the SDK has already made its own retries)."""
    try:
        yield
    except stripe.CardError as exc:
        raise _card_error(exc) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        logger.warning("Stripe %s failed transiently: %s", operation, type(exc).__name__)
        raise TransientGatewayError(
            code="rate_limited" if isinstance(exc, stripe.RateLimitError) else "gateway_unavailable",
            http_status=getattr(exc, "http_status", None),
            request_id=getattr(exc, "request_id", None) or "",
        ) from exc
    except stripe.IdempotencyError as exc:
        logger.error("Stripe %s: idempotency key reused with different parameters", operation)
        raise InvalidRequest(exc.user_message or "", code="idempotency_error", http_status=exc.http_status) from exc
    except stripe.InvalidRequestError as exc:
        raise InvalidRequest(
            exc.user_message or "",
            code=exc.code or "invalid_request",
            param=exc.param or "",
            http_status=exc.http_status,
            request_id=exc.request_id or "",
        ) from exc
    except stripe.StripeError as exc:  # authentication/permission: the configuration is wrong
        logger.error("Stripe %s failed: %s", operation, type(exc).__name__)
        raise GatewayError(
            exc.user_message or "",
            code=exc.code or type(exc).__name__,
            http_status=exc.http_status,
            request_id=exc.request_id or "",
        ) from exc


class StripeGateway(PaymentGateway):
    """The real thing: Stripe's REST API through a `stripe.StripeClient` of our own."""

    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str = "", max_network_retries: int = 1, timeout_seconds: float = 20):
        if not api_key:
            raise ImproperlyConfigured("StripeGateway needs an API key.")
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )

    @property
    def v1(self):
        return self.client.v1

    @staticmethod
    def _options(idempotency_key: str) -> dict[str, str]:
        return {"idempotency_key": require_idempotency_key(idempotency_key)}

    # Customers and cards

    def create_customer(self, *, email: str, name: str, user_id: str, idempotency_key: str) -> Customer:
        with _stripe_errors("create_customer"):
            obj = self.v1.customers.create(
                params={"email": email, "name": name, "metadata": {"user_id": user_id}},
                options=self._options(idempotency_key),
            )
        return customer_from_stripe(_plain(obj))

    def create_setup_intent(self, *, customer_id: str, idempotency_key: str) -> SetupIntentResult:
        with _stripe_errors("create_setup_intent"):
            obj = self.v1.setup_intents.create(
                params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
                options=self._options(idempotency_key),
            )
        return setup_intent_from_stripe(_plain(obj))

    def retrieve_setup_intent(self, *, setup_intent_id: str) -> SetupIntentResult:
        with _stripe_errors("retrieve_setup_intent"):
            obj = self.v1.setup_intents.retrieve(setup_intent_id)
        return setup_intent_from_stripe(_plain(obj))

    def card_details(self, *, payment_method_id: str) -> CardDetails:
        with _stripe_errors("card_details"):
            obj = self.v1.payment_methods.retrieve(payment_method_id)
        return card_details_from_stripe(_plain(obj))

    def attach_payment_method(self, *, customer_id: str, payment_method_id: str) -> CardDetails:
        with _stripe_errors("attach_payment_method"):
            obj = self.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
        return card_details_from_stripe(_plain(obj))

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        with _stripe_errors("detach_payment_method"):
            self.v1.payment_methods.detach(payment_method_id)

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
            "amount": require_amount(amount_cents),
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "confirm": True,
            "off_session": off_session,
            "transfer_group": transfer_group_for(booking_id),
            "metadata": {"booking_id": booking_id},
        }
        with _stripe_errors("authorize"):
            obj = self.v1.payment_intents.create(params=params, options=self._options(idempotency_key))
        return check_authorization(intent_from_stripe(_plain(obj)), off_session=off_session)

    def capture(self, *, intent_id: str, amount_cents: int, idempotency_key: str) -> IntentResult:
        with _stripe_errors("capture"):
            obj = self.v1.payment_intents.capture(
                intent_id,
                params={"amount_to_capture": require_amount(amount_cents, param="amount_to_capture")},
                options=self._options(idempotency_key),
            )
        return intent_from_stripe(_plain(obj))

    def cancel_authorization(self, *, intent_id: str, idempotency_key: str) -> IntentResult:
        with _stripe_errors("cancel_authorization"):
            obj = self.v1.payment_intents.cancel(intent_id, options=self._options(idempotency_key))
        return intent_from_stripe(_plain(obj))

    def retrieve_intent(self, *, intent_id: str) -> IntentResult:
        with _stripe_errors("retrieve_intent"):
            obj = self.v1.payment_intents.retrieve(intent_id)
        return intent_from_stripe(_plain(obj))

    def refund(
        self, *, intent_id: str, amount_cents: int, idempotency_key: str, reason: str | None = None
    ) -> RefundResult:
        params: dict[str, Any] = {"payment_intent": intent_id, "amount": require_amount(amount_cents)}
        if reason:
            params["reason"] = reason  # duplicate | fraudulent | requested_by_customer
        with _stripe_errors("refund"):
            obj = self.v1.refunds.create(params=params, options=self._options(idempotency_key))
        return refund_from_stripe(_plain(obj))

    # Connect

    def create_connect_account(self, *, email: str, instructor_id: str, idempotency_key: str) -> AccountResult:
        params = {
            "type": "express",
            "country": "US",
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"instructor_id": instructor_id},
        }
        with _stripe_errors("create_connect_account"):
            obj = self.v1.accounts.create(params=params, options=self._options(idempotency_key))
        return account_from_stripe(_plain(obj))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> AccountLinkResult:
        params = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        with _stripe_errors("create_account_link"):
            obj = self.v1.account_links.create(params=params)
        return account_link_from_stripe(_plain(obj))

    def retrieve_account(self, *, account_id: str) -> AccountResult:
        with _stripe_errors("retrieve_account"):
            obj = self.v1.accounts.retrieve(account_id)
        return account_from_stripe(_plain(obj))

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
        params: dict[str, Any] = {
            "amount": require_amount(amount_cents),
            "currency": currency,
            "destination": destination_account_id,
            "transfer_group": transfer_group_for(booking_id),
            "metadata": {"booking_id": booking_id},
        }
        if source_transaction:
            params["source_transaction"] = source_transaction
        with _stripe_errors("transfer"):
            obj = self.v1.transfers.create(params=params, options=self._options(idempotency_key))
        return transfer_from_stripe(_plain(obj))

    def transfers_for_booking(self, *, booking_id: str) -> list[TransferResult]:
        with _stripe_errors("transfers_for_booking"):
            page = self.v1.transfers.list(params={"transfer_group": transfer_group_for(booking_id), "limit": 100})
        return [transfer_from_stripe(item) for item in _plain(page).get("data", [])]

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> TransferReversalResult:
        with _stripe_errors("reverse_transfer"):
            obj = self.v1.transfers.reversals.create(
                transfer_id, params={"amount": require_amount(amount_cents)}, options=self._options(idempotency_key)
            )
        return transfer_reversal_from_stripe(_plain(obj))


# --- Choosing the gateway ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _stripe_gateway(api_key: str, api_base: str, max_network_retries: int, timeout_seconds: float) -> StripeGateway:
    return StripeGateway(
        api_key=api_key, api_base=api_base, max_network_retries=max_network_retries, timeout_seconds=timeout_seconds
    )


def in_test_mode() -> bool:
    """The simulated gateway is in use: no Stripe key, and only ever on the INT tier."""
    return not getattr(settings, "STRIPE_SECRET_KEY", "") and settings.ENV_TIER == "INT"


def get_gateway() -> PaymentGateway:
    """The Stripe gateway when a secret key is configured; the simulated one on INT without a key.

    On STG/PROD without STRIPE_SECRET_KEY this raises ImproperlyConfigured: real money must never
    silently go to a simulation.
    """
    api_key = getattr(settings, "STRIPE_SECRET_KEY", "")
    if api_key:
        return _stripe_gateway(
            api_key,
            getattr(settings, "STRIPE_API_BASE", "") or "",
            int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 1)),
            float(getattr(settings, "STRIPE_TIMEOUT_SECONDS", 20)),
        )
    if settings.ENV_TIER != "INT":
        raise ImproperlyConfigured(
            f"STRIPE_SECRET_KEY is not set on the {settings.ENV_TIER} tier; "
            "the simulated payment gateway only runs on INT."
        )
    from .simulated import SimulatedGateway

    return SimulatedGateway()
