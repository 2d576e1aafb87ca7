"""Messaging API input and output.

Privacy: the other person of a conversation is shown only as `name` ("FirstName L."), never an
email, phone or last name. A message body is what the viewer may see: the sender reads what
they typed; the recipient reads the masked text when contact details were hidden because the
two had no confirmed lesson yet. Instants are UTC ISO 8601 (`...Z`).
"""

import datetime as dt

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import QuerySerializer, TextField, UTCDateTimeField
from messaging import selectors
from messaging.models import MAX_MESSAGE_LENGTH, Conversation, ConversationState, InboxState, Message

FOLDERS = InboxState.values
MAX_PAGE = 100
MASKED_NOTICE = (
    "Email addresses and phone numbers are hidden from {name} until you have a confirmed lesson together: "
    "lessons and payments stay on InstaInstru, where they are protected."
)


def viewer_id(serializer: serializers.Serializer) -> str:
    return serializer.context["request"].user.pk


# --- people --------------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    name = serializers.CharField(source="public_name", read_only=True, help_text='"FirstName L."')


class OtherPersonSerializer(PersonSerializer):
    # A plain string: the same two values as the no-show type would make the schema name one enum twice.
    role = serializers.CharField(read_only=True, help_text="Their side of the conversation: `student` or `instructor`.")


# --- conversations (inbox rows) ----------------------------------------------------------------


class LastMessageSerializer(serializers.Serializer):
    body = serializers.CharField(read_only=True, help_text="As the viewer may see it (masked for the recipient).")
    is_mine = serializers.BooleanField(read_only=True)
    is_system = serializers.BooleanField(read_only=True, help_text="A booking event, written by the platform.")


class ConversationSerializer(serializers.Serializer):
    """One conversation in the caller's inbox."""

    # Serializes a `messaging.selectors.inbox` row: the caller's ConversationState with the
    # conversation, both people and the unread/last-message annotations (no further queries).

    id = serializers.CharField(source="conversation_id", read_only=True)
    other = serializers.SerializerMethodField()
    last_message = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()
    state = serializers.ChoiceField(
        choices=FOLDERS, read_only=True, help_text="The viewer's folder for it (the other person has their own)."
    )
    last_read_at = UTCDateTimeField(read_only=True, allow_null=True, help_text="When the viewer last read it.")
    last_message_at = UTCDateTimeField(source="conversation.last_message_at", read_only=True, allow_null=True)

    @extend_schema_field(OtherPersonSerializer)
    def get_other(self, row: ConversationState) -> dict:
        conversation = row.conversation
        viewer_is_student = conversation.student_id == row.user_id
        other = conversation.instructor if viewer_is_student else conversation.student
        return {"id": other.pk, "name": other.public_name, "role": "instructor" if viewer_is_student else "student"}

    @extend_schema_field(LastMessageSerializer(allow_null=True))
    def get_last_message(self, row: ConversationState) -> dict | None:
        if row.last_body is None:
            return None
        mine = row.last_sender == row.user_id
        masked = row.last_masked_body and not mine
        return {
            "body": row.last_masked_body if masked else row.last_body,
            "is_mine": mine,
            "is_system": row.last_sender is None,
        }

    @extend_schema_field(serializers.IntegerField(help_text="Messages from the other side not yet read."))
    def get_unread(self, row: ConversationState) -> int:
        return row.unread or 0


class FolderQuerySerializer(QuerySerializer):
    folder = serializers.ChoiceField(
        choices=FOLDERS, default=InboxState.ACTIVE, help_text="Which of the viewer's folders to list."
    )


class StartConversationSerializer(serializers.Serializer):
    instructor_id = TextField(max_length=64, help_text="The instructor's profile id.")
    body = TextField(max_length=MAX_MESSAGE_LENGTH, help_text="The first message.")


