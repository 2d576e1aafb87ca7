from django.db import models
from rest_framework import serializers

from accounts.models import User
from core.serializers import TextField, UTCDateTimeField
from core.timeutil import timezone_choices


class MeSerializer(serializers.ModelSerializer):
    """The signed-in user's own account: the only place their full details appear."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.CharField: TextField}

    roles = serializers.SerializerMethodField()
    timezone = serializers.ChoiceField(choices=timezone_choices())

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "phone", "timezone", "roles", "date_joined"]
        read_only_fields = ["id", "email", "roles", "date_joined"]

    def get_roles(self, user) -> list[str]:
        return sorted(group.name for group in user.groups.all())


class SignedInBrowserSerializer(serializers.Serializer):
    """One browser signed in to the caller's account (accounts.selectors.SignedInBrowser)."""

    id = serializers.CharField()
    browser = serializers.CharField(help_text='Read from the user agent: "Chrome on macOS".')
    signed_in_at = UTCDateTimeField()
    last_seen_at = UTCDateTimeField(help_text="Kept to the minute.")
    activity = serializers.CharField(help_text='"active now", or "last active 3 hours ago".')
    current = serializers.BooleanField(help_text="The browser (session) making this request.")


class EndedSessionsSerializer(serializers.Serializer):
    ended = serializers.IntegerField(min_value=0)
