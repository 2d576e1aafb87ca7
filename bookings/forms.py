"""Forms of the booking pages. They parse input only; the rules live in bookings.services."""

import datetime as dt

from django import forms

from instructors.models import LocationType
from payments.forms import CardChoiceField, card_options

LOCATION_HELP = {
    LocationType.STUDENT_LOCATION: "Your instructor comes to you: add the address below.",
    LocationType.INSTRUCTOR_LOCATION: "You go to your instructor; they will tell you where.",
    LocationType.ONLINE: "A video lesson; no address needed.",
    LocationType.NEUTRAL_LOCATION: "A place you agree on, such as a library or a park; suggest one below.",
}


ADDRESS_PLACES = {LocationType.STUDENT_LOCATION, LocationType.NEUTRAL_LOCATION}


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
    start_at = StartTimeField()
    key = forms.CharField(max_length=64)


class CheckoutForm(forms.Form):
    location_type = forms.ChoiceField(
        label="Where should the lesson happen?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the lesson happens.", "invalid_choice": "Choose one of the places."},
    )
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=300,
        help_text="Needed when the lesson is at your place. Only your instructor sees it.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    note = forms.CharField(
        label="Note for your instructor",
        required=False,
        max_length=1000,
        help_text="Your level, what you would like to work on, how to find the door…",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    payment_method = CardChoiceField(label="Pay with")  # optional: empty means the default card

    def __init__(self, *args, location_types: list[str], chosen: str = "", cards=(), card_needed=True, **kwargs):
        super().__init__(*args, **kwargs)
        if card_needed:
            self.fields["payment_method"].set_cards(cards)
        else:
            del self.fields["payment_method"]  # platform credit covers the lesson
        labels = dict(LocationType.choices)
        self.fields["location_type"].choices = [(value, labels[value]) for value in location_types]
        self.fields["location_type"].initial = chosen if chosen in location_types else location_types[0]
        if not ADDRESS_PLACES.intersection(location_types):
            del self.fields["address"]  # online or at the instructor's: nothing to ask
        elif LocationType.STUDENT_LOCATION not in location_types:
            self.fields["address"].label = "Where to meet"
            self.fields["address"].help_text = "Suggest a place, such as a library or a park (optional)."

    def location_options(self):
        """The radio options with a line of help each, for the template's fieldset."""
        for option in self["location_type"]:
            yield option, LOCATION_HELP.get(option.data["value"], "")

    def card_options(self):
        """The saved cards as radio options, each with its SavedCard (payments/_card_choices.html)."""
        return list(card_options(self["payment_method"])) if "payment_method" in self.fields else []


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
