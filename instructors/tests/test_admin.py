import pytest
from django.urls import reverse

from accounts.tests.factories import staff_signed_in
from instructors.models import InstructorProfile, Service
from instructors.tests.factories import InstructorProfileFactory, ServiceFactory, live_instructor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff_signed_in(client)
    return client


@pytest.mark.parametrize(
    "model", ["category", "service", "borough", "neighborhood", "instructorprofile", "instructorservice"]
)
def test_every_changelist_and_change_form_opens(staff_client, model, django_assert_max_num_queries):
    for _ in range(3):
        live_instructor(services=[ServiceFactory(), ServiceFactory()])
    with django_assert_max_num_queries(15):
        response = staff_client.get(reverse(f"admin:instructors_{model}_changelist"))
    assert response.status_code == 200
    first = response.context["cl"].result_list[0]
    assert staff_client.get(reverse(f"admin:instructors_{model}_change", args=[first.pk])).status_code == 200


def test_profile_list_filters_by_live_status(staff_client):
    live = live_instructor()
    InstructorProfileFactory()
    response = staff_client.get(reverse("admin:instructors_instructorprofile_changelist"), {"is_live__exact": "1"})
    assert [p.pk for p in response.context["cl"].result_list] == [live.pk]


def test_recheck_action_takes_an_incomplete_profile_offline(staff_client):
    profile = live_instructor()
    profile.offerings.all().delete()  # as if data had been changed behind the services' back
    response = staff_client.post(
        reverse("admin:instructors_instructorprofile_changelist"),
        {"action": "recheck_listing_status", "_selected_action": [profile.pk]},
        follow=True,
    )
    assert "0 of 1 profile(s) are live." in response.content.decode()
    assert not InstructorProfile.objects.get(pk=profile.pk).is_live


def test_editing_a_service_in_the_admin_refreshes_its_search_text(staff_client):
    service = ServiceFactory(name="Piano")
    response = staff_client.post(
        reverse("admin:instructors_service_change", args=[service.pk]),
        {
            "category": service.category.pk,
            "slug": service.slug,
            "name": "Grand Piano",
            "description": "",
            "keywords": "keys,ivory",
            "position": 0,
        },
    )
    assert response.status_code == 302
    service = Service.objects.get(pk=service.pk)
    assert "grand piano" in service.search_text and "ivory" in service.search_text
