"""Conversations in the operations console: view-only, for staff holding
`messaging.view_conversation`, each opening written to the audit log; and the audit log
itself, read-only."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory, sign_in_verified, staff_signed_in
from bookings.tests.factories import book, open_instructor
from core.models import AuditLog
from core.services import record_audit
from messaging import services
from messaging.models import Conversation, ConversationState, Message
from messaging.tests.factories import pair

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
CHANGELIST = reverse("admin:messaging_conversation_changelist")
AUDIT_LIST = reverse("admin:core_auditlog_changelist")
CONTACT = "Mail me at maya@example.com or call 917-555-0123"
MASKED = "Mail me at [email hidden] or call [phone hidden]"
CHANGELIST_BUDGET = 8  # session, user, 2FA device, 2 x permissions, 2 x count, the rows (people, message count joined)
CHANGE_BUDGET = 9  # session, user, conversation, 2 x permissions, states, messages, content type, audit insert


def change_url(conversation) -> str:
    return reverse("admin:messaging_conversation_change", args=[conversation.pk])


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def talk(clock=None, *, student=None, instructor=None) -> Conversation:
    """A conversation with a few messages, one with contact details (masked for the recipient)."""
    if student is None or instructor is None:
        student, instructor = pair()
    conversation = services.start_conversation(student=student, instructor=instructor)
    services.send_message(sender=student, conversation=conversation, body="Hello! Are you free on Tuesday?")
    services.send_message(sender=instructor, conversation=conversation, body="Yes, after 4pm.")
    services.send_message(sender=student, conversation=conversation, body=CONTACT)
    return conversation


# --- the list --------------------------------------------------------------------------------------


def test_support_staff_list_conversations_without_their_contents(client):
    conversation = talk()
    staff_signed_in(client, "support")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["cl"].result_count == 1
    row = response.context["cl"].result_list[0]
    assert row.message_count == 3
    for user in (conversation.student, conversation.instructor):
        assert user.public_name in page and user.email in page  # support holds view_private_details
    assert "Tuesday" not in page and "maya@example.com" not in page  # who and when, never what
    assert not AuditLog.objects.exists()  # the list is not an audited read


def test_search_by_participant_email(client):
    first, second = talk(), talk()
    staff_signed_in(client, "support")

    def found(query):
        return {row.pk for row in client.get(CHANGELIST, {"q": query}).context["cl"].result_list}

    assert found(first.student.email) == {first.pk}
    assert found(second.instructor.email) == {second.pk}
    assert found(first.pk.lower()) == {first.pk}
    assert found("nobody@example.com") == set()


def test_changelist_query_count_does_not_grow_with_the_rows(client, django_assert_max_num_queries):
    for _ in range(3):
        talk()
    staff_signed_in(client, "support")
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).context["cl"].result_count == 3
    for _ in range(9):
        talk()
    with django_assert_max_num_queries(CHANGELIST_BUDGET), CaptureQueriesContext(connection) as more:
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 12
    assert [row.message_count for row in response.context["cl"].result_list] == [3] * 12
    assert len(more) == len(few), [query["sql"] for query in more]


# --- opening a conversation ---------------------------------------------------------------------


def test_opening_a_conversation_shows_every_message_and_writes_one_audit_row(client):
    conversation = talk()
    agent = staff_signed_in(client, "support")
    response = client.get(change_url(conversation))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hello! Are you free on Tuesday?" in page and "Yes, after 4pm." in page
    assert CONTACT in page  # staff see what was typed...
    assert MASKED in page  # ...and what the recipient saw
    assert conversation.student.email in page and conversation.instructor.email in page
    assert [formset.opts.verbose_name_plural for formset in response.context["inline_admin_formsets"]] == [
        "each person's inbox",
        "messages (oldest first)",
    ]

    entry = AuditLog.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        agent,
        "view_conversation",
        "messaging.conversation",
        conversation.pk,
    )
    assert entry.data == {"path": change_url(conversation)}

    client.get(change_url(conversation))
    assert AuditLog.objects.filter(actor=agent, target_id=conversation.pk).count() == 2  # every opening


def test_conversation_page_query_count_does_not_grow_with_the_messages(client, clock, django_assert_max_num_queries):
    conversation = talk()
    staff_signed_in(client, "support")
    with CaptureQueriesContext(connection) as few:
        assert client.get(change_url(conversation)).status_code == 200
    for n in range(20):
        clock.shift(dt.timedelta(seconds=1))  # within the sending rate limit
        services.send_message(sender=conversation.student, conversation=conversation, body=f"more {n}")
    with django_assert_max_num_queries(CHANGE_BUDGET), CaptureQueriesContext(connection) as more:
        assert "more 19" in client.get(change_url(conversation)).content.decode()
    assert len(more) <= len(few), [query["sql"] for query in more]


def test_booking_events_show_as_the_platform_with_a_link_to_the_lesson(client, django_capture_on_commit_callbacks):
    profile = open_instructor(days=[dt.date(2026, 12, 3)])
    student = UserFactory(role="student")
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(student, profile.offerings.get(), dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC))
    staff_signed_in(client, "support")
    page = client.get(change_url(Conversation.objects.get())).content.decode()
    assert "InstaInstru (system)" in page
    assert reverse("admin:bookings_booking_change", args=[booking.pk]) in page


def test_the_conversation_page_is_view_only(client):
    conversation = talk()
    staff_signed_in(client, "admin")  # even the admin role: conversations are not edited here
    page = client.get(change_url(conversation)).content.decode()
    assert 'name="_save"' not in page and "<textarea" not in page
    assert client.post(change_url(conversation), {"last_message_at": ""}).status_code == 403
    assert client.get(reverse("admin:messaging_conversation_add")).status_code == 403
    assert client.post(reverse("admin:messaging_conversation_delete", args=[conversation.pk])).status_code == 403
    assert 'value="delete_selected"' not in client.get(CHANGELIST).content.decode()
    assert Message.objects.filter(conversation=conversation).count() == 3
    assert ConversationState.objects.filter(conversation=conversation).count() == 2
    assert AuditLog.objects.count() == 1  # the one successful opening; refused requests write nothing


def test_an_unknown_conversation_writes_no_audit_row(client):
    staff_signed_in(client, "support")
    response = client.get(change_url(Conversation(pk="01JUNKJUNKJUNKJUNKJUNKJUNK")))
    assert response.status_code == 302
    assert not AuditLog.objects.exists()


def test_finance_staff_cannot_read_conversations(client):
    conversation = talk()
    staff_signed_in(client, "finance")
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(conversation)).status_code == 403
    assert "messaging/conversation" not in client.get(reverse("admin:index")).content.decode()
    assert not AuditLog.objects.exists()


def test_students_and_instructors_cannot_reach_the_console(client):
    conversation = talk()
    for user in (conversation.student, conversation.instructor):
        client.force_login(user)
        for url in (CHANGELIST, change_url(conversation), AUDIT_LIST):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
    assert not AuditLog.objects.exists()


# --- the audit log ----------------------------------------------------------------------------------


def test_the_audit_log_lists_filters_and_searches(client, clock):
    first, second = talk(), talk()
    support = staff_signed_in(client, "support")
    client.get(change_url(first))
    record_audit(actor=UserFactory(role="admin", is_staff=True), action="export_data", target=first.student)
    clock.shift(dt.timedelta(days=2))
    sign_in_verified(client, support)  # two days idle: a staff session ends after 30 minutes
    client.get(change_url(second))

    response = client.get(AUDIT_LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert support.email in page and "view_conversation" in page
    assert f'href="{change_url(first)}"' in page  # the target links to its page

    def listed(**params):
        return [entry.target_id for entry in client.get(AUDIT_LIST, params).context["cl"].result_list]

    assert listed(action="view_conversation") == [second.pk, first.pk]
    assert listed(action="export_data") == [first.student.pk]
    assert listed(q=first.pk) == [first.pk]
    assert listed(q=support.email) == [second.pk, first.pk]
    day = {"created_at__gte": "2026-12-03 00:00:00+00:00", "created_at__lt": "2026-12-04 00:00:00+00:00"}
    assert listed(**day) == [second.pk]
    assert AuditLog.objects.count() == 3  # reading the log is not itself audited


def test_the_audit_log_is_read_only(client):
    conversation = talk()
    staff_signed_in(client, "admin")
    client.get(change_url(conversation))
    entry = AuditLog.objects.get()
    detail = client.get(reverse("admin:core_auditlog_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.post(reverse("admin:core_auditlog_change", args=[entry.pk]), {"action": "x"}).status_code == 403
    assert client.get(reverse("admin:core_auditlog_add")).status_code == 403
    assert client.post(reverse("admin:core_auditlog_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert 'value="delete_selected"' not in client.get(AUDIT_LIST).content.decode()
    entry.refresh_from_db()
    assert entry.action == "view_conversation" and AuditLog.objects.count() == 1


def test_finance_staff_cannot_read_the_audit_log(client):
    staff_signed_in(client, "finance")
    assert client.get(AUDIT_LIST).status_code == 403
