"""Privacy in the operations console. Data exports: read-only, to answer "where is my export?";
the zip itself is never shown or offered (staff cannot download another person's data from here).
Deleting a person's account on their request: a page reached from the person's admin page."""

from functools import partial

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from accounts.models import User
from core.admin import reason_page

from . import erasure
from .models import ExportRequest

ERASE_USER = "accounts.erase_user"


@admin.register(ExportRequest)
class ExportRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "status", "progress", "created_at", "finished_at", "expires_at", "archive_size")
    list_filter = ("status",)
    search_fields = ("user__email", "id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = ("user", "status", "progress", "archive_size", "created_at", "started_at", "finished_at", "expires_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("archive")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- deleting a person's account on their request -------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.erase_user_view)
        return [path("erase/<path:user_id>/", view, name="privacy_erase_user"), *super().get_urls()]

    def erase_user_view(self, request, user_id):
        """The same erasure a person runs from Settings, run by staff on the person's written
        request: the same preview first, a reason kept in the audit log."""
        if not request.user.has_perm(ERASE_USER):
            raise PermissionDenied
        person = get_object_or_404(User, pk=user_id)
        preview = erasure.erasure_preview(person)
        return reason_page(
            self,
            request,
            run=partial(erasure.erase_account, user=person, actor=request.user),
            said=lambda cancelled: f"The account is deleted; {cancelled} lesson(s) cancelled.",
            back_to=reverse("admin:accounts_user_change", args=[person.pk]),
            template="admin/privacy/erase_user.html",
            context={
                "title": "Delete this person's account",
                "subtitle": person.email,
                "opts": User._meta,
                "person": person,
                "preview": preview,
                "form": EraseRequestForm(request.POST or None),
            },
            ready=not preview.blocker,
        )


class EraseRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        help_text="The request and how you checked it is them (kept in the audit log): 'Email of 3 Dec; called back'.",
    )
