"""The Stripe webhook endpoint: for Stripe, not for our clients (left out of the API schema).

`POST /api/v1/payments/webhooks/stripe/`: the raw body is verified against the `Stripe-Signature`
header with our webhook secret before anything is read from it. A missing, wrong or stale signature,
or a body that is not an event, is a 400 and nothing is stored. A verified event is stored once by its
id and processed at once (`payments.webhooks.receive`); a repeated delivery is a 200 that changes
nothing. If processing fails (e.g. a row stays locked by a slow payment step) the answer is a 503:
the event stays stored as pending and Stripe's next delivery processes it.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import webhooks
from payments.gateway import InvalidWebhook, construct_webhook_event

log = logging.getLogger("payments.webhooks")


def _error(code: str, message: str, status: int, **extra) -> Response:
    return Response({"error": {"code": code, "message": message, **extra}}, status=status)


class StripeWebhook(APIView):
    """Stripe signs its requests; there is no session, no CSRF token and no throttle."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    renderer_classes = (JSONRenderer,)

    @extend_schema(exclude=True)
    def post(self, request):
        try:
            payload = request.body  # the raw bytes: the signature covers them exactly
        except RequestDataTooBig:
            return _error("invalid_signature", "The webhook body is too large.", 400, reason="bad_payload")
        try:
            event = construct_webhook_event(payload=payload, signature_header=request.META.get("HTTP_STRIPE_SIGNATURE"))
        except InvalidWebhook as error:
            log.warning("refused a webhook: %s", error.code)
            return _error("invalid_signature", error.message, 400, reason=error.code)
        try:
            stored = webhooks.receive(event)
        except Exception:
            log.exception("webhook %s (%s) could not be processed; Stripe retries", event["id"], event["type"])
            return _error("temporarily_unavailable", "The event could not be processed now; send it again.", 503)
        return Response({"received": True, "outcome": stored.outcome})
