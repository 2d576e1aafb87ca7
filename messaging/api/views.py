"""The messaging API: the same services and selectors as the HTML inbox, one endpoint per operation.

Ownership: a conversation is looked up among the caller's own (`selectors.conversation_for`);
anyone else's is a 404 `not_found`, exactly like one that does not exist. Domain errors from
the services (`not_a_counterpart`, `rate_limited` with a `Retry-After` header, ...) come back
through core.api.exception_handler with their own code and status.
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_response
from instructors.selectors import live_profiles
from messaging import selectors, services
from messaging.models import Conversation, InboxState

from .serializers import (
    ConversationSerializer,
    FolderQuerySerializer,
    InboxStateRequestSerializer,
    InboxStateSerializer,
    SendMessageSerializer,
    SentMessageSerializer,
    StartConversationSerializer,
    StartedConversationSerializer,
    ThreadQuerySerializer,
    ThreadSerializer,
    UnreadCountSerializer,
    other_last_read_at,
)

TAGS = ["messages"]


# What only these endpoints answer; core.openapi adds the errors every route shares.
ERRORS = {
    400: error_response("Writing to someone who is not your student–instructor counterpart: `not_a_counterpart`."),
    429: error_response("Sending too fast (`rate_limited`, with `retry_after` seconds and a `Retry-After` header)."),
}


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _valid(serializer_class, data, **context) -> dict:
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _own_conversation(user, conversation_id: str) -> Conversation:
    conversation = selectors.conversation_for(user, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def _inbox_row(user, conversation: Conversation):
    """The caller's inbox row for a conversation (in whichever folder it is)."""
    for folder in InboxState.values:
        row = selectors.inbox(user, folder).filter(conversation=conversation).first()
        if row is not None:
            return row
    raise NotFound("No such conversation.")


class ConversationListCreate(GenericAPIView):
    """The caller's inbox, one folder at a time; POST writes to an instructor."""

    serializer_class = ConversationSerializer
    filter_backends: list = []

    @extend_schema(
        tags=TAGS,
        summary="My conversations",
        description="One folder of the caller's inbox, latest activity first. Folders are per person: "
        "archiving or trashing a conversation moves it for you only, and a new message brings it back "
        "to `active`.",
        parameters=[FolderQuerySerializer],
        responses={200: ConversationSerializer(many=True)},
    )
    def get(self, request):
        folder = _valid(FolderQuerySerializer, request.query_params)["folder"]
        page = self.paginate_queryset(selectors.inbox(request.user, folder))
        return self.get_paginated_response(ConversationSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Message an instructor",
        description="A student writes to an instructor: starts the pair's one conversation (or reuses it) and "
        "sends the first message. Until the two have a confirmed lesson, email addresses and phone numbers "
        "in it are hidden from the instructor (`message.masked`, with `message.notice` saying why).",
        request=StartConversationSerializer,
        responses={201: StartedConversationSerializer, **_errors(400, 429)},
    )
    def post(self, request):
        data = _valid(StartConversationSerializer, request.data)
        profile = live_profiles().select_related("user").filter(pk=data["instructor_id"]).first()
        if profile is None:
            raise ValidationError({"instructor_id": ["No such instructor."]})
        with transaction.atomic():  # a refused first message leaves no empty conversation behind
            conversation = services.start_conversation(student=request.user, instructor=profile.user)
            message = services.send_message(sender=request.user, conversation=conversation, body=data["body"])
        conversation = _own_conversation(request.user, conversation.pk)
        context = {"request": request, "conversation": conversation, "message": message}
        row = _inbox_row(request.user, conversation)
        return Response(StartedConversationSerializer(row, context=context).data, status=status.HTTP_201_CREATED)


class ConversationMessages(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Messages of a conversation",
        description="Without a cursor: the newest `limit` messages, oldest first, and whether older ones exist. "
        "`before` pages back from an instant or a message id; `after` returns every newer message (polling). "
        "Bodies are as the caller may see them; `read_by_other` marks the caller's own messages the other "
        "person has read. Reading does not mark the conversation read: `POST .../read/` does.",
        parameters=[ThreadQuerySerializer],
        responses={200: ThreadSerializer},
    )
    def get(self, request, conversation_id):
        conversation = _own_conversation(request.user, conversation_id)
        query = _valid(ThreadQuerySerializer, request.query_params, conversation=conversation)
        if "after" in query:
            messages, has_older = selectors.messages_after(conversation, query["after"]), None
        else:
            messages, has_older = selectors.thread_page(conversation, before=query.get("before"), limit=query["limit"])
        thread = {
            "results": messages,
            "has_older": has_older,
            "other_last_read_at": other_last_read_at(conversation, request.user.pk),
        }
        return Response(ThreadSerializer(thread, context={"request": request, "conversation": conversation}).data)

    @extend_schema(
        tags=TAGS,
        summary="Send a message",
        description="Rate-limited per sender (429 `rate_limited` with `Retry-After`). Until the two have a "
        "confirmed lesson, email addresses and phone numbers are hidden from the recipient: the answer then "
        "has `masked: true` and a `notice` for the sender.",
        request=SendMessageSerializer,
        responses={201: SentMessageSerializer, **_errors(429)},
    )
    def post(self, request, conversation_id):
        conversation = _own_conversation(request.user, conversation_id)
        data = _valid(SendMessageSerializer, request.data)
        message = services.send_message(sender=request.user, conversation=conversation, body=data["body"])
        context = {"request": request, "conversation": conversation}
        return Response(SentMessageSerializer(message, context=context).data, status=status.HTTP_201_CREATED)


class MarkRead(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Mark a conversation read",
        description="Everything in it up to its latest message counts as read by the caller.",
        request=None,
        responses={200: InboxStateSerializer},
    )
    def post(self, request, conversation_id):
        conversation = _own_conversation(request.user, conversation_id)
        state = services.mark_read(user=request.user, conversation=conversation)
        return Response(InboxStateSerializer(state).data)


class SetInboxState(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Archive, trash or restore a conversation",
        description="Moves the conversation between the caller's folders; the other person's inbox is unchanged.",
        request=InboxStateRequestSerializer,
        responses={200: InboxStateSerializer},
    )
    def post(self, request, conversation_id):
        conversation = _own_conversation(request.user, conversation_id)
        data = _valid(InboxStateRequestSerializer, request.data)
        state = services.set_inbox_state(user=request.user, conversation=conversation, state=data["state"])
        return Response(InboxStateSerializer(state).data)


class UnreadCount(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Unread messages",
        description="The header badge: every unread message of the caller, whatever folder it is in.",
        responses={200: UnreadCountSerializer},
    )
    def get(self, request):
        return Response({"unread": selectors.unread_count(request.user)})
