"""Factories build data through the services where a rule lives there."""

import factory

from accounts.tests.factories import UserFactory, with_two_factor
from instructors.models import Borough, Category, InstructorProfile, InstructorService, Neighborhood, Service


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    category = factory.SubFactory(CategoryFactory)
    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    keywords = factory.LazyFunction(list)
    search_text = factory.LazyAttribute(lambda o: " ".join([o.name, *o.keywords, o.category.name]).lower())


class BoroughFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borough
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"borough-{n}")
    name = factory.Sequence(lambda n: f"Borough {n}")


class NeighborhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighborhood

    borough = factory.SubFactory(BoroughFactory)
    slug = factory.Sequence(lambda n: f"neighborhood-{n}")
    name = factory.Sequence(lambda n: f"Neighborhood {n}")


class InstructorProfileFactory(factory.django.DjangoModelFactory):
    """A bare (not yet live) profile; use `live_instructor` for a complete one."""

    class Meta:
        model = InstructorProfile

    user = factory.SubFactory(UserFactory, role="instructor")
    headline = ""
    bio = ""


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstructorService

    instructor = factory.SubFactory(InstructorProfileFactory)
    service = factory.SubFactory(ServiceFactory)
    hourly_rate_cents = 60_00
    durations = factory.LazyFunction(lambda: [30, 60])
    location_types = factory.LazyFunction(lambda: ["student_location", "online"])


def live_instructor(
    *, services=(), rate_cents=60_00, neighborhoods=(), location_types=("online",), years_experience=5, **user_fields
) -> InstructorProfile:
    """A complete, live instructor built through the services (so the go-live rule applies)."""
    from instructors import services as instructor_services

    user = with_two_factor(UserFactory(role="instructor", **user_fields))
    profile = InstructorProfile.objects.create(user=user)
    instructor_services.update_profile(
        profile=profile,
        headline="Patient, friendly teacher",
        bio="I teach all levels.",
        years_experience=years_experience,
    )
    for service in services or [ServiceFactory()]:
        instructor_services.add_offering(
            profile=profile,
            service=service,
            hourly_rate_cents=rate_cents,
            durations=[30, 60],
            location_types=list(location_types),
        )
    instructor_services.set_service_areas(
        profile=profile, neighborhood_ids=[n.pk for n in (neighborhoods or [NeighborhoodFactory()])]
    )
    profile.refresh_from_db()
    return profile
