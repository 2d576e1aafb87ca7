"""A local HTTP stand-in for the Stripe REST endpoints `payments.gateway.StripeGateway` calls.

The real SDK (`stripe.StripeClient` with `base_addresses={"api": standin.url}`) talks to it over
HTTP on 127.0.0.1, so contract tests exercise our actual request building, headers and error
mapping. It is deliberately small: form-encoded bodies in (Stripe's `metadata[booking_id]=...`
brackets), Stripe-shaped JSON out, and just enough behaviour to be realistic:

- every request is recorded (`requests`, `requests_to(pattern)`, `last(pattern)`): method, path,
  flat params as sent (`params["metadata[booking_id]"]`), decoded nested params (`nested`) and
  lower-cased headers (`idempotency_key`, `authorization`);
- `Authorization: Bearer <api_key>` is required (401 otherwise);
- idempotency: the same `Idempotency-Key` with the same parameters replays the first response
  (`Idempotent-Replayed: true`), with other parameters it is a 400 `idempotency_error`; like Stripe,
  successes and card errors are remembered, validation/state errors are not;
- Stripe's test payment methods (`pm_card_visa`, `pm_card_chargeDeclined`,
  `pm_card_chargeDeclinedInsufficientFunds`, `pm_card_authenticationRequired`) decline or ask for
  authentication when confirmed; capture/refund/reversal amounts are checked;
- fault injection, `fail_next(pattern, kind, method="POST", times=1)`, `pattern` an fnmatch
  pattern of the path ("/v1/payment_intents/*/capture"). Kinds: "500", "429", "timeout" (hang
  past the client's timeout without doing anything), "timeout_after_success" (do the work, remember
  it under the idempotency key, then hang: Stripe succeeded but we never heard), "card_declined",
  "insufficient_funds", "authentication_required" (a 402 card error; on PaymentIntent creation the
  failed intent is stored as Stripe would). `remember=True` stores an injected 500 under the
  idempotency key, as Stripe does for errors raised while executing.

Also here for other test modules: `sign_payload` (a `Stripe-Signature` header for a webhook body),
`make_event` and `signed_event`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_test_local_only"  # settings.STRIPE_WEBHOOK_SECRET's development default
API_VERSION = "2025-01-27.acacia"

FAULT_KINDS = {
    "500",
    "429",
    "timeout",
    "timeout_after_success",
    "card_declined",
    "insufficient_funds",
    "authentication_required",
}

# payment method id -> (brand, last4, outcome when charged)
TEST_PAYMENT_METHODS = {
    "pm_card_visa": ("visa", "4242", "succeeds"),
    "pm_card_mastercard": ("mastercard", "4444", "succeeds"),
    "pm_card_chargeDeclined": ("visa", "0002", "card_declined"),
    "pm_card_chargeDeclinedInsufficientFunds": ("visa", "9995", "insufficient_funds"),
    "pm_card_authenticationRequired": ("visa", "3155", "authentication_required"),
}
CARD_ERRORS = {
    "card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "authentication_required": (
        "authentication_required",
        None,
        "Your card was declined. This transaction requires authentication.",
    ),
}


# --- Webhook helpers ----------------------------------------------------------------------------------


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe would send for `payload` signed at `timestamp`."""
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def make_event(
    event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None, previous: dict | None = None
) -> dict:
    """A Stripe event envelope around `obj` (a Stripe-shaped object dict)."""
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": data,
    }


