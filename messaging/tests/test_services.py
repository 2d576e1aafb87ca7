import datetime as dt
import logging

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import UserFactory
from bookings.models import BookingStatus
from bookings.tests.factories import book, open_instructor
from core.exceptions import InvalidInput, NotFound, RateLimited
from core.models import RateLimitRule
from messaging import selectors, services
from messaging.models import Conversation, ConversationState, InboxState, Message
from messaging.tests.factories import pair

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people():
    return pair()


@pytest.fixture
def conversation(people):
    student, instructor = people
    return services.start_conversation(student=student, instructor=instructor)


def state_of(conversation, user):
    return ConversationState.objects.get(conversation=conversation, user=user).state


def test_one_conversation_per_pair(people):
    student, instructor = people
    first = services.start_conversation(student=student, instructor=instructor)
    assert services.start_conversation(student=student, instructor=instructor) == first
    assert Conversation.objects.count() == 1
    assert ConversationState.objects.filter(conversation=first).count() == 2


@pytest.mark.parametrize("who", ["self", "student_to_student", "staff"])
def test_only_students_and_instructors_talk(people, who):
    student, instructor = people
    other = {"self": student, "student_to_student": UserFactory(role="student"), "staff": UserFactory(role="support")}
    with pytest.raises(InvalidInput):
        services.start_conversation(student=student, instructor=other[who])
    assert not Conversation.objects.exists()


def test_state_is_per_user_and_a_new_message_restores_it(conversation, people, clock):
    student, instructor = people
    services.send_message(sender=student, conversation=conversation, body="Hi!")
    services.set_inbox_state(user=student, conversation=conversation, state=InboxState.ARCHIVED)
    services.set_inbox_state(user=instructor, conversation=conversation, state=InboxState.TRASHED)
    assert (state_of(conversation, student), state_of(conversation, instructor)) == ("archived", "trashed")
    clock.shift(dt.timedelta(minutes=1))
    services.send_message(sender=student, conversation=conversation, body="Still there?")
    assert state_of(conversation, instructor) == InboxState.ACTIVE
    assert state_of(conversation, student) == InboxState.ACTIVE


def test_unread_count_ignores_folders_and_own_messages(conversation, people, clock):
    student, instructor = people
    for text in ("one", "two", "three"):
        services.send_message(sender=student, conversation=conversation, body=text)
        clock.shift(dt.timedelta(seconds=1))
    assert selectors.unread_count(instructor) == 3
    services.set_inbox_state(user=instructor, conversation=conversation, state=InboxState.ARCHIVED)
    assert selectors.unread_count(instructor) == 3  # the badge counts every folder
    services.set_inbox_state(user=instructor, conversation=conversation, state=InboxState.TRASHED)
    assert selectors.unread_count(instructor) == 3
    services.send_message(sender=instructor, conversation=conversation, body="reply")
    assert selectors.unread_count(instructor) == 0  # replying means you read what came before
    assert selectors.unread_count(student) == 1
    services.mark_read(user=student, conversation=conversation)
    assert selectors.unread_count(student) == 0


def test_unread_count_is_one_query(conversation, people, django_assert_num_queries):
    student, instructor = people
    services.send_message(sender=student, conversation=conversation, body="hello")
    with django_assert_num_queries(1):
        assert selectors.unread_count(instructor) == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_bad_messages_change_nothing(conversation, people, body):
    with pytest.raises(InvalidInput):
        services.send_message(sender=people[0], conversation=conversation, body=body)
    assert not Message.objects.exists()


def test_strangers_cannot_post_or_read(conversation):
    outsider = UserFactory(role="student")
    with pytest.raises(NotFound):
        services.send_message(sender=outsider, conversation=conversation, body="hi")
    with pytest.raises(NotFound):
        services.mark_read(user=outsider, conversation=conversation)
    assert selectors.conversation_for(outsider, conversation.pk) is None


def test_contact_details_masked_until_a_lesson_is_confirmed(clock):
    profile = open_instructor(days=[dt.date(2026, 12, 3)])
    student, instructor = UserFactory(role="student"), profile.user
    conversation = services.start_conversation(student=student, instructor=instructor)
    text = "Mail me at maya@example.com or call 917-555-0123"
    before = services.send_message(sender=student, conversation=conversation, body=text)
    assert before.body_for(instructor.pk) == "Mail me at [email hidden] or call [phone hidden]"
    assert before.body_for(student.pk) == text
    booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    assert booking.status == BookingStatus.CONFIRMED
    after = services.send_message(sender=student, conversation=conversation, body=text)
    assert after.body_for(instructor.pk) == text and after.masked_body == ""


