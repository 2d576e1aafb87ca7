"""Every state change of instructor profiles and their offerings."""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, TextChoices

from accounts import roles
from accounts.models import User
from accounts.services import register_user
from core.cache import bump_namespace
from core.exceptions import Conflict, InvalidInput
from core.services import record_audit
from core.timeutil import now

from .models import (
    LESSON_DURATIONS,
    MAX_HOURLY_RATE_CENTS,
    MAX_YEARS_EXPERIENCE,
    MIN_HOURLY_RATE_CENTS,
    AgeGroup,
    InstructorProfile,
    InstructorService,
    LocationType,
    Neighborhood,
    Service,
    SkillLevel,
)
from .selectors import LISTINGS_CACHE, onboarding_steps


class AlreadyOffered(Conflict):
    code = "already_offered"
    default_message = "You already offer this service. Edit it instead."


def _listings_changed() -> None:
    transaction.on_commit(lambda: bump_namespace(LISTINGS_CACHE))


@transaction.atomic
def register_instructor(*, email: str, password: str, first_name: str, last_name: str, timezone: str) -> User:
    user = register_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        timezone=timezone,
        role=roles.INSTRUCTOR,
    )
    InstructorProfile.objects.create(user=user)
    return user


def ensure_profile(user: User) -> InstructorProfile:
    """The instructor's profile, created on first use (e.g. a role granted by staff)."""
    profile, _ = InstructorProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def update_profile(*, profile: InstructorProfile, headline: str, bio: str, years_experience: int) -> InstructorProfile:
    errors = {}
    if len(headline.strip()) > 120:
        errors["headline"] = "Keep the headline to 120 characters."
    if len(bio) > 3000:
        errors["bio"] = "Keep the bio to 3000 characters."
    if not 0 <= years_experience <= MAX_YEARS_EXPERIENCE:
        errors["years_experience"] = f"Enter a number from 0 to {MAX_YEARS_EXPERIENCE}."
    if errors:
        raise InvalidInput("Some profile details are not valid.", fields=errors)
    profile.headline = headline.strip()
    profile.bio = bio.strip()
    profile.years_experience = years_experience
    profile.save(update_fields=["headline", "bio", "years_experience", "updated_at"])
    refresh_listing_status(profile)
    _listings_changed()
    return profile


@transaction.atomic
def set_service_areas(*, profile: InstructorProfile, neighborhood_ids: list[str]) -> InstructorProfile:
    neighborhoods = list(Neighborhood.objects.filter(pk__in=set(neighborhood_ids)))
    if len(neighborhoods) != len(set(neighborhood_ids)):
        raise InvalidInput("Some of those neighborhoods do not exist.", fields={"neighborhoods": "Unknown area."})
    profile.service_areas.set(neighborhoods)
    refresh_listing_status(profile)
    _listings_changed()
    return profile


def _validate_offering(
    *, hourly_rate_cents: int, durations: list[int], location_types: list[str], age_groups: list[str], levels: list[str]
) -> None:
    errors = {}
    if not MIN_HOURLY_RATE_CENTS <= hourly_rate_cents <= MAX_HOURLY_RATE_CENTS:
        errors["hourly_rate"] = (
            f"Set an hourly rate between ${MIN_HOURLY_RATE_CENTS // 100} and ${MAX_HOURLY_RATE_CENTS // 100}."
        )
    if not durations or not set(durations) <= set(LESSON_DURATIONS):
        errors["durations"] = "Choose at least one lesson length."
    if not location_types or not set(location_types) <= set(LocationType.values):
        errors["location_types"] = "Choose at least one place where lessons happen."
    if not age_groups or not set(age_groups) <= set(AgeGroup.values):
        errors["age_groups"] = "Choose at least one age group."
    if not levels or not set(levels) <= set(SkillLevel.values):
        errors["levels"] = "Choose at least one level."
    if errors:
        raise InvalidInput("Some service details are not valid.", fields=errors)