def signed_event(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) for an event, signed now unless `timestamp` is given."""
    payload = json.dumps(event).encode()
    return payload, sign_payload(payload, secret, int(time.time()) if timestamp is None else timestamp)


# --- Recording ------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]  # flat, keys as sent: "metadata[booking_id]", "payment_method_types[0]"
    headers: dict[str, str]  # lower-cased names
    pairs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def nested(self) -> dict[str, Any]:
        return decode_nested(self.pairs)


def decode_nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back to structure: a[b][c]=1 -> {"a": {"b": {"c": "1"}}}; a[0]=x -> lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    return {key: _listify(value) for key, value in node.items()}


@dataclass
class Fault:
    kind: str
    method: str
    pattern: str
    remaining: int
    remember: bool = False


class ApiError(Exception):
    def __init__(self, status: int, error: dict, *, remember: bool = False):
        super().__init__(error.get("message"))
        self.status = status
        self.error = error
        self.remember = remember  # card errors are remembered under the idempotency key


def _invalid(message: str, *, code: str | None = None, param: str | None = None, status: int = 400) -> ApiError:
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return ApiError(status, error)


def _missing(kind: str, object_id: str, param: str = "id") -> ApiError:
    return _invalid(f"No such {kind}: '{object_id}'", code="resource_missing", param=param, status=404)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _int(params: dict[str, str], name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, ValueError):
        raise _invalid(f"Invalid integer: {params.get(name)!r}", code="parameter_invalid_integer", param=name) from None


# --- The server -----------------------------------------------------------------------------------------


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), handler)
    for method, pattern, handler in [
        ("POST", r"/v1/customers", "create_customer"),
        ("POST", r"/v1/setup_intents", "create_setup_intent"),
        ("GET", r"/v1/setup_intents/(?P<id>[^/]+)", "retrieve_setup_intent"),
        ("GET", r"/v1/payment_methods/(?P<id>[^/]+)", "retrieve_payment_method"),
        ("POST", r"/v1/payment_methods/(?P<id>[^/]+)/attach", "attach_payment_method"),
        ("POST", r"/v1/payment_methods/(?P<id>[^/]+)/detach", "detach_payment_method"),
        ("POST", r"/v1/payment_intents", "create_payment_intent"),
        ("GET", r"/v1/payment_intents/(?P<id>[^/]+)", "retrieve_payment_intent"),
        ("POST", r"/v1/payment_intents/(?P<id>[^/]+)/capture", "capture_payment_intent"),
        ("POST", r"/v1/payment_intents/(?P<id>[^/]+)/cancel", "cancel_payment_intent"),
        ("POST", r"/v1/refunds", "create_refund"),
        ("POST", r"/v1/accounts", "create_account"),
        ("GET", r"/v1/accounts/(?P<id>[^/]+)", "retrieve_account"),
        ("POST", r"/v1/account_links", "create_account_link"),
        ("POST", r"/v1/transfers", "create_transfer"),
        ("GET", r"/v1/transfers", "list_transfers"),
        ("POST", r"/v1/transfers/(?P<id>[^/]+)/reversals", "create_transfer_reversal"),
    ]
]


class StripeStandIn:
    """Start with `start()` (or as a context manager); `url` is the API base for the SDK."""

    def __init__(self, *, api_key: str = API_KEY, hang_seconds: float = 3.0):
        self.api_key = api_key
        self.hang_seconds = hang_seconds
        self.requests: list[RecordedRequest] = []
        self.objects: dict[str, dict] = {}
        self.faults: list[Fault] = []
        self.replays = 0
        self._idempotent: dict[str, tuple[str, int, dict]] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> StripeStandIn:
        standin = self

        class Handler(_Handler):
            pass

        Handler.standin = standin
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # For assertions

    def requests_to(self, pattern: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            request
            for request in self.requests
            if fnmatch.fnmatchcase(request.path, pattern) and (method is None or request.method == method)
        ]

    def last(self, pattern: str, method: str | None = None) -> RecordedRequest:
        matching = self.requests_to(pattern, method)
        assert matching, f"no {method or ''} request to {pattern}; got {[r.path for r in self.requests]}"
        return matching[-1]

    def objects_of(self, kind: str) -> list[dict]:
        return [obj for obj in self.objects.values() if obj.get("object") == kind]

    # For arranging

    def fail_next(
        self, pattern: str, kind: str, *, method: str = "POST", times: int = 1, remember: bool = False
    ) -> None:
        assert kind in FAULT_KINDS, f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}"
        with self._lock:
            self.faults.append(Fault(kind=kind, method=method, pattern=pattern, remaining=times, remember=remember))

    def update_object(self, object_id: str, **fields: Any) -> dict:
        with self._lock:
            self.objects[object_id].update(fields)
            return self.objects[object_id]

    def complete_onboarding(self, account_id: str) -> dict:
        return self.update_object(
            account_id,
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            capabilities={"transfers": "active"},
            requirements={"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None},
        )

    # Serving

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.method == method and fnmatch.fnmatchcase(path, fault.pattern):
                    fault.remaining -= 1
                    return fault
        return None

    def handle(self, request: RecordedRequest) -> tuple[int, dict, dict[str, str], float]:
        """(status, body, extra headers, seconds to hang before answering)."""
        with self._lock:
            self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            error = {"type": "invalid_request_error", "message": "Invalid API Key provided."}
            return 401, {"error": error}, {}, 0
        fault = self._take_fault(request.method, request.path)
        key = request.idempotency_key if request.method == "POST" else None
        fingerprint = json.dumps([request.method, request.path, sorted(request.pairs)])
        if fault and fault.kind == "timeout":
            return 500, {"error": {"type": "api_error", "message": "(the client gave up first)"}}, {}, self.hang_seconds
        if fault and fault.kind == "429":
            error = {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests."}
            return 429, {"error": error}, {}, 0
        with self._lock:
            if key and key in self._idempotent:
                saved_fingerprint, status, body = self._idempotent[key]
                if saved_fingerprint != fingerprint:
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with.",
                    }
                    return 400, {"error": error}, {}, 0
                self.replays += 1
                return status, body, {"Idempotent-Replayed": "true"}, 0
            if fault and fault.kind == "500":
                body = {"error": {"type": "api_error", "message": "An unknown error occurred."}}
                if fault.remember and key:
                    self._idempotent[key] = (fingerprint, 500, body)
                return 500, body, {}, 0
            status, body, remember = self._dispatch(request, fault)
            if key and remember:
                self._idempotent[key] = (fingerprint, status, body)
        hang = self.hang_seconds if fault and fault.kind == "timeout_after_success" else 0
        return status, body, {}, hang

    def _dispatch(self, request: RecordedRequest, fault: Fault | None) -> tuple[int, dict, bool]:
        for method, pattern, name in ROUTES:
            match = pattern.match(request.path)
            if match and method == request.method:
                forced = fault.kind if fault and fault.kind in CARD_ERRORS else None
                try:
                    if forced and name != "create_payment_intent":
                        raise self._card_error(forced)
                    body = getattr(self, f"_{name}")(request, match.groupdict().get("id"), forced)
                except ApiError as exc:
                    return exc.status, {"error": exc.error}, exc.remember
                return 200, body, True
        return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL."}}, False

    # Endpoint behaviour

    def _store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def _get(self, object_id: str, kind: str, param: str = "id") -> dict:
        obj = self.objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise _missing(kind, object_id, param)
        return obj

    @staticmethod
    def _card_error(kind: str, *, payment_intent: dict | None = None, payment_method: dict | None = None) -> ApiError:
        code, decline_code, message = CARD_ERRORS[kind]
        error: dict[str, Any] = {"type": "card_error", "code": code, "message": message}
        if decline_code:
            error["decline_code"] = decline_code
        if payment_intent is not None:
            error["payment_intent"] = payment_intent
        if payment_method is not None:
            error["payment_method"] = payment_method
        return ApiError(402, error, remember=True)

    def _create_customer(self, request, _id, _forced) -> dict:
        nested = request.nested
        return self._store(
            {
                "id": _new_id("cus"),
                "object": "customer",
                "created": int(time.time()),
                "email": nested.get("email"),
                "name": nested.get("name"),
                "metadata": nested.get("metadata", {}),
            }
        )

    def _create_setup_intent(self, request, _id, _forced) -> dict:
        nested = request.nested
        customer = nested.get("customer")
        if customer:
            self._get(customer, "customer", "customer")
        setup_intent_id = _new_id("seti")
        return self._store(
            {
                "id": setup_intent_id,
                "object": "setup_intent",
                "created": int(time.time()),
                "client_secret": f"{setup_intent_id}_secret_{secrets.token_hex(8)}",
                "customer": customer,
                "usage": nested.get("usage", "off_session"),
                "payment_method_types": nested.get("payment_method_types", ["card"]),
                "payment_method": None,
                "status": "requires_payment_method",
            }
        )

    def _retrieve_setup_intent(self, _request, object_id, _forced) -> dict:
        return self._get(object_id, "setup_intent")

    def _payment_method(self, object_id: str, param: str = "id") -> dict:
        if object_id in TEST_PAYMENT_METHODS:
            brand, last4, _outcome = TEST_PAYMENT_METHODS[object_id]
            return {
                "id": object_id,
                "object": "payment_method",
                "type": "card",
                "customer": None,
                "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
                "standin_test_id": object_id,
            }
        return self._get(object_id, "payment_method", param)

    def _retrieve_payment_method(self, _request, object_id, _forced) -> dict:
        return self._payment_method(object_id)

    def _attach_payment_method(self, request, object_id, _forced) -> dict:
        customer = request.params.get("customer", "")
        self._get(customer, "customer", "customer")
        payment_method = self._payment_method(object_id)
        if object_id in TEST_PAYMENT_METHODS:  # attaching a test id makes a new payment method
            payment_method = self._store({**payment_method, "id": _new_id("pm")})
        payment_method["customer"] = customer
        return payment_method

    def _detach_payment_method(self, _request, object_id, _forced) -> dict:
        payment_method = self._get(object_id, "payment_method")
        payment_method["customer"] = None
        return payment_method

    def _create_payment_intent(self, request, _id, forced) -> dict:
        params = request.params
        amount = _int(params, "amount")
        payment_method_id = params.get("payment_method", "")
        payment_method = self._payment_method(payment_method_id, "payment_method") if payment_method_id else None
        intent_id = _new_id("pi")
        intent = self._store(
            {
                "id": intent_id,
                "object": "payment_intent",
                "created": int(time.time()),
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "currency": params.get("currency"),
                "capture_method": params.get("capture_method", "automatic_async"),
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                "customer": params.get("customer"),
                "payment_method": payment_method_id or None,
                "latest_charge": None,
                "last_payment_error": None,
                "next_action": None,
                "metadata": request.nested.get("metadata", {}),
                "transfer_group": params.get("transfer_group"),
                "status": "requires_confirmation" if payment_method else "requires_payment_method",
            }
        )
        if params.get("confirm") != "true" or payment_method is None:
            return intent
        off_session = params.get("off_session") == "true"
        outcome = forced or TEST_PAYMENT_METHODS.get(payment_method.get("standin_test_id", ""), ("", "", "succeeds"))[2]
        if outcome == "authentication_required" and not off_session and not forced:
            intent.update(status="requires_action", next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}})
            return intent
        if outcome in CARD_ERRORS:
            code, decline_code, message = CARD_ERRORS[outcome]
            error = {"type": "card_error", "code": code, "message": message}
            if decline_code:
                error["decline_code"] = decline_code
            intent.update(status="requires_payment_method", last_payment_error=error)
            raise self._card_error(outcome, payment_intent=intent, payment_method=payment_method)
        charge = self._store({"id": _new_id("ch"), "object": "charge", "amount": amount, "payment_intent": intent_id})
        intent["latest_charge"] = charge["id"]
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=amount)
        else:
            intent.update(status="succeeded", amount_received=amount)
        return intent

    def _retrieve_payment_intent(self, _request, object_id, _forced) -> dict:
        return self._get(object_id, "payment_intent")

    def _capture_payment_intent(self, request, object_id, _forced) -> dict:
        intent = self._get(object_id, "payment_intent")
        if intent["status"] != "requires_capture":
            raise _invalid(
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        amount = _int(request.params, "amount_to_capture") if "amount_to_capture" in request.params else None
        amount = intent["amount_capturable"] if amount is None else amount
        if amount > intent["amount_capturable"]:
            raise _invalid(
                "The amount to capture is greater than the amount capturable.",
                code="amount_too_large",
                param="amount_to_capture",
            )
        intent.update(status="succeeded", amount_capturable=0, amount_received=amount)
        return intent

    def _cancel_payment_intent(self, _request, object_id, _forced) -> dict:
        intent = self._get(object_id, "payment_intent")
        if intent["status"] in ("succeeded", "canceled"):
            raise _invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", amount_capturable=0)
        return intent

    def _create_refund(self, request, _id, _forced) -> dict:
        params = request.params
        intent = self._get(params.get("payment_intent", ""), "payment_intent", "payment_intent")
        refunded = sum(r["amount"] for r in self.objects_of("refund") if r["payment_intent"] == intent["id"])
        left = intent["amount_received"] - refunded
        amount = _int(params, "amount") if "amount" in params else left
        if intent["status"] != "succeeded" or amount > left or amount < 1:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                code="amount_too_large",
                param="amount",
            )
        return self._store(
            {
                "id": _new_id("re"),
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "charge": intent["latest_charge"],
                "reason": params.get("reason"),
                "status": "succeeded",
            }
        )

    def _create_account(self, request, _id, _forced) -> dict:
        nested = request.nested
        due = ["business_profile.url", "external_account", "individual.dob.day", "tos_acceptance.date"]
        return self._store(
            {
                "id": _new_id("acct"),
                "object": "account",
                "type": nested.get("type"),
                "country": nested.get("country"),
                "email": nested.get("email"),
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "capabilities": {"transfers": "inactive"},
                "requirements": {
                    "currently_due": due,
                    "eventually_due": due,
                    "past_due": due,
                    "disabled_reason": "requirements.past_due",
                },
                "metadata": nested.get("metadata", {}),
            }
        )

    def _retrieve_account(self, _request, object_id, _forced) -> dict:
        return self._get(object_id, "account")

    def _create_account_link(self, request, _id, _forced) -> dict:
        account = self._get(request.params.get("account", ""), "account", "account")
        now = int(time.time())
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"https://connect.stripe.com/setup/e/{account['id']}/{secrets.token_hex(8)}",
        }

    def _create_transfer(self, request, _id, _forced) -> dict:
        params = request.params
        amount = _int(params, "amount")
        self._get(params.get("destination", ""), "account", "destination")
        transfer_id = _new_id("tr")
        return self._store(
            {
                "id": transfer_id,
                "object": "transfer",
                "created": int(time.time()),
                "amount": amount,
                "amount_reversed": 0,
                "reversed": False,
                "currency": params.get("currency"),
                "destination": params.get("destination"),
                "source_transaction": params.get("source_transaction"),
                "transfer_group": params.get("transfer_group"),
                "metadata": request.nested.get("metadata", {}),
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/transfers/{transfer_id}/reversals",
                },
            }
        )

    def _list_transfers(self, request, _id, _forced) -> dict:
        group = request.params.get("transfer_group")
        data = [t for t in self.objects_of("transfer") if group is None or t["transfer_group"] == group]
        return {"object": "list", "url": "/v1/transfers", "has_more": False, "data": list(reversed(data))}

    def _create_transfer_reversal(self, request, object_id, _forced) -> dict:
        transfer = self._get(object_id, "transfer")
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = _int(request.params, "amount") if "amount" in request.params else left
        if amount > left or amount < 1:
            raise _invalid("The reversal amount exceeds what is left of the transfer.", code="amount_too_large")
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        return self._store(
            {"id": _new_id("trr"), "object": "transfer_reversal", "amount": amount, "transfer": transfer["id"]}
        )


class _Handler(BaseHTTPRequestHandler):
    standin: StripeStandIn

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        pairs = parse_qsl(body if self.command == "POST" else url.query, keep_blank_values=True)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            params=dict(pairs),
            headers={name.lower(): value for name, value in self.headers.items()},
            pairs=pairs,
        )
        status, payload, extra_headers, hang = self.standin.handle(request)
        if hang and self.standin._stopping.wait(hang):
            return  # shutting down
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away