def test_rate_limit_bursts_then_blocks_and_recovers(conversation, people, clock):
    RateLimitRule.objects.create(bucket="send_message", limit=60, period_seconds=60, burst=3)
    for index in range(3):
        services.send_message(sender=people[0], conversation=conversation, body=f"m{index}")
    with pytest.raises(RateLimited) as error:
        services.send_message(sender=people[0], conversation=conversation, body="too fast")
    assert error.value.retry_after >= 1
    assert Message.objects.count() == 3
    clock.shift(dt.timedelta(seconds=1))
    services.send_message(sender=people[0], conversation=conversation, body="after a breath")
    assert Message.objects.count() == 4


def test_shadow_mode_only_logs(conversation, people, caplog):
    RateLimitRule.objects.create(bucket="send_message", limit=60, period_seconds=60, burst=1, shadow=True)
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        for index in range(3):
            services.send_message(sender=people[0], conversation=conversation, body=f"m{index}")
    assert Message.objects.count() == 3
    assert "rate limit (shadow) bucket=send_message" in caplog.text


def test_sending_works_and_logs_when_redis_is_down(conversation, people, settings, caplog):
    import copy

    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = "redis://127.0.0.1:1/0"
    caches["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] = 0.1
    settings.CACHES = caches
    with caplog.at_level(logging.WARNING):
        services.send_message(sender=people[0], conversation=conversation, body="still works")
    assert Message.objects.count() == 1
    assert "failing open" in caplog.text


def test_one_notice_email_per_unread_batch(conversation, people, clock, settings):
    settings.MESSAGE_NOTICE_DELAY_SECONDS = 600
    student, instructor = people
    services.send_message(sender=student, conversation=conversation, body="first")
    clock.shift(dt.timedelta(minutes=5))
    services.send_message(sender=student, conversation=conversation, body="second")
    assert services.send_unread_notices() == 0  # not yet waited long enough
    clock.shift(dt.timedelta(minutes=6))
    assert services.send_unread_notices() == 1
    assert services.send_unread_notices() == 0
    clock.shift(dt.timedelta(minutes=20))
    services.send_message(sender=student, conversation=conversation, body="third, same batch")
    clock.shift(dt.timedelta(minutes=11))
    assert services.send_unread_notices() == 0  # still the unread batch already emailed about
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [instructor.email]
    assert f"/messages/{conversation.pk}/" in mail.outbox[0].body
    assert student.last_name not in mail.outbox[0].body and student.email not in mail.outbox[0].body
    services.mark_read(user=instructor, conversation=conversation)
    services.send_message(sender=student, conversation=conversation, body="new batch")
    clock.shift(dt.timedelta(minutes=11))
    assert services.send_unread_notices() == 1
    assert len(mail.outbox) == 2


def test_booking_events_become_system_messages(clock, django_capture_on_commit_callbacks):
    profile = open_instructor(days=[dt.date(2026, 12, 3)])
    student = UserFactory(role="student")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    from bookings import services as booking_services

    with django_capture_on_commit_callbacks(execute=True):
        booking_services.cancel_booking(booking=booking, user=student)
    conversation = Conversation.objects.get(student=student, instructor=profile.user)
    texts = list(conversation.messages.values_list("body", flat=True))
    assert len(texts) == 2, texts
    assert texts[0].startswith(f"{student.public_name} booked") and "10:00 AM (America/New_York)" in texts[0]
    assert "was cancelled" in texts[1]
    assert all(conversation.messages.values_list("is_system", flat=True))
    assert selectors.unread_count(profile.user) == 2


def test_paging_back_keeps_messages_sent_in_the_same_instant(conversation, people):
    for index in range(5):  # the clock is frozen: all five share one created_at
        services.send_message(sender=people[0], conversation=conversation, body=f"m{index}")
    newest, has_older = selectors.thread_page(conversation, limit=2)
    assert has_older
    cursor = newest[0]
    older, _ = selectors.thread_page(conversation, before=cursor.created_at, before_id=cursor.pk, limit=10)
    assert len(older) + len(newest) == 5
    assert {m.pk for m in older}.isdisjoint({m.pk for m in newest})


def test_sending_needs_no_broker_the_beat_task_sends_the_notices(
    conversation, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.send_message(sender=people[0], conversation=conversation, body="hi")
    assert callbacks == []  # nothing queued per message: a Redis/broker outage can't fail a send after commit