@transaction.atomic
def add_offering(
    *,
    profile: InstructorProfile,
    service: Service,
    hourly_rate_cents: int,
    durations: list[int],
    location_types: list[str],
    age_groups: Sequence[str] = tuple(AgeGroup.values),
    levels: Sequence[str] = tuple(SkillLevel.values),
    description: str = "",
) -> InstructorService:
    _validate_offering(
        hourly_rate_cents=hourly_rate_cents,
        durations=durations,
        location_types=location_types,
        age_groups=list(age_groups),
        levels=list(levels),
    )
    offering = InstructorService(
        instructor=profile,
        service=service,
        hourly_rate_cents=hourly_rate_cents,
        durations=sorted(set(durations)),
        location_types=_in_choice_order(location_types, LocationType),
        age_groups=_in_choice_order(age_groups, AgeGroup),
        levels=_in_choice_order(levels, SkillLevel),
        description=description.strip(),
    )
    try:
        with transaction.atomic():
            offering.save()
    except IntegrityError as error:  # the partial unique constraint on active offerings
        raise AlreadyOffered() from error
    refresh_listing_status(profile)
    _listings_changed()
    return offering


@transaction.atomic
def update_offering(
    *,
    offering: InstructorService,
    hourly_rate_cents: int,
    durations: list[int],
    location_types: list[str],
    age_groups: list[str],
    levels: list[str],
    description: str = "",
) -> InstructorService:
    _validate_offering(
        hourly_rate_cents=hourly_rate_cents,
        durations=durations,
        location_types=location_types,
        age_groups=age_groups,
        levels=levels,
    )
    offering.hourly_rate_cents = hourly_rate_cents
    offering.durations = sorted(set(durations))
    offering.location_types = _in_choice_order(location_types, LocationType)
    offering.age_groups = _in_choice_order(age_groups, AgeGroup)
    offering.levels = _in_choice_order(levels, SkillLevel)
    offering.description = description.strip()
    offering.save(
        update_fields=[
            "hourly_rate_cents",
            "durations",
            "location_types",
            "age_groups",
            "levels",
            "description",
            "updated_at",
        ]
    )
    _listings_changed()
    return offering


@transaction.atomic
def remove_offering(*, offering: InstructorService) -> str:
    """Delete an offering; one that bookings point at (PROTECT) is deactivated instead.
    Returns "deleted" or "deactivated"."""
    profile = offering.instructor
    try:
        with transaction.atomic():
            offering.delete()
        outcome = "deleted"
    except ProtectedError:
        offering.is_active = False
        offering.save(update_fields=["is_active", "updated_at"])
        outcome = "deactivated"
    refresh_listing_status(profile)
    _listings_changed()
    return outcome


def refresh_listing_status(profile: InstructorProfile) -> bool:
    """A profile is live exactly when every onboarding step is done."""
    complete = all(step.done for step in onboarding_steps(profile))
    if complete != profile.is_live:
        profile.is_live = complete
        profile.went_live_at = (profile.went_live_at or now()) if complete else profile.went_live_at
        profile.save(update_fields=["is_live", "went_live_at", "updated_at"])
    return complete


def refresh_after_two_factor_change(user: User) -> None:
    """Two-factor sign-in is a go-live step: turning it on or off may list or hide the profile."""
    profile = InstructorProfile.objects.filter(user=user).first()
    if profile is None:
        return
    was_live = profile.is_live
    if refresh_listing_status(profile) != was_live:
        _listings_changed()


def _in_choice_order(values: Sequence[str], choices: type[TextChoices]) -> list[str]:
    """Each chosen value once, in the order the choices list them (so equal sets store equal arrays)."""
    return [value for value in choices.values if value in set(values)]


# --- staff edits from the admin (validated, listings refreshed, audited) --------------------------


def _values(obj, fields) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _plain(value):
    return value if isinstance(value, str | int | float | bool | list | type(None)) else str(value)


