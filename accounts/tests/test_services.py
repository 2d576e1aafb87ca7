import pytest
from django.contrib.auth import authenticate

from accounts import roles, services
from accounts.models import User
from accounts.tests.factories import UserFactory
from core.exceptions import InvalidInput

pytestmark = pytest.mark.django_db

GOOD = {
    "email": "Maya.Chen@Example.com",
    "password": "piano-practice-2026",
    "first_name": "Maya",
    "last_name": "Chen",
    "timezone": "America/New_York",
}


def test_register_user_stores_a_lowercased_email_and_the_student_role():
    user = services.register_user(**GOOD)
    assert user.email == "maya.chen@example.com"
    assert services.role_names(user) == ["student"]
    assert user.has_perm("accounts.book_lessons")
    assert not user.has_perm("instructors.teach")
    assert not user.is_staff


def test_email_is_unique_whatever_its_case():
    services.register_user(**GOOD)
    with pytest.raises(services.EmailTaken):
        services.register_user(**{**GOOD, "email": "MAYA.CHEN@example.com"})
    assert User.objects.count() == 1


def test_login_is_case_insensitive_on_email():
    services.register_user(**GOOD)
    assert authenticate(email="MAYA.chen@EXAMPLE.com", password=GOOD["password"]) is not None
    assert authenticate(email="maya.chen@example.com", password="wrong-password-here") is None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"first_name": "  "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(changes, field):
    with pytest.raises(InvalidInput) as error:
        services.register_user(**{**GOOD, **changes})
    assert field in error.value.extra["fields"]
    assert not User.objects.exists()


def test_unknown_role_is_refused():
    with pytest.raises(InvalidInput):
        services.register_user(**GOOD, role="wizard")
    assert not User.objects.exists()


def test_staff_roles_open_the_console_and_student_roles_do_not():
    user = UserFactory()
    services.set_roles(user=user, role_names=[roles.SUPPORT])
    assert user.is_staff and user.has_perm("accounts.view_private_details")
    services.set_roles(user=User.objects.get(pk=user.pk), role_names=[roles.STUDENT])
    user = User.objects.get(pk=user.pk)
    assert not user.is_staff
    assert not user.has_perm("accounts.view_private_details")


def test_admin_role_holds_every_permission_of_our_apps():
    user = UserFactory(role="admin")
    assert user.has_perm("accounts.manage_roles")
    assert user.has_perm("instructors.change_instructorservice")
    assert user.has_perm("core.change_ratelimitrule")
    assert user.has_perm("payments.issue_refunds") and user.has_perm("messaging.view_conversation")


def test_update_account_validates_the_time_zone():
    user = UserFactory()
    with pytest.raises(InvalidInput):
        services.update_account(user=user, first_name="A", last_name="B", phone="", timezone="Nowhere/Else")
    services.update_account(user=user, first_name=" Ana ", last_name="Bell", phone=" 555 ", timezone="Europe/Paris")
    user.refresh_from_db()
    assert (user.first_name, user.phone, user.timezone) == ("Ana", "555", "Europe/Paris")


def test_public_name_shows_only_the_last_initial():
    user = UserFactory(first_name="Maya", last_name="chen")
    assert user.public_name == "Maya C."
    assert UserFactory(first_name="Cher", last_name="").public_name == "Cher"


def test_every_role_holds_exactly_the_permissions_it_names():
    from django.contrib.auth.models import Group

    from accounts.roles import ROLE_PERMISSIONS

    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert granted == set(names), role  # a typo in ROLE_PERMISSIONS would be silently missing otherwise


@pytest.mark.parametrize("field", ["first_name", "last_name", "phone"])
def test_names_and_phones_refuse_control_characters(field):
    """Found by the API contract run: "\\u0003" was saved as a name (and shown to other people)."""
    user = UserFactory(first_name="Maya", last_name="Chen", phone="")
    details = {"first_name": "Maya", "last_name": "Chen", "phone": "", "timezone": "America/New_York"}
    with pytest.raises(InvalidInput) as refused:
        services.update_account(user=user, **{**details, field: "Ma\x03ya"})
    assert field in refused.value.extra["fields"]
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.phone) == ("Maya", "Chen", "")


def test_sign_up_refuses_a_control_character_in_the_name():
    with pytest.raises(InvalidInput):
        services.register_user(
            email="nul@example.com", password="violin-lessons-99", first_name="A\x00", last_name="B", timezone="UTC"
        )
    assert not User.objects.filter(email="nul@example.com").exists()
