import pytest
from django.db import models

from accounts import services as account_services
from accounts.tests.factories import TEST_TOTP_KEY, UserFactory, with_two_factor
from core.exceptions import InvalidInput
from instructors import selectors, services
from instructors.models import InstructorProfile, InstructorService
from instructors.tests.factories import (
    InstructorProfileFactory,
    NeighborhoodFactory,
    OfferingFactory,
    ServiceFactory,
    live_instructor,
)

pytestmark = pytest.mark.django_db

OFFERING = {"hourly_rate_cents": 75_00, "durations": [60, 30, 60], "location_types": ["online", "student_location"]}


def test_a_profile_goes_live_only_when_every_checklist_step_is_done():
    profile = InstructorProfileFactory()
    services.update_profile(profile=profile, headline="Jazz piano", bio="Twenty years on stage.", years_experience=20)
    assert not profile.is_live
    services.add_offering(profile=profile, service=ServiceFactory(), **OFFERING)
    assert not profile.is_live
    services.set_service_areas(profile=profile, neighborhood_ids=[NeighborhoodFactory().pk])
    profile.refresh_from_db()
    assert not profile.is_live
    device = account_services.start_enrolment(user=profile.user)
    account_services.confirm_enrolment(user=profile.user, code=account_services.current_code(device.key))
    profile.refresh_from_db()
    assert profile.is_live and profile.went_live_at is not None
    assert [step.done for step in selectors.onboarding_steps(profile)] == [True, True, True, True]


def test_turning_two_factor_off_takes_a_live_profile_offline_and_on_again_relists_it():
    profile = live_instructor()
    account_services.disable_two_factor(user=profile.user, code=account_services.current_code(TEST_TOTP_KEY))
    profile.refresh_from_db()
    assert not profile.is_live
    assert not selectors.live_profiles().filter(pk=profile.pk).exists()

    with_two_factor(profile.user)
    profile.refresh_from_db()
    assert profile.is_live


def test_removing_the_last_service_takes_a_profile_offline():
    profile = live_instructor()
    offering = profile.offerings.get()
    assert services.remove_offering(offering=offering) == "deleted"
    profile.refresh_from_db()
    assert not profile.is_live
    assert not InstructorService.objects.filter(pk=offering.pk).exists()


def test_offering_input_is_normalised():
    profile = InstructorProfileFactory()
    offering = services.add_offering(
        profile=profile,
        service=ServiceFactory(),
        **OFFERING,
        age_groups=["adults", "kids", "adults"],
        levels=["advanced", "beginner"],
    )
    offering.refresh_from_db()
    assert offering.durations == [30, 60]
    assert offering.location_types == ["student_location", "online"]  # catalog order
    assert (offering.age_groups, offering.levels) == (["kids", "adults"], ["beginner", "advanced"])


def test_a_new_offering_is_for_everyone_unless_told_otherwise():
    offering = services.add_offering(profile=InstructorProfileFactory(), service=ServiceFactory(), **OFFERING)
    offering.refresh_from_db()
    assert offering.age_groups == ["kids", "teens", "adults"]
    assert offering.levels == ["beginner", "intermediate", "advanced"]


def test_offering_the_same_service_twice_is_a_clear_conflict():
    profile = InstructorProfileFactory()
    service = ServiceFactory()
    services.add_offering(profile=profile, service=service, **OFFERING)
    with pytest.raises(services.AlreadyOffered):
        services.add_offering(profile=profile, service=service, **OFFERING)
    assert profile.offerings.count() == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"hourly_rate_cents": 9_99}, "hourly_rate"),
        ({"hourly_rate_cents": 1_000_01}, "hourly_rate"),
        ({"durations": []}, "durations"),
        ({"durations": [25]}, "durations"),
        ({"location_types": []}, "location_types"),
        ({"location_types": ["space"]}, "location_types"),
        ({"age_groups": []}, "age_groups"),
        ({"age_groups": ["toddlers"]}, "age_groups"),
        ({"levels": []}, "levels"),
        ({"levels": ["expert"]}, "levels"),
    ],
)
def test_bad_offering_input_is_refused_before_the_database(changes, field):
    profile = InstructorProfileFactory()
    with pytest.raises(InvalidInput) as error:
        services.add_offering(profile=profile, service=ServiceFactory(), **{**OFFERING, **changes})
    assert field in error.value.extra["fields"]
    assert not profile.offerings.exists()


