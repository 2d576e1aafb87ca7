"""Serializer pieces every API shares: the error shape (documentation of
core.api.exception_handler's answers) and UTC date-time fields."""

import datetime as dt

from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `invalid`, `not_found`, `slot_unavailable`.")
    message = serializers.CharField(help_text="One sentence for a person.")
    fields = serializers.DictField(
        required=False, help_text="Per-field messages, when the input was not valid (`code` is `invalid`)."
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()


class QuerySerializer(serializers.Serializer):
    """Query parameters. An empty one (`?scope=`) is validated like any value: DRF reads a QueryDict
    as an HTML form, where a blank field silently falls back to its default."""

    def __init__(self, instance=None, data=empty, **kwargs):
        if isinstance(data, QueryDict):
            data = data.dict()
        super().__init__(instance, data=data, **kwargs)


class TextField(serializers.CharField):
    """Text input that must be text: DRF's CharField would take a JSON number as its digits, and in
    a form-encoded body would skip a blank field instead of validating it."""

    default_error_messages = {"not_text": "Send text (a JSON string)."}

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


# --- fields ------------------------------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """Written in UTC (`2026-12-03T15:00:00Z`) whatever zone the request runs in."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=dt.UTC, **kwargs)


class AwareDateTimeField(UTCDateTimeField):
    """ISO 8601 input that must carry its UTC offset (`-05:00`, `Z`) and name a whole minute."""

    default_error_messages = {
        "naive": "Include the UTC offset, e.g. 2026-12-03T10:00:00-05:00 or 2026-12-03T15:00:00Z.",
        "seconds": "Lesson times are whole minutes (no seconds).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible (month 13): the parent says "invalid"
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result = super().to_internal_value(value)
        if result.second or result.microsecond:
            self.fail("seconds")
        return result
