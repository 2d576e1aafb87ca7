"""Read queries for the catalog and instructor listings, with the joins their callers need."""

from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts import selectors as account_selectors
from core.cache import cached, namespace_version

from .models import Borough, Category, InstructorProfile, InstructorService, Neighborhood, Service

LISTINGS_CACHE = "listings"  # bumped whenever a profile goes live/offline or offerings change


def listings_version() -> int:
    return namespace_version(LISTINGS_CACHE)


def categories_with_services() -> list[Category]:
    """The whole catalog, each service annotated with how many live instructors offer it. Cached."""
    return cached(LISTINGS_CACHE, "catalog-tree", _categories_with_services)


def _categories_with_services() -> list[Category]:
    services = Service.objects.annotate(instructor_count=_live_instructor_count()).order_by("position", "name")
    return list(Category.objects.prefetch_related(Prefetch("services", queryset=services)))


def _live_instructor_count() -> Count:
    return Count(
        "offerings__instructor",
        filter=Q(offerings__is_active=True, offerings__instructor__is_live=True),
        distinct=True,
    )


def most_offered_services(categories: list[Category], limit: int = 6) -> list[tuple[str, str]]:
    """(slug, name) of the services most instructors offer, from an already loaded catalog tree."""
    services = [service for category in categories for service in category.services.all()]
    services.sort(key=lambda service: (-service.instructor_count, service.name))
    return [(service.slug, service.name) for service in services[:limit] if service.instructor_count]


@dataclass(frozen=True)
class CatalogSection:
    """One category on the all-services page: the services taught now, then the rest."""

    category: Category
    taught: list[Service]
    untaught: list[Service]


@dataclass(frozen=True)
class Catalog:
    sections: list[CatalogSection]  # categories where someone teaches
    empty: list[CatalogSection]  # categories where nobody teaches yet


def catalog_by_instructors() -> Catalog:
    """The cached catalog tree split for browsing: services without a live instructor after the
    ones with, and categories without any at the end. No queries beyond the tree's."""
    sections = [_section(category) for category in categories_with_services()]
    return Catalog(
        sections=[section for section in sections if section.taught],
        empty=[section for section in sections if not section.taught],
    )


def _section(category: Category) -> CatalogSection:
    services = list(category.services.all())
    return CatalogSection(
        category=category,
        taught=[service for service in services if service.instructor_count],
        untaught=[service for service in services if not service.instructor_count],
    )


def services_with_counts() -> QuerySet[Service]:
    return Service.objects.select_related("category").annotate(instructor_count=_live_instructor_count())


def search_services_queryset(query: str) -> QuerySet[Service]:
    """Services whose name, keywords or category contain every word of the query,
    most-offered first."""
    condition = Q()
    for word in query.lower().split()[:6]:
        condition &= Q(search_text__contains=word)
    return services_with_counts().filter(condition).order_by("-instructor_count", "name")


def live_profiles() -> QuerySet[InstructorProfile]:
    return InstructorProfile.objects.filter(is_live=True, user__is_active=True)


def active_offerings() -> QuerySet[InstructorService]:
    return InstructorService.objects.filter(is_active=True).select_related("service")


def with_listing_details(profiles: QuerySet[InstructorProfile]) -> QuerySet[InstructorProfile]:
    """What a listing card or profile page shows: name, offerings, areas with boroughs."""
    return profiles.select_related("user").prefetch_related(
        Prefetch("offerings", queryset=active_offerings().order_by("service__name"), to_attr="active_offerings"),
        Prefetch("service_areas", queryset=Neighborhood.objects.select_related("borough"), to_attr="areas"),
    )


def matching_offerings(
    *, service: Service | None, min_cents: int | None, max_cents: int | None, location_type: str | None
) -> QuerySet[InstructorService]:
    """Active offerings meeting every offering-level filter (all on the same offering)."""
    offerings = InstructorService.objects.filter(is_active=True)
    if service is not None:
        offerings = offerings.filter(service=service)
    if min_cents is not None:
        offerings = offerings.filter(hourly_rate_cents__gte=min_cents)
    if max_cents is not None:
        offerings = offerings.filter(hourly_rate_cents__lte=max_cents)
    if location_type:
        offerings = offerings.filter(location_types__contains=[location_type])
    return offerings


def filter_profiles(
    *, profiles: QuerySet[InstructorProfile], offerings: QuerySet[InstructorService], borough: Borough | None, sort: str
) -> QuerySet[InstructorProfile]:
    """Profiles with at least one matching offering, annotated with `rate_cents`
    (their lowest matching hourly rate) and sorted."""
    matching = offerings.filter(instructor=OuterRef("pk"))
    lowest_rate = matching.order_by().values("instructor").annotate(low=Min("hourly_rate_cents")).values("low")
    profiles = profiles.filter(Exists(matching)).annotate(rate_cents=Subquery(lowest_rate))
    if borough is not None:
        profiles = profiles.filter(Exists(Neighborhood.objects.filter(instructors=OuterRef("pk"), borough=borough)))
    ordering = {
        "price": ["rate_cents", "id"],
        "-price": ["-rate_cents", "id"],
        "experience": ["-years_experience", "id"],
    }.get(sort, ["-years_experience", "-went_live_at", "id"])
    return profiles.order_by(*ordering)


def featured_instructors(limit: int = 6) -> list[InstructorProfile]:
    """The most experienced live instructors, with their lowest rate. Cached."""
    return cached(LISTINGS_CACHE, f"featured:{limit}", lambda: _featured_instructors(limit))


def _featured_instructors(limit: int) -> list[InstructorProfile]:
    active = Q(offerings__is_active=True)
    profiles = live_profiles().annotate(
        offering_count=Count("offerings", filter=active),
        rate_cents=Min("offerings__hourly_rate_cents", filter=active),
    )
    return list(with_listing_details(profiles.order_by("-years_experience", "-offering_count", "id"))[:limit])


def public_profile(profile_id: str) -> InstructorProfile | None:
    return with_listing_details(live_profiles().filter(pk=profile_id)).first()


def profile_for_owner(user) -> InstructorProfile | None:
    return with_listing_details(InstructorProfile.objects.filter(user=user)).first()


def owned_offering(user, offering_id: str) -> InstructorService | None:
    """An active offering only if `user` owns it (ownership check for edits)."""
    return active_offerings().filter(pk=offering_id, instructor__user=user).first()


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    label: str
    done: bool
    url_name: str


def onboarding_steps(profile: InstructorProfile) -> list[OnboardingStep]:
    """The checklist a profile must complete to go live. Later issues add payouts and checks."""
    has_offering = profile.offerings.filter(is_active=True).exists()
    has_areas = profile.service_areas.exists()
    has_two_factor = account_selectors.has_two_factor(profile.user)
    return [
        OnboardingStep(
            "profile",
            "Write your headline and bio",
            bool(profile.headline.strip() and profile.bio.strip()),
            "instructors:edit_profile",
        ),
        OnboardingStep("services", "Add at least one service with your rate", has_offering, "instructors:add_offering"),
        OnboardingStep("areas", "Choose the neighborhoods you teach in", has_areas, "instructors:edit_areas"),
        OnboardingStep("two_factor", "Turn on two-factor sign-in", has_two_factor, "accounts:two_factor_setup"),
    ]


def boroughs_with_neighborhoods() -> list[Borough]:
    return list(Borough.objects.prefetch_related("neighborhoods"))
