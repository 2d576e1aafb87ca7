from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import reason_page

from . import roles, selectors, services
from .models import User

RESET_TWO_FACTOR = "accounts.reset_two_factor"

# Authenticator keys are secrets: no admin page shows or edits them (a reset goes through the
# audited page below).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class ResetTwoFactorForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="Why, and how you checked it is them (kept in the audit log): 'Lost phone; checked by a call'.",
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ("email", "first_name", "last_name", "role_list", "is_staff", "is_active", "date_joined")
    list_filter = ("groups", "is_staff", "is_active", "is_superuser")
    search_fields = ("email", "first_name", "last_name", "phone")
    readonly_fields = ("id", "date_joined", "last_login", "two_factor", "personal_data")
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
        ("Sign-in security", {"fields": ("two_factor",)}),
        ("Privacy", {"fields": ("personal_data",)}),
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

    @admin.display(description="Two-factor sign-in")
    def two_factor(self, user):
        if not selectors.has_two_factor(user):
            return "Off"
        url = reverse("admin:accounts_user_reset_two_factor", args=[user.pk])
        return format_html('On · <a href="{}">Reset (lost phone)…</a>', url)

    @admin.display(description="Personal data")
    def personal_data(self, user):
        """Deleting the account on the person's request is the privacy app's page."""
        if user.erased_at:
            return f"Deleted on {user.erased_at:%Y-%m-%d}"
        url = reverse("admin:privacy_erase_user", args=[user.pk])
        return format_html('Kept · <a href="{}">Delete the account on their request…</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.reset_two_factor_view)
        return [
            path("<path:object_id>/reset-two-factor/", view, name="accounts_user_reset_two_factor"),
            *super().get_urls(),
        ]

    def reset_two_factor_view(self, request, object_id):
        """Remove a person's two-factor sign-in after checking who they are (audited, emailed)."""
        if not request.user.has_perm(RESET_TWO_FACTOR):
            raise PermissionDenied
        user = get_object_or_404(User, pk=object_id)
        return reason_page(
            self,
            request,
            run=partial(services.staff_reset_two_factor, user=user, actor=request.user),
            said=lambda _: f"Two-factor sign-in removed for {user.email}. We emailed them.",
            back_to=reverse("admin:accounts_user_change", args=[user.pk]),
            template="admin/accounts/user/reset_two_factor.html",
            context={
                "title": "Reset two-factor sign-in",
                "subtitle": user.email,
                "opts": self.opts,
                "person": user,
                "form": ResetTwoFactorForm(request.POST or None),
            },
        )

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
