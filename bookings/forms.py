"""Forms of the booking pages. They parse input only; the rules live in bookings.services."""

import datetime as dt

from django import forms


class StartTimeField(forms.Field):
    """An ISO 8601 instant with its offset, as the time picker sends it; cleaned to UTC."""

    default_error_messages = {"invalid": "Pick a time from the list."}

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            instant = dt.datetime.fromisoformat(value[:40])
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if instant.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return instant.astimezone(dt.UTC)


class PickTimeForm(forms.Form):
    """A click on a time in the picker: which lesson, when, and the page's idempotency key."""

    offering = forms.CharField(max_length=26)
    duration = forms.IntegerField(min_value=15, max_value=24 * 60)
    start_at = StartTimeField()
    key = forms.CharField(max_length=64)


class RescheduleForm(forms.Form):
    """A new time for a lesson: picked in the list (GET, the confirmation step), then confirmed
    with the confirmation page's idempotency key (POST)."""

    start_at = StartTimeField()
    key = forms.CharField(max_length=64, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=300,
        help_text="Shared with the other person.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoShowForm(forms.Form):
    note = forms.CharField(
        label="What happened?",
        required=False,
        max_length=500,
        help_text="Staff read this if the report is disputed.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DisputeNoShowForm(forms.Form):
    note = forms.CharField(
        label="What happened?",
        max_length=500,
        help_text="Staff read both sides before deciding.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what happened."},
    )
