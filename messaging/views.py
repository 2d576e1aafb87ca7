"""Messaging pages: the inbox (Active / Archived / Trash), a conversation (paged history,
htmx polling for new messages, read receipts), sending, filing a conversation away, the
compose page from an instructor's profile, and the header badge. Views parse input, call a
service or selector, and render; a conversation you are not part of is a 404.

htmx contract: the thread is `#thread-list` (one `<li class="msg">` per message, carrying its
id and a microsecond cursor in `data-at`). The poll and the send form both send the last
cursor shown (`after`, read from the page by static/js/messaging.js) and get the newer
messages back as out-of-band appends; the script drops duplicates, so a poll and a send that
cross in flight cannot show a message twice. Without JavaScript every action is a plain
form POST followed by a redirect."""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.exceptions import DomainError, RateLimited
from core.forms import Submitted, apply_domain_error, form_data, submit
from core.timeutil import now as current_time
from instructors import selectors as instructor_selectors

from . import selectors, services
from .forms import InboxStateForm, MessageForm
from .masking import EMAIL_MASK, PHONE_MASK
from .models import Conversation, ConversationState, InboxState, Message

BOOK_LESSONS = "accounts.book_lessons"
INBOX_PAGE_SIZE = 25
INBOX_TARGET = "inbox-list"
STOP_POLLING = 286  # htmx stops a polling element that gets this status
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_CURSOR = 10**17  # microseconds: far beyond any real date, keeps parsing bounded

FOLDERS = (
    (InboxState.ACTIVE, "Active"),
    (InboxState.ARCHIVED, "Archived"),
    (InboxState.TRASHED, "Trash"),
)
COMES_BACK = "It comes back to your inbox when a new message arrives."
FILED = {
    InboxState.ACTIVE: "Moved back to your inbox.",
    InboxState.ARCHIVED: "Archived your conversation with {name}. " + COMES_BACK,
    InboxState.TRASHED: "Moved your conversation with {name} to Trash. " + COMES_BACK,
}


# --- small helpers ------------------------------------------------------------------------------


