"""Checkout through the API: `POST /api/v1/bookings/{id}/confirm/` pays for a held time and confirms
it, with the same service as the checkout page (payments.services.checkout_booking)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission
from bookings import selectors
from bookings.api.serializers import LOCATION_TYPES, BookingSerializer
from core.openapi import error_response
from core.serializers import TextField
from payments import services

STUDENT = "accounts.book_lessons"


class ConfirmRequestSerializer(serializers.Serializer):
    location_type = serializers.ChoiceField(choices=LOCATION_TYPES, help_text="One the offering offers.")
    address = TextField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required for `student_location`."
    )
    note = TextField(max_length=1000, required=False, allow_blank=True, default="")
    payment_method_id = TextField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="One of the student's saved cards (Stripe payment method id); empty means the default card "
        "(unless its last authorization failed).",
    )
    use_credit = serializers.BooleanField(
        required=False, default=True, help_text="Apply the student's platform credit first (default true)."
    )
    authenticated = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The student has just passed their bank's check for this payment (after a 402 "
        "`authentication_required`, with Stripe.js and its `client_secret`).",
    )


class ConfirmBooking(APIView):
    permission_classes = [HasPermission(STUDENT)]

    @extend_schema(
        tags=["bookings"],
        summary="Pay for a held time and confirm it",
        description="Chooses where the lesson happens and confirms it, or sends a request (status `requested`) "
        "when the instructor accepts bookings themselves. Platform credit applies first (unless `use_credit` is "
        "false); the rest goes on `payment_method_id` or the default saved card. A lesson that starts within "
        "24 hours is authorized now: a decline answers 402 `payment_declined` (with the bank's reason; choose "
        "another card and send again), a bank check 402 `authentication_required` (with `client_secret` for "
        "Stripe.js; send again with `authenticated: true`), and the time stays held meanwhile. A later lesson "
        "is authorized 24 hours before it starts. Confirming again returns the booking unchanged.",
        request=ConfirmRequestSerializer,
        responses={
            200: BookingSerializer,
            400: error_response(
                "A place the offering does not offer (`invalid_option`), or `card_required`: part of the price "
                "must go on a card and no usable saved card was given."
            ),
            402: error_response(
                "The card was declined (`payment_declined`) or the bank wants the student (`authentication_required`)."
            ),
            409: error_response("The hold ran out (`hold_expired`) or checkout is over (`invalid_transition`)."),
            429: error_response(
                "Too many checkouts (`rate_limited`, with `retry_after` seconds and a `Retry-After` header)."
            ),
            503: error_response("Stripe is not answering (`payment_provider_unavailable`): try again."),
        },
    )
    def post(self, request, booking_id):
        booking = selectors.booking_for_student(request.user, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        data = ConfirmRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        services.checkout_booking(
            booking=booking,
            student=request.user,
            location_type=data["location_type"],
            address=data["address"],
            note=data["note"],
            payment_method_id=data["payment_method_id"] or None,
            use_credit=data["use_credit"],
            authenticated=data["authenticated"],
        )
        booking = selectors.booking_for_student(request.user, booking_id)
        return Response(BookingSerializer(booking, context={"request": request}).data)
