from django import forms

from accounts.forms import CodeField


class DeleteAccountForm(forms.Form):
    """Confirming an account's deletion: the password, a code when two-factor sign-in is on, and
    a tick that says the person read what happens."""

    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    code = CodeField(help_text="A code from your authenticator app, or a backup code.")
    understood = forms.BooleanField(label="I understand that this deletes my account and cannot be undone.")

    def __init__(self, *args, asks_code: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not asks_code:
            del self.fields["code"]
