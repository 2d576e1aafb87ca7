import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory, staff_signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff_signed_in(client)
    return client


def test_staff_with_the_admin_role_reach_the_console_and_see_the_tier(staff_client, settings):
    settings.ENV_TIER = "STG"
    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        body = staff_client.get(url).content.decode()
        assert "env-tier-stg" in body and "STG · Staging" in body, url


def test_student_cannot_open_the_console(client):
    client.force_login(UserFactory(role="student"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response.url


def test_user_list_shows_roles_and_searches_by_email(staff_client, django_assert_max_num_queries):
    UserFactory(email="findme@example.com", role="instructor")
    for _ in range(5):
        UserFactory()
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": "findme"})
    body = response.content.decode()
    assert "findme@example.com" in body and "instructor" in body
    assert response.context["cl"].result_count == 1


def test_role_action_adds_a_staff_role_and_opens_the_console(staff_client):
    user = UserFactory(role="student")
    response = staff_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_support", "_selected_action": [user.pk]},
        follow=True,
    )
    assert "Added the support role to 1 user(s)." in response.content.decode()
    user = User.objects.get(pk=user.pk)
    assert sorted(g.name for g in user.groups.all()) == ["student", "support"]
    assert user.is_staff


def test_editing_roles_in_the_form_keeps_staff_access_in_step(staff_client):
    from django.contrib.auth.models import Group

    user = UserFactory(role="support", is_staff=True)
    student = Group.objects.get(name="student")
    response = staff_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": "",
            "timezone": "America/New_York",
            "groups": [student.pk],
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=user.pk)
    assert not user.is_staff
