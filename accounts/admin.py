from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from . import roles, services
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ("email", "first_name", "last_name", "role_list", "is_staff", "is_active", "date_joined")
    list_filter = ("groups", "is_staff", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name", "phone")
    readonly_fields = ("id", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone", "timezone")}),
        (
            "Roles",
            {
                "fields": ("groups", "is_active", "is_superuser"),
                "description": "Roles are groups; staff roles (support, finance, admin) open the operations console.",
            },
        ),
        ("Extra permissions", {"classes": ("collapse",), "fields": ("user_permissions",)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "timezone", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_list(self, user):
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated (Active unticked), never deleted here

    def save_model(self, request, obj, form, change):
        services.staff_save_user(user=obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        """Roles (groups) and extra permissions through the services, audited; is_staff follows roles."""
        user = form.instance
        data = form.cleaned_data
        if "groups" in data:
            services.set_roles(user=user, role_names=[group.name for group in data["groups"]], actor=request.user)
        if "user_permissions" in data:
            services.set_extra_permissions(user=user, permissions=data["user_permissions"], actor=request.user)


def _role_action(role: str):
    def action(modeladmin, request, queryset):
        for user in queryset.prefetch_related("groups"):
            services.set_roles(user=user, role_names=sorted({*services.role_names(user), role}), actor=request.user)
        modeladmin.message_user(request, f"Added the {role} role to {queryset.count()} user(s).", messages.SUCCESS)

    action.__name__ = f"make_{role}"
    action.short_description = f"Add the {role} role"
    return action


UserAdmin.actions = [_role_action(role) for role in roles.ALL_ROLES]
