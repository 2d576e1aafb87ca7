"""One conversation per student–instructor pair; state (active/archived/trashed) and read
markers are per user, so each side's inbox is their own."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from core.models import TimeStampedModel

MAX_MESSAGE_LENGTH = 2000


class Conversation(TimeStampedModel):
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(fields=["student", "instructor"], name="%(app_label)s_%(class)s_one_per_pair"),
            models.CheckConstraint(condition=~Q(student=F("instructor")), name="%(app_label)s_%(class)s_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.student.public_name} ↔ {self.instructor.public_name}"

    def other_party(self, user_id: str) -> str:
        return self.instructor_id if user_id == self.student_id else self.student_id


class Message(TimeStampedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    body = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    # What the recipient sees when contact details were masked at sending (empty: the body).
    masked_body = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, related_name="messages", null=True, blank=True
    )
    is_system = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="messaging_message_thread_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_system=True, sender__isnull=True) | Q(is_system=False, sender__isnull=False),
                name="%(app_label)s_%(class)s_sender_unless_system",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("body"), 1), LessThanOrEqual(Length("body"), MAX_MESSAGE_LENGTH)),
                name="%(app_label)s_%(class)s_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.body[:40]}"

    def body_for(self, user_id: str) -> str:
        """The text `user_id` may see: the sender reads what they typed, the recipient the
        masked version when contact details were hidden."""
        if self.masked_body and user_id != self.sender_id:
            return self.masked_body
        return self.body


class InboxState(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"
    TRASHED = "trashed", "Trash"


class ConversationState(TimeStampedModel):
    """One user's view of a conversation: which inbox folder it is in, and how far they read."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="states")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_states")
    state = models.CharField(max_length=10, choices=InboxState.choices, default=InboxState.ACTIVE)
    last_read_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # last unread-messages email

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="%(app_label)s_%(class)s_one_per_user"),
            models.CheckConstraint(
                condition=Q(state__in=InboxState.values), name="%(app_label)s_%(class)s_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "state"], name="messaging_state_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.state}"
