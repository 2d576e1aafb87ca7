"""The bookings API: the same services as the HTML pages, one endpoint per operation.

Ownership: a booking is looked up among the caller's own lessons (as student or instructor);
anyone else's is a 404, so nobody learns whether it exists. A 403 means "your lesson, but not
an action you may take" (e.g. an instructor asking to reschedule). Domain errors from the
services come back through core.api.exception_handler with their own code and status.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasPermission
from bookings import api_selectors, services
from bookings.errors import InvalidTransition
from bookings.models import BookingStatus
from core.exceptions import Conflict
from core.serializers import ApiErrorSerializer

from .serializers import (
    BookingSerializer,
    CancellationOutcomeSerializer,
    CancelResultSerializer,
    ConfirmRequestSerializer,
    DisputeRequestSerializer,
    HoldRequestSerializer,
    InstructorScopeSerializer,
    NoShowRequestSerializer,
    ReasonRequestSerializer,
    RescheduleOutcomeSerializer,
    RescheduleRequestSerializer,
    StudentScopeSerializer,
)

STUDENT = "accounts.book_lessons"
INSTRUCTOR = "instructors.teach"
TAGS = ["bookings"]
INSTRUCTOR_TAGS = ["instructor bookings"]


class IsLessonParty(BasePermission):
    """Students and instructors; which lessons they reach is decided by the lookup."""

    message = "You do not have permission to do that."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.has_perm(STUDENT) or user.has_perm(INSTRUCTOR)))


def _errors(*codes: int) -> dict:
    descriptions = {
        400: "Invalid input (`invalid`, with `fields`) or a rule of the booking (`outside_booking_window`, "
        "`invalid_option`).",
        403: "Not signed in, or your lesson but not an action you may take (`forbidden`).",
        404: "No such booking among your lessons (`not_found`).",
        409: "The lesson's state or calendar does not allow it (`slot_unavailable`, `student_busy`, "
        "`outside_availability`, `day_full`, `hold_expired`, `invalid_transition`, `policy_violation`, "
        "`lesson_started`, `idempotency_key_reused`).",
    }
    return {code: OpenApiResponse(ApiErrorSerializer, description=descriptions[code]) for code in codes}


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _party_booking(user, booking_id: str):
    booking = api_selectors.booking_for_party(user, booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def _booking_response(request, booking_id: str, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The booking as it is now, re-read with everything the serializer shows."""
    booking = _party_booking(request.user, booking_id)
    return Response(BookingSerializer(booking, context={"request": request}).data, status=status_code)


class BookingObjectView(APIView):
    """Base of the endpoints about one of the caller's lessons."""

    permission_classes = [IsLessonParty]

    def get_booking(self, booking_id: str):
        return _party_booking(self.request.user, booking_id)

    def booking_response(self, booking_id: str, *, status_code: int = status.HTTP_200_OK) -> Response:
        return _booking_response(self.request, booking_id, status_code=status_code)


# --- the student's lessons -------------------------------------------------------------------


class BookingListCreate(GenericAPIView):
    """The student's own lessons; POST holds a time (checkout step one)."""

    permission_classes = [HasPermission(STUDENT)]
    serializer_class = BookingSerializer
    filter_backends: list = []

    @extend_schema(
        tags=TAGS,
        summary="My lessons",
        parameters=[StudentScopeSerializer],
        responses={200: BookingSerializer(many=True), **_errors(400, 403)},
    )
    def get(self, request):
        scope = _valid(StudentScopeSerializer, request.query_params)["scope"]
        page = self.paginate_queryset(api_selectors.student_bookings(request.user, scope=scope))
        return self.get_paginated_response(BookingSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Hold a time",
        description="Holds the time for a few minutes while the student finishes checkout (status `held`, "
        "`hold_expires_at`); confirm it with `POST /bookings/{id}/confirm/`. The idempotency key makes a "
        "double-clicked Book one booking: the same key again answers 200 with the same booking (409 "
        "`idempotency_key_reused` if the key was used for a different offering, time or length).",
        request=HoldRequestSerializer,
        responses={
            201: BookingSerializer,
            200: OpenApiResponse(BookingSerializer, description="The booking made earlier with this key."),
            **_errors(400, 403, 409),
        },
    )
    def post(self, request):
        data = _valid(HoldRequestSerializer, request.data)
        user = request.user
        earlier = api_selectors.booking_by_key(user, data["idempotency_key"])
        if earlier is not None:
            if (earlier.offering_id, earlier.start_at, earlier.duration_minutes) != (
                data["offering_id"],
                data["start_at"],
                data["duration"],
            ):
                raise Conflict(
                    "This idempotency key was already used for a different booking.", code="idempotency_key_reused"
                )
            return _booking_response(request, earlier.pk)
        offering = api_selectors.offering_for_booking(data["offering_id"])
        if offering is None:
            raise ValidationError({"offering_id": ["No such service offering."]})
        booking = services.hold_booking(
            student=user,
            offering=offering,
            start_at=data["start_at"],
            duration=data["duration"],
            idempotency_key=data["idempotency_key"],
        )
        return _booking_response(request, booking.pk, status_code=status.HTTP_201_CREATED)


