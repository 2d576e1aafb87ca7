from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.timeutil import timezone_choices

from .models import User


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=timezone_choices, label="Time zone", help_text="Lesson times are shown in this zone.", **kwargs
        )


class SignupForm(forms.Form):
    first_name = forms.CharField(max_length=50, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text="Other people only ever see your last initial.",
    )
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    timezone = TimezoneField(initial="America/New_York")
    password = forms.CharField(
        min_length=10,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters; not a common password.",
    )
    password_confirm = forms.CharField(
        label="Repeat password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "The two passwords do not match.")
        return data


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": "That email and password do not match an account. Both are case-sensitive except the email.",
        "inactive": "This account is inactive.",
    }


class AccountForm(forms.ModelForm):
    timezone = TimezoneField()

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "timezone"]
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"})}
        help_texts = {"phone": "Optional. Never shown to other users."}


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Code")
        super().__init__(
            max_length=32,
            widget=forms.TextInput(
                attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
            ),
            **kwargs,
        )


class SecondStepForm(forms.Form):
    code = CodeField(help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.")
    trust_browser = forms.BooleanField(
        required=False,
        label="Trust this browser for 30 days",
        help_text="Don't tick this on a shared or public computer.",
    )


class EnrolmentForm(forms.Form):
    code = CodeField(help_text="The 6-digit code your app shows after you add InstaInstru to it.")


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    code = CodeField(help_text="A code from your app, or a backup code.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
