from base64 import b32encode
from binascii import unhexlify

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import current_code
from accounts.tests.factories import UserFactory
from instructors.models import InstructorService
from instructors.tests.factories import (
    BoroughFactory,
    CategoryFactory,
    InstructorProfileFactory,
    NeighborhoodFactory,
    OfferingFactory,
    ServiceFactory,
    live_instructor,
)
from search.history import record_search

pytestmark = pytest.mark.django_db


@pytest.fixture
def piano():
    return ServiceFactory(slug="piano", name="Piano", keywords=["keyboard"], category=CategoryFactory(name="Music"))


@pytest.fixture
def brooklyn_area():
    return NeighborhoodFactory(borough=BoroughFactory(slug="brooklyn", name="Brooklyn"), name="Park Slope")


EVERYONE = {"age_groups": ["kids", "teens", "adults"], "levels": ["beginner", "intermediate", "advanced"]}


def names_in(response):
    return [profile.user.public_name for profile in response.context["page"]]


# --- public pages ---------------------------------------------------------------------


def test_home_shows_categories_featured_instructors_and_popular_services(client, piano):
    live_instructor(services=[piano], first_name="Ana", last_name="Lopez")
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Music" in body and "Ana L." in body
    assert ("piano", "Piano") in response.context["popular"]


def test_all_services_counts_only_live_instructors(client, piano):
    live_instructor(services=[piano])
    OfferingFactory(service=piano)  # an offering whose profile is not live
    response = client.get(reverse("instructors:all_services"))
    catalog = response.context["catalog"]()  # passed uncalled: loaded only when the page cache misses
    counts = {s.slug: s.instructor_count for section in catalog.sections for s in section.taught}
    assert counts == {"piano": 1}
    assert "1 instructor<" in response.content.decode()


def test_all_services_lists_taught_services_first_and_tucks_the_rest_away(client, piano):
    music = piano.category
    ServiceFactory(category=music, name="Accordion", slug="accordion")
    ServiceFactory(category=music, name="Zither", slug="zither")
    crafts = CategoryFactory(name="Crafts", slug="crafts")
    ServiceFactory(category=crafts, name="Knitting", slug="knitting")
    live_instructor(services=[piano])

    body = client.get(reverse("instructors:all_services")).content.decode()

    taught, tucked = body[body.index(f'id="{music.slug}"') :].split("<details", 1)
    assert "Piano" in taught and "Accordion" not in taught
    assert "2 more without instructors yet</summary>" in tucked
    assert tucked.index("Accordion") < tucked.index("Zither")
    assert "0 instructors" not in body
    nav = body[body.index('aria-label="Categories"') : body.index("</nav>", body.index('aria-label="Categories"'))]
    assert music.name in nav and "Crafts" not in nav  # a category nobody teaches in is not a section
    assert "Nobody teaches 1 category yet: Crafts." in body
    assert 'id="crafts"' in body and "Knitting" in body  # still reachable, behind the note


