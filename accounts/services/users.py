"""Accounts and roles: sign-up, account details, roles and permissions (staff changes are audited)."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.exceptions import Conflict, InvalidInput
from core.services import record_audit
from core.text import has_control_characters
from core.timeutil import is_valid_timezone

from .. import roles
from ..models import BackupCode, User
from .sessions import end_other_sessions


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists."


def _validate_profile_fields(*, first_name: str, last_name: str, timezone: str, phone: str = "") -> None:
    errors = {}
    if not first_name.strip():
        errors["first_name"] = "Enter your first name."
    if not last_name.strip():
        errors["last_name"] = "Enter your last name."
    for field, text in (("first_name", first_name), ("last_name", last_name), ("phone", phone)):
        if has_control_characters(text):
            errors[field] = "Use letters, numbers and punctuation only."
    if not is_valid_timezone(timezone):
        errors["timezone"] = "Choose a time zone from the list."
    if errors:
        raise InvalidInput("Some details are missing or not valid.", fields=errors)


@transaction.atomic
def register_user(
    *, email: str, password: str, first_name: str, last_name: str, timezone: str, role: str = roles.STUDENT
) -> User:
    """Create an account with one role. Raises EmailTaken or InvalidInput; writes nothing then."""
    if role not in roles.ALL_ROLES:
        raise InvalidInput(f"Unknown role {role!r}.", fields={"role": "Unknown role."})
    email = User.objects.normalize_email(email)
    _validate_profile_fields(first_name=first_name, last_name=last_name, timezone=timezone)
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(), timezone=timezone)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput("Choose a stronger password.", fields={"password": list(error.messages)}) from error
    user.set_password(password)
    user.is_staff = role in roles.STAFF_ROLES
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the case-insensitive unique email constraint
        raise EmailTaken() from error
    user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def update_account(*, user: User, first_name: str, last_name: str, phone: str, timezone: str) -> User:
    _validate_profile_fields(first_name=first_name, last_name=last_name, timezone=timezone, phone=phone)
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.phone = phone.strip()
    user.timezone = timezone
    user.save(update_fields=["first_name", "last_name", "phone", "timezone"])
    return user


@transaction.atomic
def set_roles(*, user: User, role_names: list[str], actor: User | None = None) -> User:
    """Replace a user's roles. Staff roles grant access to the operations console. A change made
    by staff (`actor`) is audited."""
    unknown = set(role_names) - set(roles.ALL_ROLES)
    if unknown:
        raise InvalidInput(f"Unknown roles: {', '.join(sorted(unknown))}.")
    before = sorted(user.groups.values_list("name", flat=True)) if user.pk else []
    user.groups.set(Group.objects.filter(name__in=role_names))
    user.is_staff = user.is_superuser or bool(set(role_names) & roles.STAFF_ROLES)
    user.save(update_fields=["is_staff"])
    after = sorted(set(role_names))
    if actor is not None and before != after:
        record_audit(actor=actor, action="change_roles", target=user, before={"roles": before}, after={"roles": after})
    return user


USER_FIELDS = ("email", "first_name", "last_name", "phone", "timezone", "is_active", "is_superuser")


@transaction.atomic
def staff_save_user(*, user: User, actor: User) -> User:
    """Staff create or edit an account in the admin (the form checked the fields): audited."""
    stored = User.objects.filter(pk=user.pk).first() if user.pk else None
    before = {name: getattr(stored, name) for name in USER_FIELDS} if stored else {}
    user.email = User.objects.normalize_email(user.email)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise EmailTaken() from error
    after = {name: getattr(user, name) for name in USER_FIELDS}
    action = "change_user" if stored else "create_user"
    record_audit(actor=actor, action=action, target=user, before=before, after=after)
    return user


@transaction.atomic
def set_extra_permissions(*, user: User, permissions, actor: User) -> User:
    """Permissions given to one person beyond their roles (audited)."""
    before = sorted(user.user_permissions.values_list("codename", flat=True))
    user.user_permissions.set(permissions)
    after = sorted(permission.codename for permission in permissions)
    if before != after:
        record_audit(
            actor=actor,
            action="change_permissions",
            target=user,
            before={"permissions": before},
            after={"permissions": after},
        )
    return user


def role_names(user: User) -> list[str]:
    return sorted(group.name for group in user.groups.all())


ERASED_NAME = "Deleted user"


def anonymize_user(user: User, *, moment) -> str:
    """The account keeps no personal detail and can never sign in again: the email becomes an
    address that cannot receive mail, the name "Deleted user"; roles, two-factor sign-in and
    every session go. Returns the email it had (for the goodbye message)."""
    email = user.email
    end_other_sessions(user=user, keep_key=None)
    TOTPDevice.objects.filter(user=user).delete()
    BackupCode.objects.filter(user=user).delete()
    user.email = f"deleted-{str(user.pk).lower()}@deleted.invalid"
    user.first_name, user.last_name, user.phone = ERASED_NAME, "", ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.erased_at = moment
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return email
