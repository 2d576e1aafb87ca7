"""Every change to conversations: start, send, read, file away, restore, system messages,
and the unread-messages email."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking, BookingStatus
from core import ratelimit
from core.exceptions import InvalidInput, NotFound
from core.timeutil import now as current_time

from . import selectors
from .masking import mask_contact_details
from .models import MAX_MESSAGE_LENGTH, Conversation, ConversationState, InboxState, Message

log = logging.getLogger("messaging")
SEND_BUCKET = "send_message"
LESSON_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class NotACounterpart(InvalidInput):
    code = "not_a_counterpart"
    default_message = "Messages go between a student and an instructor."


# --- conversations ----------------------------------------------------------------------------


def start_conversation(*, student: User, instructor: User) -> Conversation:
    """The pair's one conversation, created on first contact (race-safe)."""
    if student.pk == instructor.pk:
        raise NotACounterpart("You can't message yourself.")
    if not hasattr(instructor, "instructor_profile") or not instructor.has_perm("instructors.teach"):
        raise NotACounterpart("You can only message instructors.")
    if not student.has_perm("accounts.book_lessons"):
        raise NotACounterpart("Only students can start a conversation with an instructor.")
    return _conversation_between(student_id=student.pk, instructor_id=instructor.pk)


def _conversation_between(*, student_id: str, instructor_id: str) -> Conversation:
    """Get or create the pair's conversation and both people's inbox states (race-safe)."""
    conversation = Conversation.objects.filter(student_id=student_id, instructor_id=instructor_id).first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(student_id=student_id, instructor_id=instructor_id)
            ConversationState.objects.bulk_create(
                [ConversationState(conversation=conversation, user_id=pk) for pk in (student_id, instructor_id)]
            )
            return conversation
    except IntegrityError:  # the other side (or a double click) created it first
        return Conversation.objects.get(student_id=student_id, instructor_id=instructor_id)


def _participant_state(conversation: Conversation, user: User) -> ConversationState:
    state = ConversationState.objects.filter(conversation=conversation, user=user).first()
    if state is None:
        raise NotFound("No such conversation.")
    return state


def have_a_lesson(conversation: Conversation) -> bool:
    """Contact details show once the two have a confirmed (or held) lesson together."""
    return Booking.objects.filter(
        student_id=conversation.student_id, instructor__user_id=conversation.instructor_id, status__in=LESSON_STATUSES
    ).exists()


# --- sending ------------------------------------------------------------------------------------


def send_message(*, sender: User, conversation: Conversation, body: str) -> Message:
    """Send a message (rate-limited). Contact details are masked for the recipient until the
    two have a confirmed lesson; `message.masked_body` tells the sender it happened."""
    ratelimit.enforce(SEND_BUCKET, sender.pk)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a message first.", fields={"body": "Empty message."})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(f"Keep messages to {MAX_MESSAGE_LENGTH} characters.", fields={"body": "Too long."})
    with transaction.atomic():
        sender_state = _participant_state(conversation, sender)
        masked = "" if have_a_lesson(conversation) else mask_contact_details(body)
        message = Message.objects.create(
            conversation=conversation, sender=sender, body=body, masked_body=masked if masked != body else ""
        )
        _after_new_message(conversation, message)
        sender_state.last_read_at = message.created_at  # you have read what you wrote
        sender_state.save(update_fields=["last_read_at", "updated_at"])
    return message


def _after_new_message(conversation: Conversation, message: Message) -> None:
    """A new message brings the conversation back to Active for both people."""
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    conversation.last_message_at = message.created_at
    ConversationState.objects.filter(conversation=conversation).exclude(state=InboxState.ACTIVE).update(
        state=InboxState.ACTIVE, updated_at=message.created_at
    )


def post_system_message(*, booking: Booking, text: str) -> Message:
    """A booking event, written into the student–instructor conversation."""
    conversation = _conversation_between(student_id=booking.student_id, instructor_id=booking.instructor.user_id)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, body=text[:MAX_MESSAGE_LENGTH], booking=booking, is_system=True
        )
        _after_new_message(conversation, message)
    return message


# --- reading and filing --------------------------------------------------------------------------


def mark_read(*, user: User, conversation: Conversation) -> ConversationState:
    state = _participant_state(conversation, user)
    latest = conversation.messages.order_by("-created_at").values_list("created_at", flat=True).first()
    if latest and (state.last_read_at is None or latest > state.last_read_at):
        state.last_read_at = latest
        state.save(update_fields=["last_read_at", "updated_at"])
    return state


def set_inbox_state(*, user: User, conversation: Conversation, state: str) -> ConversationState:
    """Archive, trash or restore (to active) the conversation for this user only."""
    if state not in InboxState.values:
        raise InvalidInput("Choose active, archived or trashed.", fields={"state": "Unknown folder."})
    row = _participant_state(conversation, user)
    if row.state != state:
        row.state = state
        row.save(update_fields=["state", "updated_at"])
    return row


# --- the unread-messages email -----------------------------------------------------------------


def send_unread_notices(*, now: dt.datetime | None = None) -> int:
    """One email per unread batch: messages that waited unread longer than the delay, not
    emailed about since the first of them arrived. Idempotent and safe to run concurrently."""
    now = now or current_time()
    cutoff = now - dt.timedelta(seconds=settings.MESSAGE_NOTICE_DELAY_SECONDS)
    sent = 0
    for state_id in selectors.states_due_a_notice(cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            state = (
                selectors.states_due_a_notice(cutoff)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "conversation")
                .filter(pk=state_id)
                .first()
            )
            if state is None:
                continue  # read, notified or locked by a concurrent run meanwhile
            _email_notice(state)
            state.notified_at = now
            state.save(update_fields=["notified_at", "updated_at"])
            sent += 1
    return sent


def _email_notice(state: ConversationState) -> None:
    conversation = state.conversation
    other = User.objects.get(pk=conversation.other_party(state.user_id))
    link = settings.SITE_URL + reverse("messaging:conversation", args=[conversation.pk])
    context = {"user": state.user, "other_name": other.public_name, "link": link}
    send_mail(
        subject=f"New message from {other.public_name} on InstaInstru",
        message=render_to_string("messaging/email/unread_notice.txt", context),
        from_email=None,
        recipient_list=[state.user.email],
    )
    log.info("unread notice sent state=%s", state.pk)
