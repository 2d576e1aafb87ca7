"""The messaging pages through Django's test client, on the real database and Redis: the inbox
and its folders, a conversation (paging, polling, receipts, masking), sending and its errors,
per-user filing, the header badge, ownership, the profile's Message button and query counts."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings.tests.factories import book, open_instructor
from core.models import RateLimitRule
from instructors.tests.factories import live_instructor
from messaging import selectors, services
from messaging.models import ConversationState, InboxState, Message
from messaging.views import to_cursor

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)  # noon in New York
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def student():
    return UserFactory(role="student", first_name="Maya", last_name="Chenowith", email="maya@example.com")


@pytest.fixture
def profile():
    return live_instructor(first_name="Lena", last_name="Okafor")


@pytest.fixture
def instructor(profile):
    return profile.user


@pytest.fixture
def conversation(student, instructor):
    return services.start_conversation(student=student, instructor=instructor)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_student(student):
    return client_for(student)


@pytest.fixture
def as_instructor(instructor):
    return client_for(instructor)


def say(sender, conversation, body, clock, *, seconds=1):
    """Send through the service, then let a little time pass (messages are ordered by time)."""
    message = services.send_message(sender=sender, conversation=conversation, body=body)
    clock.shift(dt.timedelta(seconds=seconds))
    return message


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def inbox_url(folder=None) -> str:
    return reverse("messaging:inbox") + (f"?folder={folder}" if folder else "")


def convo_url(conversation, name="conversation") -> str:
    return reverse(f"messaging:{name}", args=[conversation.pk])


def state_of(conversation, user) -> str:
    return ConversationState.objects.get(conversation=conversation, user=user).state


def file_as(client, conversation, state):
    return client.post(convo_url(conversation, "set_state"), {"state": state})


# --- the inbox -----------------------------------------------------------------------------------


def test_inbox_lists_conversations_with_preview_time_and_unread(as_student, student, instructor, conversation, clock):
    say(student, conversation, "Hi Lena, do you teach beginners?", clock)
    say(instructor, conversation, "Yes, all levels!", clock)
    say(instructor, conversation, "When are you free?", clock)
    body = text(as_student.get(inbox_url()))
    assert "Lena O." in body and "Okafor" not in body  # public name only
    assert "When are you free?" in body
    assert "12:00 PM" in body  # the time, in the student's zone
    assert '2<span class="visually-hidden"> unread</span>' in body
    assert reverse("messaging:conversation", args=[conversation.pk]) in body

    say(student, conversation, "Saturday mornings", clock)
    body = text(as_student.get(inbox_url()))
    assert "You: Saturday mornings" in body
    assert "unread</span>" not in body  # replying read the rest


def test_inbox_folders_and_their_counts(as_student, student, conversation, clock):
    other = services.start_conversation(student=student, instructor=live_instructor(first_name="Omar").user)
    services.start_conversation(student=student, instructor=live_instructor(first_name="Nadia").user)  # no messages
    say(student, conversation, "Hello Lena", clock)
    say(student, other, "Hello Omar", clock)
    services.set_inbox_state(user=student, conversation=other, state=InboxState.ARCHIVED)

    response = as_student.get(inbox_url())
    assert response.context["folders"] == [
        ("active", "Active", 1),
        ("archived", "Archived", 1),
        ("trashed", "Trash", 0),
    ]
    body = text(response)
    assert "Hello Lena" in body and "Hello Omar" not in body and "Nadia" not in body
    assert 'aria-current="page">Active' in body

    body = text(as_student.get(inbox_url("archived")))
    assert "Hello Omar" in body and "Hello Lena" not in body

    body = text(as_student.get(inbox_url("trashed")))
    assert "Trash is empty." in body
    assert as_student.get(inbox_url("nonsense")).context["folder"] == "active"


def test_empty_inboxes_help(as_student, as_instructor):
    student_body = text(as_student.get(inbox_url()))
    assert "No conversations yet — find an instructor and say hello." in student_body
    assert reverse("instructors:all_services") in student_body
    assert "When a student writes to you" in text(as_instructor.get(inbox_url()))
    assert "Nothing archived." in text(as_student.get(inbox_url("archived")))


def test_the_recipient_sees_the_masked_preview_the_sender_their_own_text(
    as_student, as_instructor, student, conversation, clock
):
    say(student, conversation, "Text me on 917-555-0123", clock)
    assert "You: Text me on 917-555-0123" in text(as_student.get(inbox_url()))
    body = text(as_instructor.get(inbox_url()))
    assert "Text me on [phone hidden]" in body and "917-555-0123" not in body


def test_inbox_refreshes_as_an_htmx_fragment(as_student, student, conversation, clock):
    say(student, conversation, "Hello", clock)
    response = as_student.get(inbox_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-list")
    body = text(response)
    assert "<html" not in body
    assert 'id="inbox-list"' in body and 'id="inbox-folders"' in body and 'hx-swap-oob="true"' in body


# --- filing away, per user -------------------------------------------------------------------------


def test_archive_trash_and_restore_are_per_user(as_student, as_instructor, student, instructor, conversation, clock):
    say(student, conversation, "Hi!", clock)
    response = file_as(as_student, conversation, "archived")
    assert response.status_code == 302 and response["Location"] == reverse("messaging:inbox")
    assert (state_of(conversation, student), state_of(conversation, instructor)) == ("archived", "active")
    assert "Hi!" not in text(as_student.get(inbox_url()))
    assert "Hi!" in text(as_student.get(inbox_url("archived")))
    assert "You: Hi!" not in text(as_instructor.get(inbox_url())) and "Hi!" in text(as_instructor.get(inbox_url()))

    page = text(as_student.get(convo_url(conversation)))
    assert "In your Archive: it moves back to your inbox when a new message arrives." in page
    assert "Move to inbox" in page

    file_as(as_student, conversation, "trashed")
    assert state_of(conversation, student) == "trashed"
    assert "Hi!" in text(as_student.get(inbox_url("trashed")))

    response = file_as(as_student, conversation, "active")
    assert response["Location"] == convo_url(conversation)
    assert state_of(conversation, student) == "active"
    assert state_of(conversation, instructor) == "active"


def test_a_bad_folder_changes_nothing(as_student, student, conversation):
    response = file_as(as_student, conversation, "deleted")
    assert response.status_code == 302
    assert state_of(conversation, student) == "active"


def test_a_new_message_brings_an_archived_conversation_back_to_the_inbox(
    as_student, as_instructor, student, conversation, clock
):
    say(student, conversation, "First", clock)
    file_as(as_student, conversation, "archived")
    assert "First" not in text(as_student.get(inbox_url()))
    as_instructor.post(convo_url(conversation, "send"), {"body": "A reply from Lena"})
    body = text(as_student.get(inbox_url()))
    assert "A reply from Lena" in body
    assert as_student.get(inbox_url()).context["folders"][1] == ("archived", "Archived", 0)


# --- the header badge ------------------------------------------------------------------------------


def test_opening_a_conversation_marks_it_read_and_the_badge_goes_down(
    as_instructor, student, instructor, conversation, clock
):
    say(student, conversation, "one", clock)
    say(student, conversation, "two", clock)
    home = text(as_instructor.get(reverse("home")))
    assert 'aria-label="Messages, 2 unread"' in home
    assert 'Messages<span class="nav-badge" aria-hidden="true">2</span></a>' in home
    page = text(as_instructor.get(convo_url(conversation)))
    assert "nav-badge" not in page and " unread" not in page  # no badge when nothing is unread
    assert selectors.unread_count(instructor) == 0


def test_the_badge_counts_unread_in_every_folder(as_instructor, student, instructor, conversation, clock):
    say(student, conversation, "one", clock)
    file_as(as_instructor, conversation, "archived")  # filed away unread
    assert "Messages, 1 unread" in text(as_instructor.get(inbox_url("trashed")))
    assert "Messages, 1 unread" in text(as_instructor.get(reverse("home")))


def test_badge_endpoint_answers_only_changes(as_instructor, student, conversation, clock):
    url = reverse("messaging:badge")
    assert as_instructor.get(url, {"shown": "0"}, **HTMX).status_code == 204
    say(student, conversation, "new", clock)
    response = as_instructor.get(url, {"shown": "0"}, **HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "unread-changed"
    assert 'aria-label="Messages, 1 unread"' in text(response)
    assert Client().get(url, **HTMX).status_code == 286  # signed out: htmx stops polling


def test_anonymous_pages_do_not_count_messages(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    assert not any("messaging_" in query["sql"] for query in queries)


# --- ownership -----------------------------------------------------------------------------------


def test_a_third_person_gets_404_everywhere_and_nothing_changes(student, instructor, conversation, clock):
    message = say(student, conversation, "private", clock)
    outsider = client_for(UserFactory(role="student"))
    cursor = to_cursor(message.created_at)
    assert outsider.get(convo_url(conversation)).status_code == 404
    assert outsider.get(convo_url(conversation) + f"?before={cursor}", **HTMX).status_code == 404
    assert outsider.get(convo_url(conversation, "poll"), {"after": "0"}, **HTMX).status_code == 404
    assert outsider.post(convo_url(conversation, "send"), {"body": "hi"}).status_code == 404
    assert outsider.post(convo_url(conversation, "send"), {"body": "hi"}, **HTMX).status_code == 404
    assert outsider.post(convo_url(conversation, "set_state"), {"state": "trashed"}).status_code == 404
    assert client_for(instructor).get(reverse("messaging:conversation", args=["0" * 26])).status_code == 404
    assert Message.objects.count() == 1
    assert set(ConversationState.objects.values_list("state", flat=True)) == {"active"}
    assert selectors.unread_count(instructor) == 1


def test_signed_out_visitors_are_sent_to_log_in(client, conversation):
    response = client.get(convo_url(conversation))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.get(inbox_url()).status_code == 302
    assert client.get(convo_url(conversation, "poll"), {"after": "0"}, **HTMX).status_code == 286
    response = client.post(convo_url(conversation, "send"), {"body": "hi"}, **HTMX)
    assert reverse("accounts:login") in response["HX-Redirect"]
    assert not Message.objects.exists()


# --- a conversation ------------------------------------------------------------------------------


def test_thread_oldest_first_with_own_messages_and_the_other_side(as_student, student, instructor, conversation, clock):
    say(student, conversation, "Question one", clock)
    say(instructor, conversation, "Answer one", clock)
    body = text(as_student.get(convo_url(conversation)))
    assert body.index("Question one") < body.index("Answer one")
    assert re.search(r'class="msg msg-mine"[^>]*>.*?You wrote:.*?Question one', body)
    assert re.search(r'class="msg msg-theirs"[^>]*>.*?Lena O\. wrote:.*?Answer one', body)
    assert "<h1>Lena O.</h1>" in body
    assert reverse("instructors:profile", args=[conversation.instructor.instructor_profile.pk]) in body


def test_read_receipt_under_the_viewers_last_message(as_student, as_instructor, student, conversation, clock):
    say(student, conversation, "Are you there?", clock)
    body = text(as_student.get(convo_url(conversation)))
    assert ">Sent</p>" in body and ">Seen</p>" not in body
    as_instructor.get(convo_url(conversation))  # Lena opens it
    clock.shift(dt.timedelta(seconds=1))
    assert ">Seen</p>" in text(as_student.get(convo_url(conversation)))


def test_booking_events_show_as_system_messages_linked_to_the_booking(clock, django_capture_on_commit_callbacks):
    profile = open_instructor(days=[dt.date(2026, 12, 3)])
    student = UserFactory(role="student")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    conversation = selectors.inbox(student).get().conversation
    for user in (student, profile.user):
        body = text(client_for(user).get(convo_url(conversation)))
        assert re.search(r'class="msg msg-system".*?Booking update:.*?booked', body)
        assert f'href="{reverse("bookings:detail", args=[booking.pk])}">View booking</a>' in body


def test_older_messages_page_back_with_and_without_htmx(as_student, student, conversation, clock):
    for number in range(35):
        say(student, conversation, f"message #{number:02d}", clock)
    response = as_student.get(convo_url(conversation))
    body = text(response)
    assert "message #05" in body and "message #34" in body and "message #04" not in body
    first_shown = Message.objects.get(body="message #05")
    older_url = f"{convo_url(conversation)}?before={to_cursor(first_shown.created_at)}"
    assert f'href="{older_url}"' in body and "Load older messages" in body

    older = text(as_student.get(older_url, **HTMX))
    assert "<html" not in older
    assert 'hx-swap-oob="afterbegin:#thread-list"' in older
    assert "message #00" in older and "message #04" in older and "message #05" not in older
    assert "Your conversation with Lena O. starts here." in older

    page = text(as_student.get(older_url))  # without JavaScript: the older page, and a way back
    assert "message #00" in page and "message #05" not in page
    assert "Jump to the newest messages" in page and 'id="poller"' not in page


def test_poll_returns_only_new_messages_and_marks_them_read(as_student, student, instructor, conversation, clock):
    mine = say(student, conversation, "Hello?", clock)
    poll = convo_url(conversation, "poll")
    quiet = text(as_student.get(poll, {"after": to_cursor(mine.created_at)}, **HTMX))
    assert "msg-" not in quiet and 'id="nav-messages"' in quiet

    say(instructor, conversation, "Hi Maya!", clock)
    say(instructor, conversation, "How can I help?", clock)
    assert selectors.unread_count(student) == 2
    body = text(as_student.get(poll, {"after": to_cursor(mine.created_at)}, **HTMX))
    assert "Hello?" not in body
    assert "Hi Maya!" in body and "How can I help?" in body
    assert 'hx-swap-oob="beforeend:#thread-list"' in body
    assert "New message from Lena O." in body
    assert selectors.unread_count(student) == 0
    assert as_student.get(poll, **HTMX).status_code == 400  # no cursor


def test_poll_turns_the_receipt_into_seen(as_student, as_instructor, student, conversation, clock):
    mine = say(student, conversation, "Are you free Saturday?", clock)
    params = {"after": to_cursor(mine.created_at), "mine": mine.pk, "mine_at": to_cursor(mine.created_at)}
    poll = convo_url(conversation, "poll")
    assert f'id="receipt-{mine.pk}"' not in text(as_student.get(poll, params, **HTMX))
    as_instructor.get(convo_url(conversation))
    body = text(as_student.get(poll, params, **HTMX))
    assert f'<p class="receipt is-seen" id="receipt-{mine.pk}" hx-swap-oob="true">Seen</p>' in body


# --- sending ---------------------------------------------------------------------------------------


def test_send_without_javascript_redirects_to_the_thread(as_student, conversation):
    response = as_student.post(convo_url(conversation, "send"), {"body": "Hi Lena\r\nSee you soon"})
    assert response.status_code == 302 and response["Location"] == convo_url(conversation)
    assert Message.objects.get().body == "Hi Lena\nSee you soon"


def test_send_with_htmx_returns_a_fresh_form_and_the_new_messages(as_student, student, instructor, conversation, clock):
    earlier = say(instructor, conversation, "Earlier reply", clock)
    say(instructor, conversation, "Crossed in flight", clock)
    response = as_student.post(
        convo_url(conversation, "send"), {"body": "My message", "after": to_cursor(earlier.created_at)}, **HTMX
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="composer"' in body and "autofocus" in body and "My message</textarea>" not in body
    assert "Crossed in flight" in body and "My message" in body and "Earlier reply" not in body
    assert ">Sent</p>" in body


@pytest.mark.parametrize("body", ["", "   \r\n ", "x" * 2001])
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_messages_are_form_errors_and_send_nothing(as_student, conversation, body, htmx):
    response = as_student.post(convo_url(conversation, "send"), {"body": body}, **(HTMX if htmx else {}))
    assert response.status_code == 400
    page = text(response)
    assert 'aria-invalid="true"' in page and 'class="field-error" id="id_body_error"' in page
    assert "Write a message first." in page or "Keep messages to 2,000 characters (this one has 2,001)." in page
    assert not Message.objects.exists()
    if not htmx:
        assert "<html" in page  # the whole conversation page, with the error under the field


@pytest.mark.parametrize("htmx", [False, True])
def test_sending_too_fast_is_refused_clearly(as_student, student, conversation, htmx):
    RateLimitRule.objects.create(bucket="send_message", limit=60, period_seconds=60, burst=1)
    assert as_student.post(convo_url(conversation, "send"), {"body": "first"}).status_code == 302
    response = as_student.post(convo_url(conversation, "send"), {"body": "second"}, **(HTMX if htmx else {}))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    page = text(response)
    assert re.search(r"You're sending messages too fast — try again in \d+ seconds?\.", page)
    assert "second</textarea>" in page  # what they typed is kept
    assert list(Message.objects.values_list("body", flat=True)) == ["first"]


def test_contact_details_are_masked_for_the_recipient_and_the_sender_is_told(as_student, as_instructor, conversation):
    text_with_email = "Email me at maya@example.com"
    response = as_student.post(convo_url(conversation, "send"), {"body": text_with_email}, **HTMX)
    assert (
        "We hid the email address in your message from Lena O. until you have a confirmed lesson together "
        "— keeping lessons and payments on InstaInstru protects you both." in text(response)
    )
    own_page = text(as_student.get(convo_url(conversation)))
    assert text_with_email in own_page and "Contact details hidden from Lena" in own_page
    their_page = text(as_instructor.get(convo_url(conversation)))
    assert "Email me at [email hidden]" in their_page and "maya@example.com" not in their_page

    response = as_student.post(convo_url(conversation, "send"), {"body": "or 917-555-0123"}, follow=True)
    assert "We hid the phone number in your message from Lena O." in text(response)  # without JS: a message


def test_no_masking_once_they_have_a_confirmed_lesson(clock):
    profile = open_instructor(days=[dt.date(2026, 12, 3)])
    student = UserFactory(role="student")
    book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    conversation = services.start_conversation(student=student, instructor=profile.user)
    response = client_for(student).post(convo_url(conversation, "send"), {"body": "Call me: 917-555-0123"}, **HTMX)
    assert "We hid" not in text(response)
    page = text(client_for(profile.user).get(convo_url(conversation)))
    assert "Call me: 917-555-0123" in page and "hidden until you have a confirmed lesson" not in page


# --- starting from a profile -----------------------------------------------------------------------


def test_profile_message_button_for_visitors_students_and_not_the_instructor(client, student, profile):
    profile_url = reverse("instructors:profile", args=[profile.pk])
    start_url = reverse("messaging:start", args=[profile.pk])
    anonymous = text(client.get(profile_url))
    assert f'href="{reverse("accounts:login")}?next=/messages/start/{profile.pk}/">Message Lena</a>' in anonymous
    assert f'href="{start_url}">Message Lena</a>' in text(client_for(student).get(profile_url))
    assert "Message Lena</a>" not in text(client_for(profile.user).get(profile_url))
    response = client.get(start_url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_a_student_writes_to_an_instructor_from_the_profile(as_student, student, profile, instructor):
    start_url = reverse("messaging:start", args=[profile.pk])
    page = text(as_student.get(start_url))
    assert "<h1>Message Lena</h1>" in page and '<label for="id_body">Your message</label>' in page
    response = as_student.post(start_url, {"body": "Hi! Do you teach adults?"})
    conversation = selectors.inbox(student).get().conversation
    assert response["Location"] == convo_url(conversation)
    assert conversation.instructor == instructor
    assert selectors.unread_count(instructor) == 1
    assert as_student.get(start_url)["Location"] == convo_url(conversation)  # already talking: to the thread
    as_student.post(start_url, {"body": "One more thing"})
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_starting_with_a_bad_message_sends_nothing(as_student, profile):
    response = as_student.post(reverse("messaging:start", args=[profile.pk]), {"body": "  "})
    assert response.status_code == 400 and "Write a message first." in text(response)
    assert not Message.objects.exists()


def test_only_students_start_conversations_with_live_instructors(as_instructor, profile):
    other = live_instructor()
    response = as_instructor.get(reverse("messaging:start", args=[other.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("instructors:profile", args=[other.pk])
    assert client_for(UserFactory(role="student")).get(reverse("messaging:start", args=["0" * 26])).status_code == 404


# --- query counts --------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_inbox_page_queries_do_not_grow_with_conversations(as_student, student, clock):
    def add_conversation():
        conversation = services.start_conversation(student=student, instructor=live_instructor().user)
        say(student, conversation, "hello", clock)
        say(conversation.instructor, conversation, "hi back", clock)

    add_conversation()
    few = count_queries(as_student, inbox_url())
    for _ in range(5):
        add_conversation()
    assert count_queries(as_student, inbox_url()) == few
    assert few <= 10


def test_conversation_page_queries_do_not_grow_with_messages(as_student, student, instructor, conversation, clock):
    say(student, conversation, "one", clock)
    say(instructor, conversation, "two", clock)
    few = count_queries(as_student, convo_url(conversation))
    for number in range(20):
        say(instructor if number % 2 else student, conversation, f"more {number}", clock)  # ends unread, as before
    assert count_queries(as_student, convo_url(conversation)) == few
    assert few <= 14
