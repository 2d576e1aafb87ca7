from django import forms

from .exceptions import DomainError


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's domain error on the form: field errors where it names fields."""
    fields = error.extra.get("fields") or {}
    for field, messages in fields.items():
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field if field in form.fields else None, message)
    if not fields:
        form.add_error(None, error.message)


def form_data(request):
    """POST data for a bound form, None on GET. (`request.POST or None` would leave a form
    unbound when every checkbox is cleared and nothing else is sent.)"""
    return request.POST if request.method == "POST" else None
