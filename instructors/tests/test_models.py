import pytest
from django.db import IntegrityError

from instructors.models import InstructorService
from instructors.tests.factories import InstructorProfileFactory, OfferingFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_database_rejects_a_second_active_offering_of_the_same_service():
    offering = OfferingFactory()
    with pytest.raises(IntegrityError):
        OfferingFactory(instructor=offering.instructor, service=offering.service)


def test_inactive_offering_does_not_block_a_new_active_one():
    offering = OfferingFactory(is_active=False)
    OfferingFactory(instructor=offering.instructor, service=offering.service)
    assert InstructorService.objects.filter(instructor=offering.instructor).count() == 2


@pytest.mark.parametrize(
    "field, value",
    [
        ("location_types", ["on_the_moon"]),
        ("location_types", []),
        ("durations", [25]),
        ("durations", []),
        ("hourly_rate_cents", 5_00),
        ("hourly_rate_cents", 2_000_00),
    ],
)
def test_check_constraints_reject_bad_values(field, value):
    with pytest.raises(IntegrityError):
        OfferingFactory(**{field: value})


def test_profile_years_experience_is_bounded_by_the_database():
    with pytest.raises(IntegrityError):
        InstructorProfileFactory(years_experience=200)


def test_live_profile_needs_a_go_live_time():
    with pytest.raises(IntegrityError):
        InstructorProfileFactory(is_live=True, went_live_at=None)


def test_ids_are_ulids():
    service = ServiceFactory()
    assert len(service.pk) == 26
    assert len(service.category.pk) == 26
