"""Booking API input and output.

Privacy: the other person of a lesson is shown only as `name` ("FirstName L."), never an
email, phone or last name. Instants are UTC ISO 8601 (`...Z`); the lesson's wall-clock time
is given in the instructor's zone (`local_date`, `local_start`, `local_end`,
`instructor_timezone`).
"""

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Booking, BookingStatus, NoShowResolution, NoShowType, Party, PaymentStatus
from bookings.selectors import INSTRUCTOR_SCOPES, STUDENT_SCOPES, clock, satellite
from bookings.services import actions_for
from core.serializers import AwareDateTimeField, QuerySerializer, TextField, UTCDateTimeField
from instructors.models import InstructorProfile, LocationType

# The values alone (labels differ by page): also keeps the schema from naming one choice set twice.
LOCATION_TYPES = LocationType.values


class LocalClockField(serializers.CharField):
    """A wall-clock time as "HH:MM"; as an end, midnight is "24:00" (the end of the day)."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: dt.time) -> str:
        minute = value.hour * 60 + value.minute
        return clock(1440 if self.end and minute == 0 else minute)


# --- output ------------------------------------------------------------------------------------


class LessonInstructorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.public_name", read_only=True, help_text='"FirstName L."')

    class Meta:
        model = InstructorProfile
        fields = ["id", "name"]
        read_only_fields = fields


class LessonStudentSerializer(serializers.Serializer):
    name = serializers.CharField(source="public_name", read_only=True, help_text='"FirstName L."')


class NoShowSerializer(serializers.Serializer):
    no_show_type = serializers.ChoiceField(
        choices=NoShowType.choices, read_only=True, help_text="Who did not come: `student` or `instructor`."
    )
    reported_at = UTCDateTimeField(read_only=True)
    note = serializers.CharField(read_only=True)
    disputed_at = UTCDateTimeField(read_only=True, allow_null=True)
    dispute_note = serializers.CharField(read_only=True)
    resolution = serializers.ChoiceField(
        choices=[("", "Open"), *NoShowResolution.choices], read_only=True, help_text="Empty while staff decide."
    )
    resolved_at = UTCDateTimeField(read_only=True, allow_null=True)


class ActionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(read_only=True)
    reason = serializers.CharField(
        read_only=True,
        help_text="Refused: why (the sentence the site shows). Allowed: what it costs, if anything.",
    )
    code = serializers.CharField(
        read_only=True, help_text="Refused: the error code the action's endpoint answers with."
    )


class LessonActionsSerializer(serializers.Serializer):
    """What you may do to this lesson now: the one policy the site, the API and the admin read."""

    cancel = ActionSerializer(read_only=True)
    reschedule = ActionSerializer(read_only=True)
    report_no_show = ActionSerializer(read_only=True)
    dispute_no_show = ActionSerializer(read_only=True)
    accept = ActionSerializer(read_only=True)
    decline = ActionSerializer(read_only=True)
    finish_checkout = ActionSerializer(read_only=True)


class BookingSerializer(serializers.ModelSerializer):
    """A lesson as its student or its instructor sees it."""

    status = serializers.ChoiceField(choices=BookingStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    offering_id = serializers.CharField(read_only=True)
    start_at = UTCDateTimeField(read_only=True)
    end_at = UTCDateTimeField(read_only=True)
    local_date = serializers.DateField(source="date", read_only=True, help_text="The instructor's local date.")
    local_start = LocalClockField(source="start_time", help_text='"HH:MM", the instructor\'s local time.')
    local_end = LocalClockField(source="end_time", end=True, help_text='"HH:MM"; "24:00" is the end of the day.')
    instructor = LessonInstructorSerializer(read_only=True)
    student = LessonStudentSerializer(read_only=True)
    viewer_role = serializers.SerializerMethodField(help_text="Whether you are this lesson's student or instructor.")
    location_type = serializers.ChoiceField(choices=LOCATION_TYPES, read_only=True)
    location_address = serializers.CharField(
        read_only=True, help_text="Where the lesson happens (student's location); shown to its two parties only."
    )
    note = serializers.CharField(source="student_note", read_only=True, help_text="The student's note.")
    hold_expires_at = UTCDateTimeField(read_only=True, allow_null=True)
    # Declared: a read-only model field would lose allow_blank, and the schema would deny the "".
    cancelled_by = serializers.ChoiceField(
        choices=Party.choices, allow_blank=True, read_only=True, help_text="Who cancelled it; empty if nobody did."
    )
    request_deadline = UTCDateTimeField(read_only=True, allow_null=True)
    confirmed_at = UTCDateTimeField(read_only=True, allow_null=True)
    cancelled_at = UTCDateTimeField(read_only=True, allow_null=True)
    payment_status = serializers.SerializerMethodField()
    no_show = serializers.SerializerMethodField()
    rescheduled_to = serializers.SerializerMethodField(help_text="The booking this one was moved to.")
    rescheduled_from = serializers.SerializerMethodField(help_text="The booking this one was moved from.")
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "status",
            "status_label",
            "service_name",
            "offering_id",
            "duration_minutes",
            "start_at",
            "end_at",
            "local_date",
            "local_start",
            "local_end",
            "instructor_timezone",
            "price_cents",
            "instructor",
            "student",
            "viewer_role",
            "location_type",
            "location_address",
            "note",
            "hold_expires_at",
            "request_deadline",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "payment_status",
            "no_show",
            "rescheduled_to",
            "rescheduled_from",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["student", "instructor"]))
    def get_viewer_role(self, booking: Booking) -> str:
        request = self.context.get("request")
        user_id = getattr(getattr(request, "user", None), "pk", None)
        return "student" if booking.student_id == user_id else "instructor"

    @extend_schema_field(serializers.ChoiceField(choices=PaymentStatus.choices, allow_null=True))
    def get_payment_status(self, booking: Booking) -> str | None:
        payment = satellite(booking, "payment")
        return payment.status if payment is not None else None

    @extend_schema_field(NoShowSerializer(allow_null=True))
    def get_no_show(self, booking: Booking) -> dict | None:
        no_show = satellite(booking, "no_show")
        return NoShowSerializer(no_show).data if no_show is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rescheduled_to(self, booking: Booking) -> str | None:
        moved = satellite(booking, "reschedule")
        return moved.rescheduled_to_id if moved is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rescheduled_from(self, booking: Booking) -> str | None:
        previous = satellite(booking, "rescheduled_from")
        return previous.booking_id if previous is not None else None

    @extend_schema_field(LessonActionsSerializer)
    def get_actions(self, booking: Booking) -> dict:
        return LessonActionsSerializer(actions_for(booking, self.context["request"].user)).data


class CancellationOutcomeSerializer(serializers.Serializer):
    charge_cents = serializers.IntegerField(read_only=True, help_text="What the student pays for this lesson.")
    refund_cents = serializers.IntegerField(read_only=True, help_text="What is released or refunded to the student.")
    instructor_paid = serializers.BooleanField(read_only=True)
    late = serializers.BooleanField(read_only=True, help_text="Inside the free-cancellation window.")
    reason = serializers.CharField(read_only=True, help_text="One sentence to show before confirming.")


class CancelResultSerializer(serializers.Serializer):
    booking = BookingSerializer(read_only=True)
    outcome = CancellationOutcomeSerializer(read_only=True)


class RescheduleOutcomeSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(read_only=True)
    late = serializers.BooleanField(read_only=True, help_text="Inside the free-reschedule window.")
    lock_funds = serializers.BooleanField(
        read_only=True, help_text="The payment is captured now and held until the new lesson resolves."
    )
    reason = serializers.CharField(read_only=True, help_text="One sentence to show before confirming, or why not.")


class RescheduleTermsSerializer(serializers.Serializer):
    """What moving the lesson to `start_at` changes: show it before the student confirms."""

    new_start_at = UTCDateTimeField(read_only=True)
    new_end_at = UTCDateTimeField(read_only=True)
    outcome = RescheduleOutcomeSerializer(read_only=True, help_text="What the move itself costs.")
    cancel_after_move = CancellationOutcomeSerializer(
        read_only=True,
        help_text="What cancelling right after the move costs (the policy counts from the new time).",
    )
    free_cancel_until = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="Free cancellation of the moved lesson ends then (null: never free)."
    )


class ReschedulePreviewSerializer(RescheduleOutcomeSerializer):
    terms = RescheduleTermsSerializer(read_only=True, allow_null=True, help_text="With `start_at` only.")


class ReschedulePreviewQuerySerializer(QuerySerializer):
    start_at = AwareDateTimeField(
        required=False, help_text="A new start to price: the answer then also gives the move's terms (`terms`)."
    )


# --- input -------------------------------------------------------------------------------------


class IdempotencyKeyField(TextField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault(
            "help_text", "A fresh random string per booking attempt; sending it again returns the same booking."
        )
        super().__init__(**kwargs)


class HoldRequestSerializer(serializers.Serializer):
    offering_id = TextField(max_length=26, help_text="The instructor's service offering to book.")
    start_at = AwareDateTimeField(help_text="ISO 8601 with its UTC offset, on a start the instructor offers.")
    duration = serializers.IntegerField(min_value=15, max_value=1440, help_text="Minutes; one the offering offers.")
    idempotency_key = IdempotencyKeyField()


class ReasonRequestSerializer(serializers.Serializer):
    reason = TextField(max_length=300, required=False, allow_blank=True, default="")


class RescheduleRequestSerializer(serializers.Serializer):
    start_at = AwareDateTimeField(help_text="The new start, ISO 8601 with its UTC offset.")
    idempotency_key = IdempotencyKeyField()


class NoShowRequestSerializer(serializers.Serializer):
    note = TextField(max_length=500, required=False, allow_blank=True, default="")


class DisputeRequestSerializer(serializers.Serializer):
    note = TextField(max_length=500, help_text="What happened.")


class StudentScopeSerializer(QuerySerializer):
    scope = serializers.ChoiceField(
        choices=STUDENT_SCOPES,
        default="upcoming",
        help_text="`upcoming`: confirmed lessons not yet over, requests still open, and a live checkout hold, "
        "soonest first. `past`: lessons that took place (or should have), latest first. `cancelled`: cancelled, "
        "declined and expired lessons and requests, whenever they were for, latest first.",
    )


class InstructorScopeSerializer(QuerySerializer):
    scope = serializers.ChoiceField(
        choices=INSTRUCTOR_SCOPES,
        default="upcoming",
        help_text="`upcoming`: confirmed lessons not yet over, soonest first. `requests`: booking requests "
        "waiting for your answer, earliest deadline first. `past`: lessons that took place (or should have), "
        "latest first. `cancelled`: cancelled, declined and expired lessons and requests, latest first.",
    )