def to_cursor(instant: dt.datetime) -> str:
    """An instant as whole microseconds since the epoch: exact, and safe in a URL."""
    return str((instant - EPOCH) // dt.timedelta(microseconds=1))


def from_cursor(raw: str | None) -> dt.datetime | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    if not 0 <= value < MAX_CURSOR:
        return None
    return EPOCH + dt.timedelta(microseconds=value)


def when_label(instant: dt.datetime, now: dt.datetime, *, with_time: bool = True) -> str:
    """Short, in the viewer's zone: "3:04 PM", "Yesterday, 3:04 PM", "Mon, 3:04 PM",
    "Dec 1, 3:04 PM", "Dec 1, 2025, 3:04 PM" (without the time, today still shows the time)."""
    local = timezone.localtime(instant)
    days = (timezone.localtime(now).date() - local.date()).days
    time = dateformat.format(local, "g:i A")
    if days <= 0:
        return time
    if days == 1:
        day = "Yesterday"
    elif days < 7:
        day = dateformat.format(local, "D")
    elif local.year == timezone.localtime(now).year:
        day = dateformat.format(local, "M j")
    else:
        day = dateformat.format(local, "M j, Y")
    return f"{day}, {time}" if with_time else day


def _vary(response):
    # The same URL answers with a whole page or an htmx fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _conversation_or_404(request, conversation_id: str) -> Conversation:
    conversation = selectors.conversation_for(request.user, conversation_id)
    if conversation is None:
        raise Http404("No such conversation")
    return conversation


def _other_person(conversation: Conversation, user) -> User:
    return conversation.instructor if user.pk == conversation.student_id else conversation.student


def _state_of(conversation: Conversation, user_id: str) -> ConversationState | None:
    return next((state for state in conversation.states.all() if state.user_id == user_id), None)


def _instructor_profile(conversation: Conversation) -> dict | None:
    return selectors.instructor_profile_of(conversation)


def masked_notice(message: Message, other_name: str) -> str:
    if not message.masked_body:
        return ""
    hidden = [
        label
        for mask, label in ((EMAIL_MASK, "email address"), (PHONE_MASK, "phone number"))
        if mask in message.masked_body
    ]
    what = " and ".join(hidden) if hidden else "contact details"
    return (
        f"We hid the {what} in your message from {other_name} until you have a confirmed lesson together "
        "— keeping lessons and payments on InstaInstru protects you both."
    )


def rate_limited_text(error: RateLimited) -> str:
    seconds = max(1, int(error.retry_after))
    return f"You're sending messages too fast — try again in {seconds} second{'s' if seconds != 1 else ''}."


def _show_not_sent(form, error: DomainError) -> None:
    """Say on the form why the message was not sent (a rate limit in the site's own words)."""
    if isinstance(error, RateLimited):
        form.add_error(None, rate_limited_text(error))
    else:
        apply_domain_error(form, error)


def _answer_for(sent: Submitted) -> tuple[int, int | None]:
    """The status (and Retry-After) a sending page answers with."""
    if sent.ok:
        return 200, None
    retry_after = max(1, int(sent.error.retry_after)) if isinstance(sent.error, RateLimited) else None
    return (sent.status if 400 <= sent.status < 500 else 400), retry_after


# --- the thread ---------------------------------------------------------------------------------


@dataclass
class Thread:
    """What the conversation templates need about the two people."""

    conversation: Conversation
    viewer: User

    @property
    def other(self) -> User:
        return _other_person(self.conversation, self.viewer)

    @property
    def other_name(self) -> str:
        return self.other.public_name

    @property
    def other_state(self) -> ConversationState | None:
        return _state_of(self.conversation, self.conversation.other_party(self.viewer.pk))

    @property
    def viewer_is_student(self) -> bool:
        return self.viewer.pk == self.conversation.student_id

    @cached_property
    def profile(self) -> dict | None:
        """The instructor's profile {pk, is_live}: read only when a page needs it."""
        return _instructor_profile(self.conversation)

    def booking_url(self, message: Message) -> str | None:
        """A booking note links to the booking page when the viewer is one of its people."""
        booking = message.booking if message.booking_id else None
        if booking is None:
            return None
        if self.viewer_is_student:
            mine = booking.student_id == self.viewer.pk
        else:
            mine = self.profile is not None and booking.instructor_id == self.profile["pk"]
        return reverse("bookings:detail", args=[booking.pk]) if mine else None

    def seen(self, message: Message) -> bool:
        state = self.other_state
        return state is not None and state.last_read_at is not None and state.last_read_at >= message.created_at


def _decorate(thread: Thread, items: list[Message], now: dt.datetime, *, receipts: bool) -> list[Message]:
    """Attach what the message template shows; the viewer's last message gets the receipt."""
    viewer_id = thread.viewer.pk
    for message in items:
        message.mine = message.sender_id == viewer_id
        message.text = message.body_for(viewer_id)
        message.when = when_label(message.created_at, now)
        message.cursor = to_cursor(message.created_at)
        message.hidden_from_other = message.mine and bool(message.masked_body)
        message.booking_url = thread.booking_url(message) if message.is_system else None
        message.receipt = None
    if receipts:
        last_mine = next((message for message in reversed(items) if message.mine), None)
        if last_mine is not None:
            last_mine.receipt = "seen" if thread.seen(last_mine) else "sent"
    return items


def _updates_context(request, thread: Thread, after: dt.datetime) -> dict:
    """Messages newer than the page's last one, and whether the viewer's last message has
    now been seen (for the poll and for the send response)."""
    now = current_time()
    conversation = thread.conversation
    new = selectors.messages_after(conversation, after)
    if any(message.sender_id != request.user.pk for message in new):
        services.mark_read(user=request.user, conversation=conversation)
    _decorate(thread, new, now, receipts=True)
    seen_id = None
    mine_at = from_cursor(request.POST.get("mine_at") or request.GET.get("mine_at"))
    mine_id = (request.POST.get("mine") or request.GET.get("mine") or "")[:26]
    if mine_id.isalnum() and mine_at is not None and not any(m.mine for m in new):
        read_at = thread.other_state.last_read_at if thread.other_state else None
        if read_at is not None and read_at >= mine_at:
            seen_id = mine_id
    theirs = [message for message in new if not message.mine]
    announce = ""
    if theirs:
        last = theirs[-1]
        announce = "New booking update." if last.is_system else f"New message from {thread.other_name}."
    return {"thread": thread, "new_messages": new, "seen_id": seen_id, "announce": announce}


def _after_param(request) -> dt.datetime | None:
    return from_cursor(request.POST.get("after") if request.method == "POST" else request.GET.get("after"))


# --- the inbox ----------------------------------------------------------------------------------


@dataclass
class InboxRow:
    conversation_id: str
    other_name: str
    other_initials: str
    preview: str
    from_me: bool
    is_system: bool
    unread: int
    when: str
    last_message_at: dt.datetime


def _inbox_row(state: ConversationState, user, now: dt.datetime) -> InboxRow:
    conversation = state.conversation
    other = _other_person(conversation, user)
    from_me = state.last_sender == user.pk
    preview = state.last_masked_body if (state.last_masked_body and not from_me) else state.last_body
    return InboxRow(
        conversation_id=conversation.pk,
        other_name=other.public_name,
        other_initials=f"{other.first_name[:1]}{other.last_name[:1]}".upper(),
        preview=" ".join((preview or "").split()),
        from_me=from_me,
        is_system=state.last_sender is None,
        unread=state.unread or 0,
        when=when_label(conversation.last_message_at, now, with_time=False),
        last_message_at=conversation.last_message_at,
    )


@login_required
@require_GET
def inbox(request):
    folder = request.GET.get("folder") or InboxState.ACTIVE
    if folder not in InboxState.values:
        folder = InboxState.ACTIVE
    page = Paginator(selectors.inbox(request.user, folder), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    now = current_time()
    counts = selectors.folder_counts(request.user)
    context = {
        "folder": folder,
        "folders": [(value, label, counts[value]) for value, label in FOLDERS],
        "folder_label": dict(FOLDERS)[folder],
        "page": page,
        "rows": [_inbox_row(state, request.user, now) for state in page.object_list],
        "is_student": request.user.has_perm(BOOK_LESSONS),
        "list_url": request.get_full_path(),
    }
    if request.htmx and request.htmx.target == INBOX_TARGET:
        return _vary(render(request, "messaging/_inbox_refresh.html", context))
    return _vary(render(request, "messaging/inbox.html", context))


# --- one conversation ---------------------------------------------------------------------------


@login_required
@require_GET
def conversation(request, conversation_id):
    conversation = _conversation_or_404(request, conversation_id)
    before = from_cursor(request.GET.get("before"))
    items, has_older = selectors.thread_page(conversation, before=before)
    url = reverse("messaging:conversation", args=[conversation.pk])
    context = {
        "conversation_url": url,
        "has_older": has_older,
        "older_cursor": to_cursor(items[0].created_at) if items else "",
    }
    if request.htmx and before is not None:  # "Load older messages", in place
        thread = Thread(conversation, request.user)
        context.update(thread=thread, messages_page=_decorate(thread, items, current_time(), receipts=False))
        return _vary(render(request, "messaging/_older.html", context))
    services.mark_read(user=request.user, conversation=conversation)  # opening it reads it
    return _vary(_conversation_page(request, conversation, items=items, before=before, context=context))


def _conversation_page(request, conversation, *, items, before, context, form=None, status=200):
    thread = Thread(conversation, request.user)
    viewer_state = _state_of(conversation, request.user.pk)
    context.update(
        thread=thread,
        messages_page=_decorate(thread, items, current_time(), receipts=before is None),
        before=before,
        folder=viewer_state.state if viewer_state else InboxState.ACTIVE,
        form=form or MessageForm(label="Your message"),
        send_url=reverse("messaging:send", args=[conversation.pk]),
        poll_url=reverse("messaging:poll", args=[conversation.pk]),
        state_url=reverse("messaging:set_state", args=[conversation.pk]),
        contact_hidden=not services.have_a_lesson(conversation),
        profile_url=(
            reverse("instructors:profile", args=[thread.profile["pk"]])
            if thread.viewer_is_student and thread.profile and thread.profile["is_live"]
            else None
        ),
    )
    return render(request, "messaging/conversation.html", context, status=status)


@require_POST
def send(request, conversation_id):
    page_url = reverse("messaging:conversation", args=[conversation_id])
    if not request.user.is_authenticated:
        if request.htmx:
            response = HttpResponse(status=401)
            response["HX-Redirect"] = f"{reverse('accounts:login')}?{urlencode({'next': page_url})}"
            return response
        return redirect_to_login(page_url)
    conversation = _conversation_or_404(request, conversation_id)
    form = MessageForm(request.POST, label="Your message")
    message, status, retry_after = None, 200, None
    if not form.is_valid():
        status = 400
    else:
        send = partial(
            services.send_message, sender=request.user, conversation=conversation, body=form.cleaned_data["body"]
        )
        sent = submit(form, send, show=_show_not_sent)
        message = sent.value
        status, retry_after = _answer_for(sent)
    other_name = _other_person(conversation, request.user).public_name
    notice = masked_notice(message, other_name) if message else ""

    if request.htmx:
        thread = Thread(conversation, request.user)
        if message is not None:
            form = MessageForm(label="Your message")  # a fresh, empty composer
        after = _after_param(request) or (message.created_at - dt.timedelta(microseconds=1) if message else None)
        context = {
            "thread": thread,
            "form": form,
            "send_url": request.path,
            "masked_notice": notice,
            "autofocus": True,
            **(_updates_context(request, thread, after) if after is not None else {}),
        }
        response = render(request, "messaging/_send_result.html", context, status=status)
    elif message is not None:
        if notice:
            messages.info(request, notice)
        return redirect(page_url)
    else:
        items, has_older = selectors.thread_page(conversation)
        services.mark_read(user=request.user, conversation=conversation)
        context = {
            "conversation_url": page_url,
            "has_older": has_older,
            "older_cursor": to_cursor(items[0].created_at) if items else "",
        }
        response = _conversation_page(
            request, conversation, items=items, before=None, context=context, form=form, status=status
        )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_GET
def poll(request, conversation_id):
    """New messages since the page's last one (htmx, every few seconds), marked read."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)  # signed out elsewhere: stop asking
    conversation = _conversation_or_404(request, conversation_id)
    after = _after_param(request)
    if after is None:
        return HttpResponse("Missing or invalid `after` cursor.", status=400, content_type="text/plain")
    thread = Thread(conversation, request.user)
    return render(request, "messaging/_updates.html", _updates_context(request, thread, after))


@login_required
@require_POST
def set_state(request, conversation_id):
    """Archive, trash or restore the conversation for this user only."""
    conversation = _conversation_or_404(request, conversation_id)
    form = InboxStateForm(request.POST)
    page_url = reverse("messaging:conversation", args=[conversation.pk])
    if not form.is_valid():
        messages.error(request, "Choose Archive, Trash or Move to inbox.")
        return redirect(page_url)
    state = form.cleaned_data["state"]
    request.back_url = page_url
    services.set_inbox_state(user=request.user, conversation=conversation, state=state)
    messages.success(request, FILED[state].format(name=_other_person(conversation, request.user).public_name))
    if state == InboxState.ACTIVE:
        return redirect(page_url)
    return redirect("messaging:inbox")


# --- starting a conversation from a profile -----------------------------------------------------


def _start_and_send(student, profile, body: str):
    """The pair's conversation (started or reused) and the first message in it."""
    conversation = services.start_conversation(student=student, instructor=profile.user)
    return services.send_message(sender=student, conversation=conversation, body=body)


@require_http_methods(["GET", "POST"])
def start(request, instructor_profile_id):
    """GET: write to an instructor. POST: start (or reuse) the pair's conversation, send the
    first message and go to it."""
    profile = instructor_selectors.live_profiles().select_related("user").filter(pk=instructor_profile_id).first()
    if profile is None:
        raise Http404("No such instructor")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    profile_url = reverse("instructors:profile", args=[profile.pk])
    if not request.user.has_perm(BOOK_LESSONS) or request.user.pk == profile.user_id:
        messages.error(request, "Only student accounts can message instructors.")
        return redirect(profile_url)
    if request.method == "GET":
        existing = selectors.started_conversation_id(student=request.user, instructor_id=profile.user_id)
        if existing:  # already talking: straight to the thread
            return redirect("messaging:conversation", conversation_id=existing)
    form = MessageForm(form_data(request), label="Your message")
    status, retry_after = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            sent = submit(
                form, partial(_start_and_send, request.user, profile, form.cleaned_data["body"]), show=_show_not_sent
            )
            if sent.ok:
                notice = masked_notice(sent.value, profile.user.public_name)
                if notice:
                    messages.info(request, notice)
                return redirect("messaging:conversation", conversation_id=sent.value.conversation_id)
            status, retry_after = _answer_for(sent)
    response = render(
        request,
        "messaging/start.html",
        {"profile": profile, "form": form, "profile_url": profile_url},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --- the header badge ---------------------------------------------------------------------------


@require_GET
def badge(request):
    """The header's Messages link, polled by every page. 204 while the count is unchanged;
    a change also fires `unread-changed` so an open inbox refreshes its list."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    count = selectors.unread_count(request.user)
    if request.GET.get("shown") == str(count):
        return HttpResponse(status=204)
    response = render(request, "messaging/_badge.html", {"unread_messages": count})
    response["HX-Trigger"] = "unread-changed"
    return response
