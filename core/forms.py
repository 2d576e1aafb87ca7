from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from .exceptions import Conflict, DomainError, Forbidden, InvalidInput, NotFound

# A sentence that says nothing the field messages do not: not repeated above the form.
GENERIC_MESSAGES = {kind.default_message for kind in (DomainError, InvalidInput, NotFound, Forbidden, Conflict)}


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's domain error on the form: the short messages of the fields it names beside
    them, and its own sentence above the form."""
    fields = error.extra.get("fields") or {}
    shown = set()
    for field, messages in fields.items():
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field if field in form.fields else None, message)
            shown.add(message)
    if error.message not in shown and not (fields and error.message in GENERIC_MESSAGES):
        form.add_error(None, error.message)


def form_data(request):
    """POST data for a bound form, None on GET. (`request.POST or None` would leave a form
    unbound when every checkbox is cleared and nothing else is sent.)"""
    return request.POST if request.method == "POST" else None


@dataclass(frozen=True)
class Submitted:
    ok: bool
    value: Any = None
    error: DomainError | None = None

    @property
    def status(self) -> int:
        """The status of the page that shows the form again: the refusal's own 4xx."""
        return self.error.status if self.error is not None else 200


def submit(
    form: forms.BaseForm,
    operation: Callable[[], Any],
    *,
    show: Callable[[forms.BaseForm, DomainError], None] = apply_domain_error,
) -> Submitted:
    """Run a service call for a valid form: the one place a form page meets domain errors. A
    refusal lands on the form (`show`, by default its fields where it names them, its sentence
    above) and comes back as not ok, so the page shows the form again with the reason."""
    try:
        return Submitted(True, operation())
    except DomainError as error:
        show(form, error)
        return Submitted(False, error=error)