# --- messages ------------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    """A message as the caller sees it."""

    # Needs `request` and `conversation` in the context, the conversation with both people and their
    # states loaded (as `selectors.conversation_for` returns it), so no message costs a query.

    sender = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    booking_id = serializers.CharField(read_only=True, allow_null=True)
    is_mine = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()
    read_by_other = serializers.SerializerMethodField()
    created_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "body", "is_system", "booking_id", "created_at", "is_mine", "masked", "read_by_other"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_sender(self, message: Message) -> dict | None:
        if message.sender_id is None:
            return None
        conversation: Conversation = self.context["conversation"]
        person = conversation.student if message.sender_id == conversation.student_id else conversation.instructor
        return {"id": person.pk, "name": person.public_name}

    @extend_schema_field(serializers.CharField(help_text="As the viewer may see it (masked for the recipient)."))
    def get_body(self, message: Message) -> str:
        return message.body_for(viewer_id(self))

    @extend_schema_field(serializers.BooleanField())
    def get_is_mine(self, message: Message) -> bool:
        return message.sender_id == viewer_id(self)

    @extend_schema_field(
        serializers.BooleanField(help_text="Contact details in it were hidden from the recipient (no lesson yet).")
    )
    def get_masked(self, message: Message) -> bool:
        return bool(message.masked_body)

    @extend_schema_field(
        serializers.BooleanField(
            allow_null=True,
            help_text="For the viewer's own messages: the other person has read it. Null for theirs.",
        )
    )
    def get_read_by_other(self, message: Message) -> bool | None:
        if message.sender_id != viewer_id(self):
            return None
        read_at = other_last_read_at(self.context["conversation"], viewer_id(self))
        return read_at is not None and read_at >= message.created_at


def other_last_read_at(conversation: Conversation, user_id: str) -> dt.datetime | None:
    """When the other person last read (from the prefetched states: no query)."""
    for state in conversation.states.all():
        if state.user_id != user_id:
            return state.last_read_at
    return None


class SentMessageSerializer(MessageSerializer):
    """The message just sent; `notice` tells the sender when contact details were hidden."""

    notice = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "notice"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Why contact details were hidden, when they were.")
    )
    def get_notice(self, message: Message) -> str | None:
        if not message.masked_body:
            return None
        conversation: Conversation = self.context["conversation"]
        other = conversation.instructor if conversation.student_id == viewer_id(self) else conversation.student
        return MASKED_NOTICE.format(name=other.public_name)


class StartedConversationSerializer(ConversationSerializer):
    """The conversation, with the message just sent."""

    message = serializers.SerializerMethodField()

    @extend_schema_field(SentMessageSerializer)
    def get_message(self, row: ConversationState) -> dict:
        return SentMessageSerializer(self.context["message"], context=self.context).data


class ThreadSerializer(serializers.Serializer):
    results = MessageSerializer(many=True, read_only=True, help_text="Oldest first.")
    has_older = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Older messages exist (page with `before`). Null with `after`."
    )
    other_last_read_at = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="When the other person last read: refreshes `read_by_other`."
    )


@extend_schema_field(OpenApiTypes.STR)
class CursorField(serializers.Field):
    """A point in the thread: an ISO 8601 instant with its UTC offset, or a message id of this
    conversation (needs `conversation` in the context). Becomes an aware datetime."""

    MAX_LENGTH = 64
    default_error_messages = {
        "invalid": "Give an ISO 8601 instant or a message id.",
        "naive": "Include the UTC offset, e.g. 2026-12-03T15:00:00Z.",
        "unknown": "No such message in this conversation.",
    }

    def to_internal_value(self, data) -> dt.datetime:
        if not isinstance(data, str) or not data.strip() or len(data) > self.MAX_LENGTH:
            self.fail("invalid")
        text = data.strip()
        try:
            instant = parse_datetime(text)
        except ValueError:  # well-formed but impossible, e.g. month 13
            self.fail("invalid")
        if instant is not None:
            if instant.tzinfo is None:
                self.fail("naive")
            return instant
        created_at = message_sent_at(self.context["conversation"], text)
        if created_at is None:
            self.fail("unknown")
        return created_at

    def to_representation(self, value):
        return value


def message_sent_at(conversation: Conversation, message_id: str) -> dt.datetime | None:
    """When a message of this conversation was sent (None if it is not one of its messages)."""
    return conversation.messages.filter(pk=message_id).values_list("created_at", flat=True).first()


class ThreadQuerySerializer(QuerySerializer):
    before = CursorField(required=False, help_text="Page back: messages older than this instant or message id.")
    after = CursorField(
        required=False,
        help_text="Poll: every message newer than this instant or message id (e.g. the newest one shown).",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE, default=selectors.THREAD_PAGE_SIZE, help_text="Page size (with `before`)."
    )

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError({"after": ["Use either before or after, not both."]})
        return attrs


class SendMessageSerializer(serializers.Serializer):
    body = TextField(max_length=MAX_MESSAGE_LENGTH)


# --- state ---------------------------------------------------------------------------------------


class InboxStateRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=FOLDERS, help_text="`archived` or `trashed` files it away for you only; `active` restores it."
    )


class InboxStateSerializer(serializers.ModelSerializer):
    conversation_id = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=FOLDERS, read_only=True)
    last_read_at = UTCDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ConversationState
        fields = ["conversation_id", "state", "last_read_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True, help_text="All unread messages, whatever folder they are in.")
