"""Data export API output. Instants are UTC ISO 8601 (`...Z`)."""

from rest_framework import serializers

from core.serializers import TextField, UTCDateTimeField
from privacy.models import ExportStatus


class ExportSerializer(serializers.Serializer):
    """One export request. Serializes `privacy.api.views.export_payload` (the same state the
    "Your data" page shows)."""

    id = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(
        choices=ExportStatus.choices,
        read_only=True,
        help_text="`requested` → `building` → `ready` (downloadable until `expires_at`) → `expired`; or `failed` "
        "(ask again).",
    )
    progress = serializers.IntegerField(read_only=True, min_value=0, max_value=100, help_text="Percent built.")
    created_at = UTCDateTimeField(read_only=True)
    finished_at = UTCDateTimeField(read_only=True, allow_null=True)
    expires_at = UTCDateTimeField(read_only=True, allow_null=True)
    download_url = serializers.URLField(
        read_only=True, allow_null=True, help_text="While `ready`: where to GET the zip (signed in as yourself)."
    )


class LessonToCancelSerializer(serializers.Serializer):
    id = serializers.CharField(source="booking.pk")
    service = serializers.CharField(source="booking.offering.service.name")
    start_at = UTCDateTimeField(source="booking.start_at")
    cost = serializers.CharField(help_text="What cancelling it now costs, in the cancellation policy's words.")


class ErasurePreviewSerializer(serializers.Serializer):
    """What deleting the caller's account now would do (the same the confirmation page shows)."""

    lessons = LessonToCancelSerializer(many=True, help_text="Lessons to come, cancelled under the usual policy.")
    credit_cents = serializers.IntegerField(min_value=0, help_text="Platform credit that is given up.")
    blocker = serializers.CharField(help_text="Why it cannot happen now; empty when it can.")


class DeleteAccountSerializer(serializers.Serializer):
    password = TextField(max_length=128, write_only=True)
    code = TextField(
        max_length=32, required=False, default="", allow_blank=True, help_text="Required when two-factor sign-in is on."
    )


class AccountDeletedSerializer(serializers.Serializer):
    lessons_cancelled = serializers.IntegerField(min_value=0)