class BookingDetail(BookingObjectView):
    @extend_schema(tags=TAGS, summary="One of my lessons", responses={200: BookingSerializer, **_errors(403, 404)})
    def get(self, request, booking_id):
        return self.booking_response(booking_id)


class ConfirmBooking(BookingObjectView):
    permission_classes = [HasPermission(STUDENT)]

    @extend_schema(
        tags=TAGS,
        summary="Confirm a held time",
        description="Chooses where the lesson happens and confirms it, or sends a request (status `requested`) "
        "when the instructor accepts bookings themselves. Platform credit applies first (unless `use_credit` is "
        "false); the rest goes on `payment_method_id` or the default saved card (400 `card_required` without one). "
        "Nothing is charged now. Confirming again returns the booking unchanged.",
        request=ConfirmRequestSerializer,
        responses={
            200: BookingSerializer,
            400: OpenApiResponse(
                ApiErrorSerializer,
                description="Invalid input (`invalid`, with `fields`), a place the offering does not offer "
                "(`invalid_option`), or `card_required`: part of the price must go on a card and the student has "
                "no saved card (or `payment_method_id` is not one of theirs).",
            ),
            **_errors(403, 404, 409),
        },
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(ConfirmRequestSerializer, request.data)
        services.confirm_booking(
            booking=booking,
            student=request.user,
            location_type=data["location_type"],
            address=data["address"],
            note=data["note"],
            payment_method_id=data["payment_method_id"] or None,
            use_credit=data["use_credit"],
        )
        return self.booking_response(booking_id)


class CancellationPreview(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="What cancelling would cost",
        description="The policy's outcome if the caller (student or instructor) cancelled now.",
        responses={200: CancellationOutcomeSerializer, **_errors(403, 404, 409)},
    )
    def get(self, request, booking_id):
        booking = self.get_booking(booking_id)
        _require_cancellable(booking)
        outcome = services.cancellation_preview(booking=booking, user=request.user)
        return Response(CancellationOutcomeSerializer(outcome).data)


def _require_cancellable(booking) -> None:
    if booking.status not in services.UPCOMING_FOR_CANCEL:
        raise InvalidTransition(f"A {booking.get_status_display().lower()} booking can't be cancelled.")


class CancelBooking(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="Cancel a lesson",
        description="By its student or its instructor; the outcome follows the cancellation policy.",
        request=ReasonRequestSerializer,
        responses={200: CancelResultSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(ReasonRequestSerializer, request.data)
        outcome = services.cancel_booking(booking=booking, user=request.user, reason=data["reason"])
        booking = self.get_booking(booking_id)
        return Response(
            CancelResultSerializer({"booking": booking, "outcome": outcome}, context={"request": request}).data
        )


class ReschedulePreview(BookingObjectView):
    permission_classes = [HasPermission(STUDENT)]

    @extend_schema(
        tags=TAGS,
        summary="Whether and how a lesson can be moved",
        responses={200: RescheduleOutcomeSerializer, **_errors(403, 404, 409)},
    )
    def get(self, request, booking_id):
        booking = self.get_booking(booking_id)
        outcome = services.reschedule_preview(booking=booking, user=request.user)
        if booking.status != BookingStatus.CONFIRMED:
            raise InvalidTransition("Only confirmed lessons can be rescheduled.")
        return Response(RescheduleOutcomeSerializer(outcome).data)


class RescheduleBooking(BookingObjectView):
    permission_classes = [HasPermission(STUDENT)]

    @extend_schema(
        tags=TAGS,
        summary="Move a lesson to a new time",
        description="Same service, length and place; the old booking becomes `rescheduled` and points at the new "
        "one, which is returned (201). The same idempotency key again answers 200 with that new booking.",
        request=RescheduleRequestSerializer,
        responses={
            201: BookingSerializer,
            200: OpenApiResponse(BookingSerializer, description="The booking made earlier with this key."),
            **_errors(400, 403, 404, 409),
        },
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(RescheduleRequestSerializer, request.data)
        earlier = api_selectors.booking_by_key(request.user, data["idempotency_key"])
        if earlier is not None:
            if earlier.start_at != data["start_at"] or api_selectors.moved_from(earlier) != booking.pk:
                raise Conflict(
                    "This idempotency key was already used for a different booking.", code="idempotency_key_reused"
                )
            return self.booking_response(earlier.pk)
        new = services.reschedule_booking(
            booking=booking, user=request.user, start_at=data["start_at"], idempotency_key=data["idempotency_key"]
        )
        return self.booking_response(new.pk, status_code=status.HTTP_201_CREATED)


class ReportNoShow(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="Report a no-show",
        description="The student reports the instructor missing, or the instructor the student; open from the "
        "lesson's start until 24 hours after it ends.",
        request=NoShowRequestSerializer,
        responses={200: BookingSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(NoShowRequestSerializer, request.data)
        services.report_no_show(booking=booking, user=request.user, note=data["note"])
        return self.booking_response(booking_id)


class DisputeNoShow(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="Dispute a no-show report",
        description="By the other party of the report; staff then resolve it.",
        request=DisputeRequestSerializer,
        responses={200: BookingSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(DisputeRequestSerializer, request.data)
        services.dispute_no_show(booking=booking, user=request.user, note=data["note"])
        return self.booking_response(booking_id)


# --- the instructor's side -------------------------------------------------------------------


class InstructorBookingList(GenericAPIView):
    """The instructor's own lessons and the requests waiting for them."""

    permission_classes = [HasPermission(INSTRUCTOR)]
    serializer_class = BookingSerializer
    filter_backends: list = []

    @extend_schema(
        tags=INSTRUCTOR_TAGS,
        summary="My teaching calendar",
        parameters=[InstructorScopeSerializer],
        responses={200: BookingSerializer(many=True), **_errors(400, 403)},
    )
    def get(self, request):
        scope = _valid(InstructorScopeSerializer, request.query_params)["scope"]
        page = self.paginate_queryset(api_selectors.instructor_bookings(request.user, scope=scope))
        return self.get_paginated_response(BookingSerializer(page, many=True, context={"request": request}).data)


class InstructorBookingView(BookingObjectView):
    permission_classes = [HasPermission(INSTRUCTOR)]

    def get_booking(self, booking_id: str):
        booking = api_selectors.booking_for_instructor(self.request.user, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        return booking


class AcceptRequest(InstructorBookingView):
    @extend_schema(
        tags=INSTRUCTOR_TAGS,
        summary="Accept a booking request",
        request=None,
        responses={200: BookingSerializer, **_errors(403, 404, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        services.accept_request(booking=booking, instructor_user=request.user)
        return self.booking_response(booking_id)


class DeclineRequest(InstructorBookingView):
    @extend_schema(
        tags=INSTRUCTOR_TAGS,
        summary="Decline a booking request",
        request=ReasonRequestSerializer,
        responses={200: BookingSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(ReasonRequestSerializer, request.data)
        services.decline_request(booking=booking, instructor_user=request.user, reason=data["reason"])
        return self.booking_response(booking_id)
