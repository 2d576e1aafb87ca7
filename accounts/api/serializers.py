from django.db import models
from rest_framework import serializers

from accounts.models import User
from core.serializers import TextField
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
