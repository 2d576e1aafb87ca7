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
        "instructors.view_instructorprofile",
        "instructors.view_instructorservice",
        "instructors.review_instructors",
    ],
    FINANCE: ["accounts.view_user", "instructors.view_instructorprofile"],
}
ADMIN_APPS = ("accounts", "auth", "core", "instructors", "django_celery_beat")


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
            permissions = [_permission(permission_model, name) for name in ROLE_PERMISSIONS[role]]
        group.permissions.set(permissions)


def _permission(permission_model, dotted: str):
    app_label, codename = dotted.split(".")
    return permission_model.objects.get(content_type__app_label=app_label, codename=codename)
