"""The seed_demo command and the demo data it loads, against the real database."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from accounts.models import User
from bookings.models import Booking
from instructors import demo
from instructors.catalog import read_data_file
from instructors.models import LESSON_DURATIONS, Borough, Category, InstructorProfile, InstructorService, Service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # ~70 accounts: the production hasher would spend most of the suite's time hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "profiles": InstructorProfile.objects.count(),
        "live": InstructorProfile.objects.filter(is_live=True).count(),
        "offerings": InstructorService.objects.count(),
        "areas": InstructorProfile.service_areas.through.objects.count(),
        "categories": Category.objects.count(),
        "services": Service.objects.count(),
    }


def sentence_count(text: str) -> int:
    return len(re.split(r"(?<=[.!?])\s+", text.replace("St. ", "St ").strip()))


def snapshot() -> list[tuple]:
    """Everything the demo chooses, without ids or timestamps."""
    offerings = sorted(
        (o.instructor.user.email, o.service.slug, o.hourly_rate_cents, tuple(o.durations), tuple(o.location_types),
         tuple(o.age_groups), tuple(o.levels), o.description)
        for o in InstructorService.objects.select_related("instructor__user", "service")
    )  # fmt: skip
    profiles = sorted(
        (p.user.email, p.user.first_name, p.user.last_name, p.headline, p.bio, p.years_experience,
         tuple(sorted(n.slug for n in p.service_areas.all())))
        for p in InstructorProfile.objects.select_related("user").prefetch_related("service_areas")
    )  # fmt: skip
    people = sorted(User.objects.values_list("email", "first_name", "last_name", "timezone", "is_staff"))
    return [*offerings, *profiles, *people]


def test_seed_creates_sixty_live_instructors_covering_every_category():
    output = seed()

    live = InstructorProfile.objects.filter(is_live=True)
    assert live.count() >= 50
    assert live.exclude(user__email=demo.DEMO_INSTRUCTOR.email).count() == demo.DEMO_INSTRUCTOR_COUNT
    categories = Category.objects.annotate(
        live_instructors=Count(
            "services__offerings__instructor",
            filter=Q(services__offerings__is_active=True, services__offerings__instructor__is_live=True),
            distinct=True,
        )
    )
    assert len(categories) == len(read_data_file("catalog.json")["categories"])
    assert {c.slug: c.live_instructors for c in categories if c.live_instructors == 0} == {}
    assert "Live instructors: 61" in output


def test_popular_services_have_several_instructors():
    seed()

    popular = ["piano", "guitar", "spanish", "sat-prep", "swimming", "tennis", "yoga"]
    instructor_counts = dict(
        Service.objects.filter(slug__in=popular)
        .annotate(n=Count("offerings", filter=Q(offerings__instructor__is_live=True)))
        .values_list("slug", "n")
    )
    assert all(instructor_counts[slug] >= 2 for slug in popular), instructor_counts
    math = InstructorService.objects.filter(service__category__slug="tutoring-math", instructor__is_live=True)
    assert math.values("instructor").distinct().count() >= 3


def test_service_areas_cover_all_five_boroughs_and_stay_local():
    seed()

    covered = set(Borough.objects.filter(neighborhoods__instructors__is_live=True).values_list("slug", flat=True))
    assert covered == set(Borough.objects.values_list("slug", flat=True))
    assert len(covered) == 5
    for profile in InstructorProfile.objects.prefetch_related("service_areas"):
        areas = list(profile.service_areas.all())
        assert 2 <= len(areas) <= 6, profile
        assert 1 <= len({n.borough_id for n in areas}) <= 2, profile


def test_offerings_and_profiles_look_like_real_listings():
    seed()

    for offering in InstructorService.objects.select_related("service__category"):
        assert offering.hourly_rate_cents % 500 == 0
        assert 35_00 <= offering.hourly_rate_cents <= 250_00
        assert set(offering.durations) <= set(LESSON_DURATIONS) and offering.durations
        assert offering.location_types
    for profile in InstructorProfile.objects.annotate(n=Count("offerings")).select_related("user"):
        assert 1 <= profile.n <= 3
        assert 1 <= profile.years_experience <= 30
        assert 0 < len(profile.headline) <= 120
        assert 2 <= sentence_count(profile.bio) <= 4, profile.bio
    emails = list(User.objects.exclude(email__endswith="@instainstru.test").values_list("email", flat=True))
    assert len(emails) == demo.DEMO_INSTRUCTOR_COUNT + len(demo.DEMO_STUDENT_TIMEZONES)
    assert all(email.endswith("@demo.instainstru.test") and email.count(".") >= 3 for email in emails)


def test_offerings_say_who_they_are_for_realistically_and_variedly():
    seed()

    offerings = InstructorService.objects.select_related("service__category")
    ages = {(o.service.slug, tuple(o.age_groups)) for o in offerings}
    assert {groups for slug, groups in ages if slug == "kids-music"} == {("kids",)}
    assert {groups for slug, groups in ages if slug == "sat-prep"} == {("teens",)}
    assert {groups for slug, groups in ages if slug == "lsat-prep"} == {("adults",)}
    assert len({groups for _, groups in ages}) >= 5  # not everyone teaches everyone
    adults_only = offerings.filter(age_groups=["adults"]).values("service__category__slug").distinct().count()
    assert adults_only >= 3
    level_spans = [tuple(o.levels) for o in offerings]
    assert len(set(level_spans)) >= 4
    assert level_spans.count(("beginner", "intermediate", "advanced")) < len(level_spans) / 2


def test_every_audience_the_demo_reads_learners_from_is_one_it_writes():
    audiences = {audience for profile in demo.TEACHING_PROFILES.values() for audience in profile.audiences}
    assert set(demo.AUDIENCE_AGE_GROUPS) <= audiences
    assert set(demo.AUDIENCE_LEVELS) <= audiences
    assert set(demo.CATEGORY_AGE_GROUPS) == {c["slug"] for c in read_data_file("catalog.json")["categories"]}


def test_students_have_real_names_and_time_zones():
    seed()

    students = User.objects.filter(groups__name="student", email__endswith="@demo.instainstru.test")
    zones = sorted(students.values_list("timezone", flat=True))
    assert zones == sorted(demo.DEMO_STUDENT_TIMEZONES)
    assert zones.count("America/Los_Angeles") == 1 and zones.count("America/Chicago") == 1


def test_running_twice_creates_nothing_new():
    seed()
    first = counts()

    output = seed()

    assert counts() == first
    assert "nobody new created" in output
    assert demo.DEMO_PASSWORD in output


def test_output_is_the_same_on_every_run():
    seed()
    first = snapshot()
    Booking.objects.all().delete()  # bookings protect their people and offerings
    User.objects.all().delete()  # cascades to profiles, offerings and service areas
    assert InstructorService.objects.count() == 0

    seed()

    assert snapshot() == first
    assert len(first) > 200


def test_demo_logins_authenticate_and_staff_can_run_the_admin():
    output = seed()

    for login in demo.DEMO_LOGINS:
        user = authenticate(email=login.email, password=demo.DEMO_PASSWORD)
        assert user is not None, login.email
        assert login.email in output
    assert "http://127.0.0.1:8000/admin/" in output

    staff = User.objects.get(email=demo.DEMO_STAFF.email)
    assert staff.is_staff and not staff.is_superuser
    assert staff.has_perm("accounts.manage_roles")
    student = User.objects.get(email=demo.DEMO_STUDENT.email)
    assert (student.get_full_name(), student.is_staff) == ("Maya Chen", False)
    assert student.has_perm("accounts.book_lessons")


def test_demo_instructor_is_live_with_piano_and_music_theory():
    seed()

    profile = InstructorProfile.objects.get(user__email=demo.DEMO_INSTRUCTOR.email)
    assert profile.is_live
    assert profile.user.has_perm("instructors.teach")
    assert sorted(profile.offerings.values_list("service__slug", flat=True)) == ["music-theory", "piano"]


def test_refuses_on_prod_and_writes_nothing(settings):
    settings.ENV_TIER = "PROD"

    with pytest.raises(CommandError, match="PROD"):
        seed()

    assert User.objects.count() == 0
    assert Category.objects.count() == 0


def test_every_service_the_demo_names_is_in_the_catalog():
    catalog = {s["slug"] for c in read_data_file("catalog.json")["categories"] for s in c["services"]}
    named = set(demo.DEMO_ROSTER) | {slug for p in demo.TEACHING_PROFILES.values() for slug in p.related}
    assert named <= catalog
    assert set(demo.DEMO_ROSTER) <= set(demo.TEACHING_PROFILES)
    assert len(demo.DEMO_ROSTER) == demo.DEMO_INSTRUCTOR_COUNT


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("MIT-educated calculus tutor", "an MIT-educated calculus tutor"),
        ("USPTA-certified tennis coach", "a USPTA-certified tennis coach"),
        ("FIDE-rated chess coach", "a FIDE-rated chess coach"),
        ("Iyengar-trained yoga teacher", "an Iyengar-trained yoga teacher"),
        ("99th-percentile SAT tutor", "a 99th-percentile SAT tutor"),
    ],
)
def test_articles_follow_the_sound(phrase, expected):
    assert demo.with_article(phrase) == expected


def test_service_names_read_naturally_mid_sentence():
    assert demo.service_phrase("Music Theory") == "music theory"
    assert demo.service_phrase("SAT Prep") == "SAT prep"
    assert demo.service_phrase("Stretching & Mobility") == "stretching and mobility"
    assert demo.service_phrase("Italian Cooking") == "Italian cooking"
    assert demo.service_phrase("American Sign Language") == "American Sign Language"
