from django import forms
from django.test import RequestFactory

from core.exceptions import Conflict, InvalidInput
from core.forms import apply_domain_error, form_data


class LessonForm(forms.Form):
    date = forms.DateField()
    start_time = forms.TimeField()


def bound_form():
    form = LessonForm({"date": "2025-01-15", "start_time": "10:00"})
    assert form.is_valid()
    return form


def test_domain_error_without_fields_becomes_a_form_error():
    form = bound_form()
    apply_domain_error(form, Conflict("That time was just booked."))
    assert form.non_field_errors() == ["That time was just booked."]
    assert not form.is_valid()


def test_domain_error_fields_land_on_their_fields():
    form = bound_form()
    error = InvalidInput(fields={"start_time": ["Outside the instructor's hours."], "date": "Too far ahead."})
    apply_domain_error(form, error)
    assert form.errors["start_time"] == ["Outside the instructor's hours."]
    assert form.errors["date"] == ["Too far ahead."]
    assert form.non_field_errors() == []  # the generic message is not repeated


def test_domain_error_for_a_field_the_form_lacks_becomes_a_form_error():
    form = bound_form()
    apply_domain_error(form, InvalidInput(fields={"instructor": ["Not taking new students."]}))
    assert form.non_field_errors() == ["Not taking new students."]


def test_form_data_binds_on_post_even_when_empty():
    factory = RequestFactory()
    post = factory.post("/", {})
    assert form_data(post) is post.POST
    assert LessonForm(form_data(post)).is_bound
    assert form_data(factory.get("/?date=2025-01-15")) is None
    assert not LessonForm(form_data(factory.get("/"))).is_bound
