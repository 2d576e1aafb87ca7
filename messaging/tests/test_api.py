"""The messaging API: each endpoint's happy path, ownership (404 for anyone else), bad input
(400 and nothing written), the rate limit (429 with Retry-After), masking as each side sees
it, and query counts that do not grow with the rows."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings.tests.factories import book, open_instructor
from core.models import RateLimitRule
from instructors.tests.factories import InstructorProfileFactory, live_instructor
from messaging import services
from messaging.models import MAX_MESSAGE_LENGTH, Conversation, ConversationState, InboxState, Message

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
NOW_Z = "2026-12-01T12:00:00Z"
LESSON_DAY = dt.date(2026, 12, 3)
CONVERSATIONS = reverse("api-conversations")
UNREAD = reverse("api-messages-unread-count")
CONTACT = "Mail me at maya@example.com or call 917-555-0123"
MASKED = "Mail me at [email hidden] or call [phone hidden]"
LIST_BUDGET = 4  # session, user, count, the rows (other person, last message, unread count annotated)
THREAD_BUDGET = 5  # session, user, conversation with both people, its two states, the page


def messages_url(conversation) -> str:
    return reverse("api-conversation-messages", args=[conversation.pk])


def read_url(conversation) -> str:
    return reverse("api-conversation-read", args=[conversation.pk])


def state_url(conversation) -> str:
    return reverse("api-conversation-state", args=[conversation.pk])


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile():
    return open_instructor(days=[LESSON_DAY])


@pytest.fixture
def student():
    return UserFactory(role="student")


@pytest.fixture
def instructor(profile):
    return profile.user


@pytest.fixture
def conversation(student, instructor):
    return services.start_conversation(student=student, instructor=instructor)


def as_user(client, user):
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def send(conversation, sender, body, clock=None):
    message = services.send_message(sender=sender, conversation=conversation, body=body)
    if clock is not None:
        clock.shift(dt.timedelta(seconds=1))  # distinct instants, so cursors are unambiguous
    return message


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


# --- starting a conversation ----------------------------------------------------------------------


def test_a_student_messages_an_instructor(client, student, instructor, profile):
    as_user(client, student)
    response = post(client, CONVERSATIONS, {"instructor_id": profile.pk, "body": "  Hi! Do you teach beginners?  "})
    assert response.status_code == 201, response.content
    data = response.json()
    conversation = Conversation.objects.get()
    assert data["id"] == conversation.pk
    assert data["other"] == {"id": instructor.pk, "name": instructor.public_name, "role": "instructor"}
    assert data["last_message"] == {"body": "Hi! Do you teach beginners?", "is_mine": True, "is_system": False}
    assert (data["unread"], data["state"], data["last_message_at"]) == (0, "active", "2026-12-01T12:00:00Z")
    message = data["message"]
    assert message["body"] == "Hi! Do you teach beginners?"
    assert message["sender"] == {"id": student.pk, "name": student.public_name}
    assert (message["is_mine"], message["masked"], message["notice"], message["read_by_other"]) == (
        True,
        False,
        None,
        False,
    )
    assert instructor.email not in response.content.decode() and instructor.last_name not in response.content.decode()

    again = post(client, CONVERSATIONS, {"instructor_id": profile.pk, "body": "Me again"})
    assert again.status_code == 201
    assert again.json()["id"] == conversation.pk  # one conversation per pair
    assert Conversation.objects.count() == 1 and Message.objects.count() == 2


def test_the_first_message_is_masked_for_the_instructor_and_the_student_is_told(client, student, profile):
    as_user(client, student)
    message = post(client, CONVERSATIONS, {"instructor_id": profile.pk, "body": CONTACT}).json()["message"]
    assert message["body"] == CONTACT  # the sender sees what they typed
    assert message["masked"] is True
    assert profile.user.public_name in message["notice"] and "confirmed lesson" in message["notice"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * (MAX_MESSAGE_LENGTH + 1)}, "body"),
        ({}, "body"),
    ],
)
def test_bad_first_messages_write_nothing(client, student, profile, body, field):
    as_user(client, student)
    error = error_of(post(client, CONVERSATIONS, {"instructor_id": profile.pk, **body}), 400)
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_unknown_instructor(client, student):
    as_user(client, student)
    not_live = InstructorProfileFactory()
    for instructor_id in ("01JUNKJUNKJUNKJUNKJUNKJUNK", student.pk, not_live.pk, ""):
        error = error_of(post(client, CONVERSATIONS, {"instructor_id": instructor_id, "body": "Hi"}), 400)
        assert error["code"] == "invalid" and "instructor_id" in error["fields"]
    assert not Conversation.objects.exists()


def test_nobody_messages_themselves(client, profile):
    teacher = profile.user
    teacher.groups.add(Group.objects.get(name="student"))  # an instructor who also books lessons
    as_user(client, teacher)
    error = error_of(post(client, CONVERSATIONS, {"instructor_id": profile.pk, "body": "Hi me"}), 400)
    assert error == {"code": "not_a_counterpart", "message": "You can't message yourself."}
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_student_cannot_message_a_student(client, student):
    former = live_instructor()  # a live listing whose owner is now only a student
    former.user.groups.set([Group.objects.get(name="student")])
    as_user(client, student)
    error = error_of(post(client, CONVERSATIONS, {"instructor_id": former.pk, "body": "Hi"}), 400)
    assert error["code"] == "not_a_counterpart"
    assert not Conversation.objects.exists()


def test_an_instructor_cannot_start_a_conversation_with_another_instructor(client, instructor):
    other = live_instructor()
    as_user(client, instructor)
    error = error_of(post(client, CONVERSATIONS, {"instructor_id": other.pk, "body": "Hi colleague"}), 400)
    assert error["code"] == "not_a_counterpart"
    assert not Conversation.objects.exists()


# --- the inbox ------------------------------------------------------------------------------------


def test_inbox_rows_as_each_side_sees_them(client, conversation, student, instructor, clock):
    send(conversation, instructor, "Welcome!", clock)
    send(conversation, student, CONTACT, clock)
    send(conversation, student, f"{CONTACT} (again)", clock)

    [mine] = as_user(client, student).get(CONVERSATIONS).json()["results"]
    assert mine["other"] == {"id": instructor.pk, "name": instructor.public_name, "role": "instructor"}
    assert mine["last_message"] == {"body": f"{CONTACT} (again)", "is_mine": True, "is_system": False}
    assert mine["unread"] == 0  # replying means having read what came before

    page = as_user(client, instructor).get(CONVERSATIONS).json()
    assert page["count"] == 1
    [theirs] = page["results"]
    assert theirs["other"] == {"id": student.pk, "name": student.public_name, "role": "student"}
    assert theirs["last_message"] == {"body": f"{MASKED} (again)", "is_mine": False, "is_system": False}
    assert (theirs["unread"], theirs["state"], theirs["last_read_at"]) == (2, "active", NOW_Z)  # their own "Welcome!"
    text = client.get(CONVERSATIONS).content.decode()
    assert student.email not in text and student.last_name not in text and "maya@example.com" not in text


def test_folders_are_per_person(client, conversation, student, instructor):
    send(conversation, student, "Hello")
    response = post(as_user(client, student), state_url(conversation), {"state": "archived"})
    assert response.status_code == 200
    assert response.json() == {"conversation_id": conversation.pk, "state": "archived", "last_read_at": NOW_Z}
    assert client.get(CONVERSATIONS).json()["results"] == []
    assert [row["id"] for row in client.get(CONVERSATIONS, {"folder": "archived"}).json()["results"]] == [
        conversation.pk
    ]
    as_user(client, instructor)
    assert [row["state"] for row in client.get(CONVERSATIONS).json()["results"]] == ["active"]
    assert client.get(CONVERSATIONS, {"folder": "trashed"}).json()["results"] == []

    post(client, state_url(conversation), {"state": "trashed"})
    assert [row["id"] for row in client.get(CONVERSATIONS, {"folder": "trashed"}).json()["results"]] == [
        conversation.pk
    ]
    assert post(client, state_url(conversation), {"state": "active"}).json()["state"] == "active"
    assert ConversationState.objects.get(conversation=conversation, user=student).state == InboxState.ARCHIVED


def test_a_new_message_brings_the_conversation_back_for_the_recipient(client, conversation, student, instructor):
    send(conversation, student, "Hello")
    post(as_user(client, instructor), state_url(conversation), {"state": "trashed"})
    post(as_user(client, student), messages_url(conversation), {"body": "Are you there?"})
    rows = as_user(client, instructor).get(CONVERSATIONS).json()["results"]
    assert [(row["id"], row["state"], row["unread"]) for row in rows] == [(conversation.pk, "active", 2)]


@pytest.mark.parametrize("folder", ["deleted", "ACTIVE", "active,archived"])
def test_unknown_folder(client, student, folder):
    error = error_of(as_user(client, student).get(CONVERSATIONS, {"folder": folder}), 400)
    assert error["code"] == "invalid" and "folder" in error["fields"]


def test_inbox_query_count_does_not_grow_with_the_rows(client, instructor, django_assert_num_queries):
    def add_conversations(n):
        for _ in range(n):
            conversation = services.start_conversation(student=UserFactory(role="student"), instructor=instructor)
            student = conversation.student
            send(conversation, student, "Hello")
            send(conversation, student, CONTACT)

    add_conversations(2)
    as_user(client, instructor)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CONVERSATIONS).json()["count"] == 2
    add_conversations(6)
    with django_assert_num_queries(LIST_BUDGET), CaptureQueriesContext(connection) as more:
        page = client.get(CONVERSATIONS).json()
    assert page["count"] == 8 and all(row["unread"] == 2 for row in page["results"])
    assert len(more) == len(few), [query["sql"] for query in more]


# --- the thread -----------------------------------------------------------------------------------


def test_thread_pages_oldest_first_with_has_older(client, conversation, student, instructor, clock):
    sent = [send(conversation, student if n % 2 else instructor, f"message {n}", clock) for n in range(7)]
    as_user(client, student)

    newest = client.get(messages_url(conversation), {"limit": 3}).json()
    assert [m["body"] for m in newest["results"]] == ["message 4", "message 5", "message 6"]
    assert newest["has_older"] is True

    by_id = client.get(messages_url(conversation), {"limit": 3, "before": sent[4].pk}).json()
    assert [m["body"] for m in by_id["results"]] == ["message 1", "message 2", "message 3"]
    assert by_id["has_older"] is True

    by_time = client.get(messages_url(conversation), {"limit": 3, "before": by_id["results"][0]["created_at"]}).json()
    assert [m["body"] for m in by_time["results"]] == ["message 0"]
    assert by_time["has_older"] is False

    everything = client.get(messages_url(conversation)).json()
    assert len(everything["results"]) == 7 and everything["has_older"] is False
    first, second = everything["results"][:2]
    assert first["sender"] == {"id": instructor.pk, "name": instructor.public_name}
    assert (first["is_mine"], first["read_by_other"]) == (False, None)  # not mine: no read receipt
    assert (second["is_mine"], second["is_system"], second["booking_id"]) == (True, False, None)
    assert second["created_at"] == "2026-12-01T12:00:01Z"


def test_polling_with_after(client, conversation, student, instructor, clock):
    first = send(conversation, student, "one", clock)
    as_user(client, instructor)
    assert client.get(messages_url(conversation), {"after": first.pk}).json() == {
        "results": [],
        "has_older": None,
        "other_last_read_at": NOW_Z,  # the student read what they wrote
    }
    send(conversation, student, "two", clock)
    send(conversation, student, "three", clock)
    polled = client.get(messages_url(conversation), {"after": first.pk}).json()
    assert [m["body"] for m in polled["results"]] == ["two", "three"]
    by_time = client.get(messages_url(conversation), {"after": "2026-12-01T12:00:01.500000+00:00"}).json()
    assert [m["body"] for m in by_time["results"]] == ["three"]


def test_read_receipts(client, conversation, student, instructor, clock):
    send(conversation, student, "one", clock)
    send(conversation, student, "two", clock)
    as_user(client, student)
    assert [m["read_by_other"] for m in client.get(messages_url(conversation)).json()["results"]] == [False, False]

    as_user(client, instructor)
    assert client.get(UNREAD).json() == {"unread": 2}
    client.get(messages_url(conversation))
    assert client.get(UNREAD).json() == {"unread": 2}  # reading the thread through GET changes nothing
    response = post(client, read_url(conversation))
    assert response.status_code == 200
    assert response.json() == {
        "conversation_id": conversation.pk,
        "state": "active",
        "last_read_at": "2026-12-01T12:00:01Z",
    }
    assert client.get(UNREAD).json() == {"unread": 0}

    send(conversation, student, "three", clock)
    as_user(client, student)
    thread = client.get(messages_url(conversation)).json()
    assert [m["read_by_other"] for m in thread["results"]] == [True, True, False]
    assert thread["other_last_read_at"] == "2026-12-01T12:00:01Z"


def test_sending_a_message(client, conversation, student, instructor):
    as_user(client, instructor)
    response = post(client, messages_url(conversation), {"body": "  Sure, Tuesday works.  "})
    assert response.status_code == 201, response.content
    data = response.json()
    message = Message.objects.get()
    assert data == {
        "id": message.pk,
        "sender": {"id": instructor.pk, "name": instructor.public_name},
        "body": "Sure, Tuesday works.",
        "is_system": False,
        "booking_id": None,
        "created_at": NOW_Z,
        "is_mine": True,
        "masked": False,
        "read_by_other": False,
        "notice": None,
    }
    assert as_user(client, student).get(UNREAD).json() == {"unread": 1}


def test_masking_as_each_side_sees_it_before_and_after_a_confirmed_lesson(
    client, conversation, student, instructor, profile, clock
):
    as_user(client, student)
    before = post(client, messages_url(conversation), {"body": CONTACT}).json()
    assert (before["body"], before["masked"]) == (CONTACT, True)
    assert instructor.public_name in before["notice"]
    clock.shift(dt.timedelta(seconds=1))

    as_user(client, instructor)
    [seen] = client.get(messages_url(conversation)).json()["results"]
    assert (seen["body"], seen["masked"]) == (MASKED, True)
    assert "maya@example.com" not in client.get(messages_url(conversation)).content.decode()
    assert "917-555-0123" not in client.get(CONVERSATIONS).content.decode()

    booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    assert booking.status == "confirmed"
    clock.shift(dt.timedelta(seconds=1))
    as_user(client, student)
    after = post(client, messages_url(conversation), {"body": CONTACT}).json()
    assert (after["body"], after["masked"], after["notice"]) == (CONTACT, False, None)

    as_user(client, instructor)
    bodies = [m["body"] for m in client.get(messages_url(conversation)).json()["results"]]
    assert bodies == [MASKED, CONTACT]  # what was hidden when sent stays hidden
    assert client.get(CONVERSATIONS).json()["results"][0]["last_message"]["body"] == CONTACT


def test_booking_events_show_as_system_messages(client, student, profile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    conversation = Conversation.objects.get()
    as_user(client, student)
    [event] = client.get(messages_url(conversation)).json()["results"]
    assert (event["sender"], event["is_system"], event["booking_id"], event["is_mine"]) == (
        None,
        True,
        booking.pk,
        False,
    )
    assert event["read_by_other"] is None
    [row] = client.get(CONVERSATIONS).json()["results"]
    assert row["last_message"]["is_system"] is True and row["unread"] == 1


@pytest.mark.parametrize("body", [{"body": ""}, {"body": " \n "}, {"body": "x" * (MAX_MESSAGE_LENGTH + 1)}, {}])
def test_bad_messages_write_nothing(client, conversation, student, body):
    error = error_of(post(as_user(client, student), messages_url(conversation), body), 400)
    assert error["code"] == "invalid" and "body" in error["fields"]
    assert not Message.objects.exists()


def test_a_message_of_the_longest_length_is_accepted(client, conversation, student):
    response = post(as_user(client, student), messages_url(conversation), {"body": "x" * MAX_MESSAGE_LENGTH})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"before": "2026-12-01T12:00:00"}, "before"),  # no UTC offset
        ({"after": "yesterday"}, "after"),  # neither an instant nor a message id
        ({"before": "01JUNKJUNKJUNKJUNKJUNKJUNK"}, "before"),
        ({"before": "x" * 65}, "before"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"before": NOW_Z, "after": NOW_Z}, "after"),
    ],
)
def test_bad_thread_parameters(client, conversation, student, params, field):
    error = error_of(as_user(client, student).get(messages_url(conversation), params), 400)
    assert error["code"] == "invalid" and field in error["fields"]


def test_a_message_id_of_another_conversation_is_not_a_cursor(client, conversation, student):
    other = services.start_conversation(student=UserFactory(role="student"), instructor=conversation.instructor)
    theirs = send(other, other.student, "private")
    unknown = error_of(as_user(client, student).get(messages_url(conversation), {"before": "01JUNKJUNKJUNKJUNK"}), 400)
    foreign = error_of(client.get(messages_url(conversation), {"before": theirs.pk}), 400)
    assert foreign == unknown  # nothing tells whether that message exists


def test_rate_limit_gives_429_with_retry_after_and_writes_nothing(client, conversation, student, instructor, clock):
    RateLimitRule.objects.create(bucket="send_message", limit=60, period_seconds=60, burst=2)
    as_user(client, student)
    assert [post(client, messages_url(conversation), {"body": f"m{n}"}).status_code for n in range(2)] == [201, 201]
    response = post(client, messages_url(conversation), {"body": "too fast"})
    error = error_of(response, 429)
    assert error["code"] == "rate_limited"
    assert error["retry_after"] >= 1 and response["Retry-After"] == str(error["retry_after"])
    assert "try again in" in error["message"]
    assert Message.objects.count() == 2

    # Starting another conversation while limited leaves no empty conversation behind.
    other = live_instructor()
    error_of(post(client, CONVERSATIONS, {"instructor_id": other.pk, "body": "Hi"}), 429)
    assert Conversation.objects.count() == 1

    clock.shift(dt.timedelta(seconds=error["retry_after"]))
    assert post(client, messages_url(conversation), {"body": "after a breath"}).status_code == 201
    assert post(as_user(client, instructor), messages_url(conversation), {"body": "my own budget"}).status_code == 201


def test_thread_query_count_does_not_grow_with_the_messages(
    client, conversation, student, instructor, clock, django_assert_num_queries
):
    for n in range(4):
        send(conversation, student if n % 2 else instructor, f"m{n}", clock)
    as_user(client, student)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(messages_url(conversation)).json()["results"]) == 4
    for n in range(20):
        send(conversation, student if n % 2 else instructor, f"more {n}", clock)
    with django_assert_num_queries(THREAD_BUDGET), CaptureQueriesContext(connection) as more:
        assert len(client.get(messages_url(conversation)).json()["results"]) == 24
    assert len(more) == len(few), [query["sql"] for query in more]


# --- the badge ------------------------------------------------------------------------------------


def test_unread_count_ignores_folders_and_is_one_query(
    client, conversation, student, instructor, clock, django_assert_num_queries
):
    second = services.start_conversation(student=UserFactory(role="student"), instructor=instructor)
    send(conversation, student, "one", clock)
    send(conversation, student, "two", clock)
    send(second, second.student, "three", clock)
    as_user(client, instructor)
    assert client.get(UNREAD).json() == {"unread": 3}
    post(client, state_url(conversation), {"state": "archived"})
    post(client, state_url(second), {"state": "trashed"})
    with django_assert_num_queries(3):  # session and user (auth), then the count
        assert client.get(UNREAD).json() == {"unread": 3}
    assert as_user(client, student).get(UNREAD).json() == {"unread": 0}


# --- ownership ------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider_role", ["student", "instructor", "support"])
def test_a_third_person_gets_404_everywhere(client, conversation, student, outsider_role):
    message = send(conversation, student, "private")
    outsider = UserFactory(role=outsider_role)
    as_user(client, outsider)
    requests = [
        client.get(messages_url(conversation)),
        client.get(messages_url(conversation), {"after": message.pk}),
        post(client, messages_url(conversation), {"body": "let me in"}),
        post(client, read_url(conversation)),
        post(client, state_url(conversation), {"state": "trashed"}),
    ]
    for response in requests:
        assert error_of(response, 404)["code"] == "not_found"
    missing = Conversation(pk="01JUNKJUNKJUNKJUNKJUNKJUNK")
    for url in (messages_url(missing), read_url(missing), state_url(missing)):
        assert error_of(post(client, url, {"body": "x", "state": "trashed"}), 404) == error_of(
            post(client, read_url(conversation)), 404
        )
    assert client.get(CONVERSATIONS).json()["results"] == []
    assert client.get(UNREAD).json() == {"unread": 0}
    assert Message.objects.count() == 1
    assert set(ConversationState.objects.values_list("state", "last_read_at")) == {
        ("active", NOW),
        ("active", None),
    }


@pytest.mark.parametrize("state", ["deleted", "", None])
def test_unknown_state(client, conversation, student, state):
    body = {} if state is None else {"state": state}
    error = error_of(post(as_user(client, student), state_url(conversation), body), 400)
    assert error["code"] == "invalid" and "state" in error["fields"]
    assert ConversationState.objects.get(conversation=conversation, user=student).state == "active"


def test_signed_out_visitors_are_refused(client, conversation):
    for response in (
        client.get(CONVERSATIONS),
        client.get(UNREAD),
        client.get(messages_url(conversation)),
        post(client, messages_url(conversation), {"body": "hi"}),
    ):
        assert error_of(response, 403)["code"] == "not_authenticated"
    assert not Message.objects.exists()


# --- the contract (tests/test_api_contract.py found these) ---------------------------------------


def test_a_message_body_must_be_text(client, conversation, student):
    as_user(client, student)
    response = post(client, messages_url(conversation), {"body": 12345})  # was sent as "12345"
    assert error_of(response, 400)["fields"]["body"] == ["Send text (a JSON string)."]
    assert not conversation.messages.filter(body="12345").exists()


def test_an_empty_folder_is_refused_not_read_as_the_default(client, student):
    as_user(client, student)
    assert "folder" in error_of(client.get(f"{CONVERSATIONS}?folder="), 400)["fields"]
