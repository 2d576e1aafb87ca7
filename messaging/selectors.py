"""Reads for inboxes, threads and the unread badge, each a fixed number of queries."""

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from instructors.models import InstructorProfile

from .models import Conversation, ConversationState, InboxState, Message

EPOCH = Value(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
THREAD_PAGE_SIZE = 30


def unread_for_state() -> QuerySet[Message]:
    """Messages in a state's conversation, from the other side (or the system), after the
    state's user last read. With no argument, relative to the outer ConversationState."""
    return Message.objects.filter(
        conversation=OuterRef("conversation"), created_at__gt=Coalesce(OuterRef("last_read_at"), EPOCH)
    ).exclude(sender=OuterRef("user"))


def unread_count(user: User) -> int:
    """All unread messages of the user, whatever inbox folder they are in. One query."""
    unread_for_user = ConversationState.objects.filter(conversation=OuterRef("conversation"), user=user).filter(
        Q(last_read_at__isnull=True) | Q(last_read_at__lt=OuterRef("created_at"))
    )
    return Message.objects.filter(Exists(unread_for_user)).exclude(sender=user).count()


def inbox(user: User, state: str = InboxState.ACTIVE) -> QuerySet[ConversationState]:
    """The user's conversations in one folder, newest activity first, with the other person,
    the last message and this user's unread count (a fixed number of queries)."""
    last_message = Message.objects.filter(conversation=OuterRef("conversation")).order_by("-created_at")
    return (
        ConversationState.objects.filter(user=user, state=state, conversation__last_message_at__isnull=False)
        .select_related("conversation__student", "conversation__instructor")
        .annotate(
            unread=Subquery(
                unread_for_state().order_by().values("conversation").annotate(n=Count("pk")).values("n")[:1]
            ),
            last_body=Subquery(last_message.values("body")[:1]),
            last_masked_body=Subquery(last_message.values("masked_body")[:1]),
            last_sender=Subquery(last_message.values("sender")[:1]),
        )
        .order_by("-conversation__last_message_at")
    )


def folder_counts(user: User) -> dict[str, int]:
    rows = (
        ConversationState.objects.filter(user=user, conversation__last_message_at__isnull=False)
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(InboxState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def conversation_for(user: User, conversation_id: str) -> Conversation | None:
    """The conversation only if `user` takes part in it (ownership), with both people."""
    return (
        Conversation.objects.filter(pk=conversation_id, states__user=user)
        .select_related("student", "instructor")
        .prefetch_related(Prefetch("states", queryset=ConversationState.objects.all()))
        .first()
    )


def thread_page(
    conversation: Conversation,
    *,
    before: dt.datetime | None = None,
    before_id: str | None = None,
    limit: int = THREAD_PAGE_SIZE,
) -> tuple[list[Message], bool]:
    """The newest `limit` messages older than the cursor (created_at, then id: messages sent
    in the same instant are neither lost nor repeated), oldest first, and whether older exist."""
    messages = conversation.messages.select_related("booking")
    if before is not None:
        older = Q(created_at__lt=before)
        if before_id:
            older |= Q(created_at=before, id__lt=before_id)
        messages = messages.filter(older)
    newest_first = list(messages.order_by("-created_at", "-id")[: limit + 1])
    return list(reversed(newest_first[:limit])), len(newest_first) > limit


def messages_after(conversation: Conversation, after: dt.datetime, limit: int = 100) -> list[Message]:
    """New messages for polling (bounded: a stale cursor never returns a whole thread)."""
    newer = conversation.messages.select_related("booking").filter(created_at__gt=after)
    return list(newer.order_by("created_at", "id")[:limit])


def states_due_a_notice(cutoff: dt.datetime) -> QuerySet[ConversationState]:
    """States whose oldest unread message is older than `cutoff` and that were not emailed
    since that message arrived: one notice per unread batch."""
    first_unread = unread_for_state().order_by("created_at").values("created_at")[:1]
    return (
        ConversationState.objects.annotate(first_unread=Subquery(first_unread))
        .filter(first_unread__lte=cutoff)
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=F("first_unread")))
    )


def instructor_profile_of(conversation: Conversation) -> dict | None:
    """The conversation's instructor profile id and whether it is public (one small read):
    for the "View profile" link and for linking booking notes to the booking page."""

    return InstructorProfile.objects.filter(user_id=conversation.instructor_id).values("pk", "is_live").first()


def started_conversation_id(*, student: User, instructor_id: str) -> str | None:
    """The pair's conversation, if anything was said in it yet."""
    return (
        Conversation.objects.filter(student=student, instructor_id=instructor_id, last_message_at__isnull=False)
        .values_list("pk", flat=True)
        .first()
    )
