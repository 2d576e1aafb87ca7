from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from . import ratelimit, services
from .forms import submit
from .models import AuditLog, RateLimitRule


def reason_page(
    model_admin,
    request,
    *,
    run: Callable[..., object],
    said: Callable[[object], str],
    back_to: str,
    template: str,
    context: dict,
    ready: bool = True,
):
    """A console page whose form asks why, then runs one audited service call with the reason
    (`run(reason=...)`): done, a message saying what happened (`said(result)`) and back to `back_to`;
    refused, the reason shows on the form. `ready=False` shows the page without acting."""
    form = context["form"]
    if request.method == "POST" and ready and form.is_valid():
        done = submit(form, lambda: run(reason=form.cleaned_data["reason"]))
        if done.ok:
            model_admin.message_user(request, said(done.value), messages.SUCCESS)
            return HttpResponseRedirect(back_to)
    return TemplateResponse(request, template, {**model_admin.admin_site.each_context(request), **context})


class ReadOnlyAdminMixin:
    """For admins and inlines whose rows only the site writes: staff may look, never add,
    change or delete here (actions that call services may still change them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RateLimitRule)
class RateLimitRuleAdmin(admin.ModelAdmin):
    list_display = ("bucket", "limit", "period_seconds", "burst", "shadow", "enabled", "updated_at")
    list_filter = ("shadow", "enabled")
    search_fields = ("bucket",)

    def changelist_view(self, request, extra_context=None):
        """Above the overrides, every rule in force (the defaults in settings too)."""
        context = {"rules_in_force": ratelimit.rules_in_force(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The bucket is picked from the ones the site knows: a typo would override nothing."""
        if db_field.name == "bucket":
            choices = [(bucket, bucket) for bucket in sorted(settings.RATE_LIMITS)]
            return forms.ChoiceField(choices=choices, label="Bucket", help_text=db_field.help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.save_rate_limit_rule(obj, actor=request.user)

    def delete_model(self, request, obj):
        services.delete_rate_limit_rule(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.delete_rate_limit_rule(rule, actor=request.user)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who looked at or changed what. Rows are written by `services.record_audit` and never
    edited or removed here: the list is read-only, with no add, change or delete."""

    list_display = ("created_at", "actor_email", "action", "target", "reason")
    list_filter = ("action", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("actor",)
    search_fields = ("=target_id", "actor__email")
    search_help_text = "A target id (exact) or part of the actor's email."
    list_per_page = 100
    fields = ("created_at", "actor_email", "action", "target", "reason", "before", "after", "data")
    readonly_fields = fields

    @admin.display(description="Actor", ordering="actor__email")
    def actor_email(self, entry):
        return entry.actor.email if entry.actor else "—"

    @admin.display(description="Target")
    def target(self, entry):
        """The target's own admin page when it has one (opening it may itself be audited)."""
        app_label, _, model = entry.target_type.partition(".")
        label = f"{model} {entry.target_id}"
        try:
            url = reverse(f"admin:{app_label}_{model}_change", args=[entry.target_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)
