"""Roles are Groups holding named permissions. Code asks user.has_perm(...), never the role."""

STUDENT = "student"
INSTRUCTOR = "instructor"
SUPPORT = "support"
FINANCE = "finance"
ADMIN = "admin"

ALL_ROLES = (STUDENT, INSTRUCTOR, SUPPORT, FINANCE, ADMIN)
STAFF_ROLES = frozenset({SUPPORT, FINANCE, ADMIN})

# "app_label.codename"; ADMIN gets every permission of the apps below.
ROLE_PERMISSIONS = {
    STUDENT: ["accounts.book_lessons"],
    INSTRUCTOR: ["instructors.teach"],
    SUPPORT: [
        "accounts.view_user",
        "accounts.view_private_details",
        "accounts.reset_two_factor",
        "privacy.view_exportrequest",
        "instructors.view_instructorprofile",
        "instructors.view_instructorservice",
        "instructors.review_instructors",
        "bookings.view_booking",
        "bookings.manage_any_booking",
        "bookings.resolve_no_shows",
        "messaging.view_conversation",
        "core.view_auditlog",
        "search.view_searchevent",
        "search.view_searchhistory",
    ],
    FINANCE: [
        "accounts.view_user",
        "instructors.view_instructorprofile",
        "bookings.view_booking",
        "payments.view_finance",
        "payments.issue_refunds",
        "payments.view_creditentry",
        "payments.view_webhookevent",
        "payments.view_connectaccount",
    ],
}
ADMIN_APPS = (
    "accounts",
    "auth",
    "core",
    "instructors",
    "availability",
    "bookings",
    "messaging",
    "payments",
    "privacy",
    "search",
    "django_celery_beat",
)


def create_roles_migration_step(apps, schema_editor) -> None:
    """RunPython step for data migrations: make every permission exist now (Django creates
    them only after all migrations), then sync the role groups."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_permissions(apps)


def sync_role_permissions(apps) -> None:
    """Create the role groups and give each exactly its permissions.

    Takes an app registry so data migrations (historical models) and code can share it.
    Later migrations call it again after adding permissions.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ALL_ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        if role == ADMIN:
            permissions = permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
        else:
            permissions = _existing_permissions(permission_model, ROLE_PERMISSIONS[role])
        group.permissions.set(permissions)


def _existing_permissions(permission_model, dotted_names: list[str]) -> list:
    """The named permissions that exist yet. A migration that runs before an app's tables
    exist grants what it can; that app's own roles migration syncs again."""
    found = []
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        permission = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is not None:
            found.append(permission)
    return found
