import pytest

from instructors.forms import OfferingForm
from instructors.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

VALID = {"hourly_rate": "60", "durations": ["60"], "location_types": ["online"]}


def test_a_new_offering_form_starts_with_every_age_and_level_ticked():
    form = OfferingForm(editing=True)
    assert form["age_groups"].value() == ["kids", "teens", "adults"]
    assert form["levels"].value() == ["beginner", "intermediate", "advanced"]
    assert (form["age_groups"].label, form["levels"].label) == ("Who is it for?", "Levels you teach")


def test_the_offering_form_needs_at_least_one_age_group_and_one_level():
    form = OfferingForm(VALID, editing=True)
    assert not form.is_valid()
    assert form.errors["age_groups"] == ["Choose at least one age group."]
    assert form.errors["levels"] == ["Choose at least one level."]
    form = OfferingForm({**VALID, "age_groups": ["toddlers"], "levels": ["beginner"]}, editing=True)
    assert not form.is_valid() and set(form.errors) == {"age_groups"}


def test_offering_fields_carry_the_learners_to_the_service():
    service = ServiceFactory()
    form = OfferingForm({**VALID, "service": service.slug, "age_groups": ["teens"], "levels": ["advanced"]})
    assert form.is_valid(), form.errors
    fields = form.offering_fields()
    assert (fields["age_groups"], fields["levels"]) == (["teens"], ["advanced"])