def _stored(obj):
    return type(obj).objects.filter(pk=obj.pk).first() if obj.pk else None


@transaction.atomic
def save_catalog_entry(entry, *, actor: User):
    """Staff add or change a catalog entry (category, service, borough, neighborhood)."""
    fields = [
        field.attname for field in entry._meta.concrete_fields if field.attname not in ("created_at", "updated_at")
    ]
    stored = _stored(entry)
    before = _values(stored, fields) if stored else {}
    if isinstance(entry, Service):
        entry.search_text = entry.build_search_text()
    entry.full_clean()
    entry.save()
    _listings_changed()
    record_audit(actor=actor, action="change_catalog", target=entry, before=before, after=_values(entry, fields))
    return entry


@transaction.atomic
def delete_catalog_entry(entry, *, actor: User) -> None:
    """A catalog entry that offerings or areas still use can't go (PROTECT)."""
    record_audit(actor=actor, action="delete_catalog", target=entry, before={"name": str(entry)})
    try:
        with transaction.atomic():
            entry.delete()
    except ProtectedError as error:
        raise Conflict(f"{entry} is still in use, so it can't be removed.") from error
    _listings_changed()


PROFILE_FIELDS = ("headline", "bio", "years_experience")


@transaction.atomic
def staff_update_profile(
    *, profile: InstructorProfile, actor: User, headline: str, bio: str, years_experience: int, neighborhood_ids
) -> InstructorProfile:
    """Staff correct an instructor's profile: the instructor's own rules apply, then audited."""
    stored = InstructorProfile.objects.select_for_update().get(pk=profile.pk)
    before = {**_values(stored, PROFILE_FIELDS), "areas": sorted(stored.service_areas.values_list("pk", flat=True))}
    update_profile(profile=stored, headline=headline, bio=bio, years_experience=years_experience)
    set_service_areas(profile=stored, neighborhood_ids=list(neighborhood_ids))
    after = {**_values(stored, PROFILE_FIELDS), "areas": sorted(str(pk) for pk in neighborhood_ids)}
    record_audit(actor=actor, action="change_profile", target=stored, before=before, after=after)
    return stored


OFFERING_FIELDS = ("hourly_rate_cents", "durations", "location_types", "age_groups", "levels", "description")


@transaction.atomic
def staff_update_offering(
    *,
    offering: InstructorService,
    actor: User,
    hourly_rate_cents: int,
    durations: list[int],
    location_types: list[str],
    description: str = "",
) -> InstructorService:
    stored = InstructorService.objects.select_for_update().get(pk=offering.pk)
    before = _values(stored, OFFERING_FIELDS)
    update_offering(
        offering=stored,
        hourly_rate_cents=hourly_rate_cents,
        durations=durations,
        location_types=location_types,
        age_groups=stored.age_groups,  # the console's inline does not edit who lessons are for
        levels=stored.levels,
        description=description,
    )
    record_audit(
        actor=actor, action="change_offering", target=stored, before=before, after=_values(stored, OFFERING_FIELDS)
    )
    return stored


@transaction.atomic
def staff_remove_offering(*, offering: InstructorService, actor: User) -> str:
    record_audit(actor=actor, action="remove_offering", target=offering, before=_values(offering, OFFERING_FIELDS))
    return remove_offering(offering=offering)


def close_profile(user: User) -> None:
    """Erasure: the profile leaves search, says nothing about the person any more, and offers
    nothing to book (offerings that lessons point at stay, inactive, for the records)."""
    profile = InstructorProfile.objects.filter(user=user).first()
    if profile is None:
        return
    profile.headline, profile.bio, profile.years_experience = "", "", 0
    profile.save(update_fields=["headline", "bio", "years_experience", "updated_at"])
    profile.service_areas.clear()
    for offering in list(profile.offerings.all()):
        remove_offering(offering=offering)
    refresh_listing_status(profile)
    _listings_changed()
