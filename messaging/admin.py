"""Conversations in the operations console, for support staff handling a dispute.

View-only: conversations and messages come from the people using the site; nothing here adds,
changes or deletes them. Reading is allowed to staff holding `messaging.view_conversation`
(support, admin) and every opening of a conversation's page writes one audit-log row
(`core.services.record_audit`, action `view_conversation`). The changelist shows who talked and
when, never what was said, so it is not audited per row. Staff see full bodies (what was typed)
and, where contact details were hidden from the recipient, what the recipient saw.
"""

from django.contrib import admin
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from core.admin import ReadOnlyAdminMixin
from core.services import record_audit

from .models import Conversation, ConversationState, Message

VIEW_CONVERSATION = "messaging.view_conversation"
PRIVATE_DETAILS = "accounts.view_private_details"
AUDIT_ACTION = "view_conversation"


def sees_private_details(request) -> bool:
    return request.user.has_perm(PRIVATE_DETAILS)


def person(user, *, private: bool) -> str:
    if user is None:
        return "InstaInstru (system)"
    if private:
        return format_html('{}<br><span class="quiet">{}</span>', user.public_name, user.email)
    return user.public_name


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Part of a conversation's page: shown to whoever may read the conversation, never edited."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_CONVERSATION)


class StateInline(ReadOnlyInline):
    model = ConversationState
    verbose_name = "inbox of"
    verbose_name_plural = "each person's inbox"
    fields = ("owner", "state", "last_read_at", "notified_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").order_by("user__first_name", "pk")

    @admin.display(description="Person")
    def owner(self, state):
        return person(state.user, private=sees_private_details(self.request))

    def get_formset(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_formset(request, obj, **kwargs)


class MessageInline(ReadOnlyInline):
    model = Message
    verbose_name_plural = "messages (oldest first)"
    fields = ("created_at", "from_whom", "body", "recipient_saw", "lesson")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender").order_by("created_at", "id")

    def get_formset(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="From")
    def from_whom(self, message):
        return person(message.sender, private=sees_private_details(self.request))

    @admin.display(description="Recipient saw")
    def recipient_saw(self, message):
        return message.masked_body or "(as typed)"

    @admin.display(description="Lesson")
    def lesson(self, message):
        if message.booking_id is None:
            return "—"
        url = reverse("admin:bookings_booking_change", args=[message.booking_id])
        return format_html('<a href="{}">{}</a>', url, message.booking_id)


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):  # conversations come from the site
    list_select_related = ("student", "instructor")
    list_filter = (("last_message_at", admin.DateFieldListFilter),)
    list_display_links = ("last_activity",)
    list_per_page = 50
    ordering = (F("last_message_at").desc(nulls_last=True), "pk")
    inlines = [StateInline, MessageInline]
    readonly_fields = (
        "id",
        "student_private",
        "student_public",
        "instructor_private",
        "instructor_public",
        "last_message_at",
        "message_count",
        "created_at",
    )

    def get_queryset(self, request):
        count = (
            Message.objects.filter(conversation=OuterRef("pk"))
            .order_by()
            .values("conversation")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("student", "instructor")
            .annotate(message_count=Coalesce(Subquery(count, output_field=IntegerField()), 0))
        )

    def get_list_display(self, request):
        who = "private" if sees_private_details(request) else "public"
        return ("last_activity", f"student_{who}", f"instructor_{who}", "message_count")

    def get_search_fields(self, request):
        if sees_private_details(request):
            return ("=id", "student__email", "instructor__email")
        return ("=id",)

    def get_fields(self, request, obj=None):
        who = "private" if sees_private_details(request) else "public"
        return ["id", f"student_{who}", f"instructor_{who}", ("last_message_at", "message_count"), "created_at"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show the conversation, and audit that this staff member read it. Refusals (no
        permission: 403) raise before this point and an unknown id redirects, so only a page
        that shows the messages writes a row."""
        response = super().change_view(request, object_id, form_url, extra_context)
        conversation = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and conversation is not None:
            response.context_data["subtitle"] = (
                f"{conversation.student.public_name} ↔ {conversation.instructor.public_name}"
            )
            record_audit(actor=request.user, action=AUDIT_ACTION, target=conversation, path=request.path)
        return response

    # --- columns and fields ---

    @admin.display(description="Last message", ordering=F("last_message_at").desc(nulls_last=True))
    def last_activity(self, conversation):
        return (
            date_format(localtime(conversation.last_message_at), "DATETIME_FORMAT")
            if conversation.last_message_at
            else "No messages yet"
        )

    @admin.display(description="Student", ordering="student__first_name")
    def student_private(self, conversation):
        return person(conversation.student, private=True)

    @admin.display(description="Student", ordering="student__first_name")
    def student_public(self, conversation):
        return conversation.student.public_name

    @admin.display(description="Instructor", ordering="instructor__first_name")
    def instructor_private(self, conversation):
        return person(conversation.instructor, private=True)

    @admin.display(description="Instructor", ordering="instructor__first_name")
    def instructor_public(self, conversation):
        return conversation.instructor.public_name

    @admin.display(description="Messages", ordering="message_count")
    def message_count(self, conversation):
        return conversation.message_count
