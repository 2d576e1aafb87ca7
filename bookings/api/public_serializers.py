"""Public availability (no login): query parameters and the response shapes.

No slot IDs anywhere: times are wall-clock "HH:MM" in the instructor's zone, or UTC instants.
"""

import datetime as dt

from rest_framework import serializers

from core.serializers import QuerySerializer, UTCDateTimeField
from instructors.models import MAX_HORIZON_DAYS

MAX_DAYS = 90
DEFAULT_DAYS = 14
DETAIL_LEVELS = ("full", "summary", "minimal")


class AvailabilityQuerySerializer(QuerySerializer):
    """Needs context["today"]: the instructor's local date now."""

    start_date = serializers.DateField(
        required=False,
        help_text="First day (YYYY-MM-DD, the instructor's local calendar). Default: the instructor's today. "
        "A date before that is moved to it (the response's `start_date` says which date was used); "
        f"at most {MAX_HORIZON_DAYS} days ahead.",
    )
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_DAYS, default=DEFAULT_DAYS, help_text=f"How many days, 1-{MAX_DAYS}."
    )
    detail = serializers.ChoiceField(
        choices=DETAIL_LEVELS,
        default="full",
        help_text="`full`: free time ranges per day; `summary`: morning/afternoon/evening flags; "
        "`minimal`: available or not.",
    )

    def validate_start_date(self, value: dt.date) -> dt.date:
        today = self.context["today"]
        if value > today + dt.timedelta(days=MAX_HORIZON_DAYS):
            raise serializers.ValidationError(f"Choose a date at most {MAX_HORIZON_DAYS} days ahead.")
        return max(value, today)

    def validate(self, attrs):
        attrs.setdefault("start_date", self.context["today"])
        return attrs


class NextAvailableQuerySerializer(QuerySerializer):
    """Needs context["durations"]: the lesson lengths the instructor offers."""

    duration = serializers.IntegerField(
        required=False,
        help_text="Lesson length in minutes; one the instructor offers. Default: their shortest.",
    )

    def validate_duration(self, value: int) -> int:
        offered = self.context["durations"]
        if value not in offered:
            choices = ", ".join(str(minutes) for minutes in offered) or "none right now"
            raise serializers.ValidationError(f"Choose a lesson length this instructor offers ({choices}).")
        return value

    def validate(self, attrs):
        offered = self.context["durations"]
        if "duration" not in attrs:
            if not offered:
                raise serializers.ValidationError({"duration": ["This instructor offers no lessons right now."]})
            attrs["duration"] = offered[0]
        return attrs


class PublicInstructorSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(
        allow_null=True, help_text='"FirstName L.", or null when the site does not publish names here.'
    )


class TimeRangeSerializer(serializers.Serializer):
    start = serializers.CharField(help_text='"HH:MM", instructor\'s local time.')
    end = serializers.CharField(help_text='"HH:MM"; "24:00" is the end of the day.')


class AvailabilityDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The instructor's local date.")
    available = serializers.BooleanField(help_text="A lesson can be booked to start this day.")
    ranges = TimeRangeSerializer(many=True, required=False, help_text="detail=full only.")
    morning = serializers.BooleanField(required=False, help_text="detail=summary only: a start before 12:00.")
    afternoon = serializers.BooleanField(required=False, help_text="detail=summary only: a start 12:00-16:59.")
    evening = serializers.BooleanField(required=False, help_text="detail=summary only: a start from 17:00.")


class PublicAvailabilitySerializer(serializers.Serializer):
    instructor = PublicInstructorSerializer()
    timezone = serializers.CharField(help_text="The instructor's IANA time zone; every wall-clock time is in it.")
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="The last day included.")
    detail = serializers.ChoiceField(choices=DETAIL_LEVELS)
    shortest_lesson_minutes = serializers.IntegerField(
        allow_null=True, help_text="Ranges and flags are where a lesson of this length fits."
    )
    days = AvailabilityDaySerializer(many=True)


class NextStartSerializer(serializers.Serializer):
    start_at = UTCDateTimeField(help_text="UTC instant.")
    end_at = UTCDateTimeField(help_text="UTC instant.")
    local_date = serializers.DateField(help_text="The instructor's local date.")
    local_start = serializers.CharField(help_text='"HH:MM", instructor\'s local time.')
    local_end = serializers.CharField(help_text='"HH:MM"; "24:00" is the end of the day.')


class NextAvailableSerializer(serializers.Serializer):
    instructor = PublicInstructorSerializer()
    timezone = serializers.CharField(help_text="The instructor's IANA time zone.")
    duration = serializers.IntegerField(help_text="Lesson length searched for, in minutes.")
    next_available = NextStartSerializer(allow_null=True, help_text="null when nothing is free within the horizon.")
    message = serializers.CharField(allow_null=True, help_text="Why next_available is null; null otherwise.")
