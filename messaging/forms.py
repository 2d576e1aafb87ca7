"""Forms of the messaging pages. They parse input only; the rules live in messaging.services."""

from django import forms

from .models import MAX_MESSAGE_LENGTH, InboxState


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        help_text=f"Up to {MAX_MESSAGE_LENGTH:,} characters.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_MESSAGE_LENGTH, "autocomplete": "off"}),
        error_messages={"required": "Write a message first."},
    )

    def __init__(self, *args, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label

    def clean_body(self):
        # Browsers send line breaks as CRLF but count them as one character against maxlength,
        # so the length is checked here, after normalising, rather than by a max_length validator.
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        if len(body) > MAX_MESSAGE_LENGTH:
            raise forms.ValidationError(
                f"Keep messages to {MAX_MESSAGE_LENGTH:,} characters (this one has {len(body):,}).", code="max_length"
            )
        return body


class InboxStateForm(forms.Form):
    state = forms.ChoiceField(choices=InboxState.choices)