def test_all_services_page_is_cached_until_listings_change(
    client, piano, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    url = reverse("instructors:all_services")
    client.get(url)
    with django_assert_max_num_queries(0):
        assert "Nobody teaches 1 category yet" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        live_instructor(services=[piano])  # bumps the listings version on commit
    body = client.get(url).content.decode()
    assert "1 instructor<" in body and "Nobody teaches" not in body


def test_service_listing_filters_by_price_location_and_borough(client, piano, brooklyn_area):
    live_instructor(services=[piano], rate_cents=50_00, first_name="Cheap", location_types=["online"])
    live_instructor(
        services=[piano],
        rate_cents=120_00,
        first_name="Pricey",
        neighborhoods=[brooklyn_area],
        location_types=["student_location"],
    )
    live_instructor(services=[ServiceFactory()], rate_cents=40_00, first_name="Other")
    url = reverse("instructors:service_listing", args=["piano"])

    assert len(names_in(client.get(url))) == 2
    assert [n.split()[0] for n in names_in(client.get(url, {"price_max": 60}))] == ["Cheap"]
    assert [n.split()[0] for n in names_in(client.get(url, {"price_min": 100}))] == ["Pricey"]
    assert [n.split()[0] for n in names_in(client.get(url, {"location_type": "online"}))] == ["Cheap"]
    assert [n.split()[0] for n in names_in(client.get(url, {"borough": "brooklyn"}))] == ["Pricey"]
    assert [n.split()[0] for n in names_in(client.get(url, {"sort": "price"}))] == ["Cheap", "Pricey"]
    assert [n.split()[0] for n in names_in(client.get(url, {"sort": "-price"}))] == ["Pricey", "Cheap"]


def test_service_listing_price_uses_the_rate_of_that_service(client, piano):
    guitar = ServiceFactory(slug="guitar")
    live_instructor(services=[guitar], rate_cents=30_00, first_name="Gina")
    profile = live_instructor(services=[piano], rate_cents=90_00, first_name="Gina")
    from instructors import services

    services.add_offering(
        profile=profile, service=guitar, hourly_rate_cents=20_00, durations=[60], location_types=["online"]
    )
    response = client.get(reverse("instructors:service_listing", args=["piano"]), {"price_max": 50})
    assert names_in(response) == []  # her cheap guitar rate must not make her piano look cheap


def test_bad_filters_show_form_errors_not_a_500(client, piano):
    url = reverse("instructors:service_listing", args=["piano"])
    response = client.get(url, {"price_min": "lots", "borough": "atlantis"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert set(response.context["filter"].form.errors) == {"price_min", "borough"}
    response = client.get(url, {"price_min": 100, "price_max": 50})
    assert "Max must be at least the min." in response.content.decode()


def test_unknown_service_is_404(client):
    assert client.get(reverse("instructors:service_listing", args=["nope"])).status_code == 404


def test_instructor_profile_page_shows_services_prices_and_areas(client, piano, brooklyn_area):
    profile = live_instructor(
        services=[piano], rate_cents=85_00, neighborhoods=[brooklyn_area], first_name="Lena", last_name="Okafor"
    )
    body = client.get(reverse("instructors:profile", args=[profile.pk])).content.decode()
    assert "Lena O." in body
    assert "$85" in body and "Piano" in body
    assert "Park Slope" in body and "Brooklyn" in body
    assert "Lessons of 30, 60 minutes" in body
    assert "Availability" in body
    assert "For all ages · All levels" in body


def test_profile_says_who_each_service_is_for(client, piano):
    profile = live_instructor(services=[piano])
    profile.offerings.update(age_groups=["kids", "teens"], levels=["beginner", "intermediate"])
    body = client.get(reverse("instructors:profile", args=[profile.pk])).content.decode()
    assert "For kids and teens · Beginner to intermediate" in body


def test_profile_that_is_not_live_is_404_for_others_and_a_preview_for_its_owner(client):
    profile = InstructorProfileFactory()
    assert client.get(reverse("instructors:profile", args=[profile.pk])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("instructors:profile", args=[profile.pk])).status_code == 404
    client.force_login(profile.user)
    response = client.get(reverse("instructors:profile", args=[profile.pk]))
    assert response.status_code == 200
    assert "Preview" in response.content.decode()


# --- privacy -------------------------------------------------------------------------------


def test_no_page_shows_another_users_last_name_email_or_phone(client, piano):
    profile = live_instructor(
        services=[piano],
        first_name="Priya",
        last_name="Ramanathan",
        email="priya.private@example.com",
        phone="+1 917 555 0199",
    )
    pages = [
        reverse("home"),
        reverse("instructors:all_services"),
        reverse("instructors:service_listing", args=["piano"]),
        reverse("instructors:profile", args=[profile.pk]),
    ]
    student = UserFactory()
    record_search(user_id=student.pk, visitor_id="", query="piano", normalized="piano", at=timezone.now())
    client.force_login(student)  # whose home shows instructors matching their search
    for url in pages:
        body = client.get(url).content.decode()
        assert "Priya R." in body or url == reverse("instructors:all_services")
        for secret in ("Ramanathan", "priya.private@example.com", "555 0199"):
            assert secret not in body, (url, secret)


# --- instructor's own pages ------------------------------------------------------------------


@pytest.fixture
def instructor(client):
    profile = InstructorProfileFactory()
    client.force_login(profile.user)
    return profile


def test_student_cannot_open_the_teaching_pages(client):
    client.force_login(UserFactory(role="student"))
    assert client.get(reverse("instructors:dashboard")).status_code == 403
    assert client.post(reverse("instructors:edit_profile"), {"headline": "x"}).status_code == 403


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("instructors:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_instructor_completes_onboarding_through_the_pages_and_goes_live(client, instructor, piano, brooklyn_area):
    response = client.post(
        reverse("instructors:edit_profile"),
        {"headline": "Concert pianist", "bio": "I teach beginners to advanced.", "years_experience": 12},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("instructors:add_offering"),
        {
            "service": "piano",
            "hourly_rate": "72.50",
            "durations": ["30", "60"],
            "location_types": ["online"],
            "age_groups": ["kids", "teens"],
            "levels": ["beginner", "intermediate"],
        },
    )
    assert response.status_code == 302
    offering = instructor.offerings.get()
    assert offering.hourly_rate_cents == 72_50
    assert (offering.age_groups, offering.levels) == (["kids", "teens"], ["beginner", "intermediate"])
    response = client.post(reverse("instructors:edit_areas"), {"neighborhoods": [brooklyn_area.pk]}, follow=True)
    instructor.refresh_from_db()
    assert not instructor.is_live
    assert "3 of 4 done" in response.content.decode()

    setup = client.get(reverse("accounts:two_factor_setup"))  # the checklist's last step
    key = TOTPDevice.objects.get(user=instructor.user, confirmed=False).key
    assert b32encode(unhexlify(key)).decode()[:4] in setup.content.decode()  # the key, as text
    response = client.post(reverse("accounts:two_factor_setup"), {"code": current_code(key)}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:backup_codes"))
    response = client.get(reverse("instructors:dashboard"))
    instructor.refresh_from_db()
    assert instructor.is_live
    assert "Your profile is live" in response.content.decode()
    assert "4 of 4 done" in response.content.decode()


def test_add_offering_form_errors_are_shown_and_nothing_saved(client, instructor, piano):
    response = client.post(
        reverse("instructors:add_offering"),
        {"service": "piano", "hourly_rate": "5", "durations": [], "location_types": ["moon"], "levels": ["expert"]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"hourly_rate", "durations", "location_types", "age_groups", "levels"}
    assert "Choose at least one age group." in response.content.decode()
    assert not instructor.offerings.exists()


def test_adding_a_service_twice_shows_a_clear_error(client, instructor, piano):
    data = {**EVERYONE, "service": "piano", "hourly_rate": "60", "durations": ["60"], "location_types": ["online"]}
    client.post(reverse("instructors:add_offering"), data)
    response = client.post(reverse("instructors:add_offering"), data)
    assert "You already offer this service" in response.content.decode()
    assert instructor.offerings.count() == 1


def test_instructor_edits_and_removes_an_offering(client, instructor, piano):
    offering = OfferingFactory(instructor=instructor, service=piano)
    response = client.post(
        reverse("instructors:edit_offering", args=[offering.pk]),
        {
            "hourly_rate": "95",
            "durations": ["90"],
            "location_types": ["instructor_location"],
            "age_groups": ["adults"],
            "levels": ["advanced"],
        },
    )
    assert response.status_code == 302
    offering.refresh_from_db()
    assert (offering.hourly_rate_cents, offering.durations) == (95_00, [90])
    assert (offering.age_groups, offering.levels) == (["adults"], ["advanced"])
    client.post(reverse("instructors:remove_offering", args=[offering.pk]))
    assert not InstructorService.objects.filter(pk=offering.pk).exists()


def test_the_edit_page_ticks_who_the_offering_is_for_now(client, instructor, piano):
    offering = OfferingFactory(instructor=instructor, service=piano, age_groups=["teens"], levels=["intermediate"])
    form = client.get(reverse("instructors:edit_offering", args=[offering.pk])).context["form"]
    assert (form["age_groups"].value(), form["levels"].value()) == (["teens"], ["intermediate"])


def test_the_add_page_asks_who_the_lessons_are_for(client, instructor, piano):
    body = client.get(reverse("instructors:add_offering")).content.decode()
    assert "Who is it for?" in body and "Levels you teach" in body
    assert body.count('name="age_groups"') == 3 and body.count('name="levels"') == 3


def test_instructor_cannot_touch_another_instructors_offering(client, instructor):
    others = OfferingFactory(hourly_rate_cents=60_00)
    edit = reverse("instructors:edit_offering", args=[others.pk])
    assert client.get(edit).status_code == 404
    data = {**EVERYONE, "hourly_rate": "11", "durations": ["30"], "location_types": ["online"]}
    assert client.post(edit, data).status_code == 404
    assert client.post(reverse("instructors:remove_offering", args=[others.pk])).status_code == 404
    others.refresh_from_db()
    assert others.hourly_rate_cents == 60_00


def test_remove_needs_post(client, instructor):
    offering = OfferingFactory(instructor=instructor)
    assert client.get(reverse("instructors:remove_offering", args=[offering.pk])).status_code == 405
    assert InstructorService.objects.filter(pk=offering.pk).exists()


def test_profile_form_requires_headline_and_bio(client, instructor):
    response = client.post(reverse("instructors:edit_profile"), {"headline": "", "bio": "", "years_experience": 3})
    assert set(response.context["form"].errors) == {"headline", "bio"}


def test_areas_form_requires_a_choice_and_rejects_unknown_ids(client, instructor):
    response = client.post(reverse("instructors:edit_areas"), {})
    assert "Choose at least one neighborhood." in response.content.decode()
    response = client.post(reverse("instructors:edit_areas"), {"neighborhoods": ["01HZZZZZZZZZZZZZZZZZZZZZZZ"]})
    assert response.status_code == 200
    assert not instructor.service_areas.exists()


# --- query counts ------------------------------------------------------------------------


def _many_instructors(piano, count=8):
    areas = [NeighborhoodFactory() for _ in range(3)]
    for i in range(count):
        live_instructor(services=[piano, ServiceFactory()], neighborhoods=areas[: 1 + i % 3], rate_cents=(40 + i) * 100)


@pytest.mark.parametrize(
    "url_name, args, params, budget",
    [
        ("home", [], {}, 6),
        ("instructors:all_services", [], {}, 3),
        ("instructors:service_listing", ["piano"], {"sort": "price", "borough": "borough-x"}, 8),
    ],
)
def test_list_pages_use_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, piano, url_name, args, params, budget
):
    BoroughFactory(slug="borough-x")
    _many_instructors(piano)
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(url_name, args=args), params)
    assert response.status_code == 200
    _many_instructors(piano, count=4)
    with django_assert_max_num_queries(budget):
        client.get(reverse(url_name, args=args), params)