def test_update_offering_changes_rate_lengths_and_learners():
    offering = OfferingFactory()
    services.update_offering(
        offering=offering,
        hourly_rate_cents=90_00,
        durations=[90],
        location_types=["online"],
        age_groups=["teens"],
        levels=["intermediate", "beginner"],
    )
    offering.refresh_from_db()
    assert (offering.hourly_rate_cents, offering.durations, offering.location_types) == (90_00, [90], ["online"])
    assert (offering.age_groups, offering.levels) == (["teens"], ["beginner", "intermediate"])


def test_update_offering_refuses_an_offering_for_nobody():
    offering = OfferingFactory()
    with pytest.raises(InvalidInput) as error:
        services.update_offering(
            offering=offering,
            hourly_rate_cents=90_00,
            durations=[90],
            location_types=["online"],
            age_groups=[],
            levels=[],
        )
    assert set(error.value.extra["fields"]) == {"age_groups", "levels"}
    offering.refresh_from_db()
    assert offering.hourly_rate_cents == 60_00


def test_update_profile_validates_lengths_and_years():
    profile = InstructorProfileFactory()
    with pytest.raises(InvalidInput) as error:
        services.update_profile(profile=profile, headline="x" * 121, bio="ok", years_experience=71)
    assert set(error.value.extra["fields"]) == {"headline", "years_experience"}


def test_unknown_neighborhoods_are_refused():
    profile = InstructorProfileFactory()
    with pytest.raises(InvalidInput):
        services.set_service_areas(profile=profile, neighborhood_ids=["01HZZZZZZZZZZZZZZZZZZZZZZZ"])
    assert not profile.service_areas.exists()


def test_register_instructor_creates_the_profile_with_the_role():
    user = services.register_instructor(
        email="teach@example.com",
        password="violin-lessons-99",
        first_name="Ada",
        last_name="Ng",
        timezone="America/New_York",
    )
    assert user.has_perm("instructors.teach")
    assert InstructorProfile.objects.filter(user=user, is_live=False).exists()


def test_an_offering_that_something_protects_is_deactivated_instead_of_deleted():
    """Bookings will point at offerings with on_delete=PROTECT; until that table exists,
    a throwaway table with the same kind of foreign key stands in for it. The table goes
    away with the test's transaction; the model is unregistered afterwards."""
    from django.apps import apps
    from django.db import connection

    class ProtectingRow(models.Model):
        offering = models.ForeignKey(InstructorService, on_delete=models.PROTECT)

        class Meta:
            app_label = "instructors"
            db_table = "test_protecting_row"

    with connection.schema_editor() as editor:
        editor.create_model(ProtectingRow)
    try:
        profile = live_instructor()
        offering = profile.offerings.get()
        ProtectingRow.objects.create(offering=offering)
        assert services.remove_offering(offering=offering) == "deactivated"
        offering.refresh_from_db()
        assert offering.is_active is False
        profile.refresh_from_db()
        assert not profile.is_live
        # The same service can be offered again: uniqueness only counts active rows.
        again = services.add_offering(profile=profile, service=offering.service, **OFFERING)
        assert again.pk != offering.pk
    finally:
        del apps.all_models["instructors"]["protectingrow"]
        apps.clear_cache()


def test_staff_edits_of_an_offering_keep_who_it_is_for():
    offering = OfferingFactory(age_groups=["kids"], levels=["beginner"])
    services.staff_update_offering(
        offering=offering,
        actor=UserFactory(role="admin", is_staff=True),
        hourly_rate_cents=70_00,
        durations=[60],
        location_types=["online"],
    )
    offering.refresh_from_db()
    assert (offering.hourly_rate_cents, offering.age_groups, offering.levels) == (70_00, ["kids"], ["beginner"])
