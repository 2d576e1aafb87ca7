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
from bookings import selectors, services
from core.exceptions import Conflict
from core.openapi import error_response

from .serializers import (
    BookingSerializer,
    CancellationOutcomeSerializer,
    CancelResultSerializer,
    DisputeRequestSerializer,
    HoldRequestSerializer,
    InstructorScopeSerializer,
    NoShowRequestSerializer,
    ReasonRequestSerializer,
    ReschedulePreviewQuerySerializer,
    ReschedulePreviewSerializer,
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


# What only these endpoints answer; core.openapi adds the errors every route shares.
ERRORS = {
    400: error_response("A rule of the booking: `outside_booking_window`, `invalid_option`."),
    403: error_response("Your lesson, but not an action you may take (`forbidden`)."),
    409: error_response(
        "The lesson's state or calendar does not allow it (`slot_unavailable`, `student_busy`, "
        "`outside_availability`, `day_full`, `hold_expired`, `invalid_transition`, `policy_violation`, "
        "`lesson_started`, `idempotency_key_reused`)."
    ),
    429: error_response("Too many holds (`rate_limited`, with `retry_after` seconds and a `Retry-After` header)."),
}


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _party_booking(user, booking_id: str):
    booking = selectors.booking_for_party(user, booking_id)
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
        responses={200: BookingSerializer(many=True)},
    )
    def get(self, request):
        scope = _valid(StudentScopeSerializer, request.query_params)["scope"]
        page = self.paginate_queryset(selectors.student_bookings(request.user, scope=scope))
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
            **_errors(400, 409, 429),
        },
    )
    def post(self, request):
        data = _valid(HoldRequestSerializer, request.data)
        user = request.user
        earlier = selectors.booking_by_key(user, data["idempotency_key"])
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
        offering = selectors.offering_for_booking(data["offering_id"])
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
    @extend_schema(tags=TAGS, summary="One of my lessons", responses={200: BookingSerializer})
    def get(self, request, booking_id):
        return self.booking_response(booking_id)


class CancellationPreview(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="What cancelling would cost",
        description="The policy's outcome if the caller (student or instructor) cancelled now; 409 with the "
        "policy's reason when they may not (the same answer `actions.cancel` gives).",
        responses={200: CancellationOutcomeSerializer, **_errors(403, 409)},
    )
    def get(self, request, booking_id):
        actions = services.actions_for(self.get_booking(booking_id), request.user)
        services.require(actions.cancel)
        return Response(CancellationOutcomeSerializer(actions.cancellation).data)


class CancelBooking(BookingObjectView):
    @extend_schema(
        tags=TAGS,
        summary="Cancel a lesson",
        description="By its student or its instructor; the outcome follows the cancellation policy.",
        request=ReasonRequestSerializer,
        responses={200: CancelResultSerializer, **_errors(403, 409)},
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
        description="The policy's outcome of moving the lesson now (409 with its reason when it may not be moved). "
        "With `start_at`, also the terms of moving it there (`terms`): checked as the move checks it, so a "
        "time the instructor does not offer, or the lesson's own time, is refused here already.",
        parameters=[ReschedulePreviewQuerySerializer],
        responses={200: ReschedulePreviewSerializer, **_errors(400, 403, 409)},
    )
    def get(self, request, booking_id):
        booking = self.get_booking(booking_id)
        start_at = _valid(ReschedulePreviewQuerySerializer, request.query_params).get("start_at")
        actions = services.actions_for(booking, request.user)
        services.require(actions.reschedule)
        terms = None
        if start_at is not None:
            terms = services.reschedule_terms(booking=booking, user=request.user, start_at=start_at)
        return Response(ReschedulePreviewSerializer({**vars(actions.rescheduling), "terms": terms}).data)


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
            **_errors(400, 403, 409),
        },
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(RescheduleRequestSerializer, request.data)
        earlier = selectors.booking_by_key(request.user, data["idempotency_key"])
        if earlier is not None:
            if earlier.start_at != data["start_at"] or selectors.moved_from(earlier) != booking.pk:
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
        responses={200: BookingSerializer, **_errors(403, 409)},
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
        responses={200: BookingSerializer, **_errors(403, 409)},
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
        responses={200: BookingSerializer(many=True)},
    )
    def get(self, request):
        scope = _valid(InstructorScopeSerializer, request.query_params)["scope"]
        page = self.paginate_queryset(selectors.instructor_bookings(request.user, scope=scope))
        return self.get_paginated_response(BookingSerializer(page, many=True, context={"request": request}).data)


class InstructorBookingView(BookingObjectView):
    permission_classes = [HasPermission(INSTRUCTOR)]

    def get_booking(self, booking_id: str):
        booking = selectors.booking_for_instructor(self.request.user, booking_id)
        if booking is None:
            raise NotFound("No such booking.")
        return booking


class AcceptRequest(InstructorBookingView):
    @extend_schema(
        tags=INSTRUCTOR_TAGS,
        summary="Accept a booking request",
        request=None,
        responses={200: BookingSerializer, **_errors(403, 409)},
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
        responses={200: BookingSerializer, **_errors(403, 409)},
    )
    def post(self, request, booking_id):
        booking = self.get_booking(booking_id)
        data = _valid(ReasonRequestSerializer, request.data)
        services.decline_request(booking=booking, instructor_user=request.user, reason=data["reason"])
        return self.booking_response(booking_id)
