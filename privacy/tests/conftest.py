"""Data for the export tests: a student with a paid lesson and a conversation with their
instructor, and another student of the same instructor whose data must never leak into it."""

import datetime as dt
import io
import json
import zipfile

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from bookings.tests.factories import book, open_instructor
from messaging import services as messaging_services

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LESSON_AT = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def instructor_profile(clock):
    return open_instructor(days=[dt.date(2026, 12, 3)])


@pytest.fixture
def student(instructor_profile):
    """Ana, with one confirmed (card-paid) lesson and a conversation with the instructor."""
    ana = UserFactory(role="student", email="ana@example.com", first_name="Ana", last_name="Lopez")
    lesson = book(ana, instructor_profile.offerings.get(), LESSON_AT)
    conversation = messaging_services.start_conversation(student=ana, instructor=instructor_profile.user)
    messaging_services.send_message(sender=ana, conversation=conversation, body="Can we work on scales?")
    messaging_services.send_message(
        sender=instructor_profile.user, conversation=conversation, body="Of course, bring your book."
    )
    ana.lesson = lesson
    return ana


@pytest.fixture
def other_student(instructor_profile):
    """Ben, a student of the same instructor: nothing of his may appear in Ana's export."""
    ben = UserFactory(role="student", email="ben@example.com", first_name="Benedict", last_name="Zed")
    book(ben, instructor_profile.offerings.get(), LESSON_AT + dt.timedelta(hours=2))
    conversation = messaging_services.start_conversation(student=ben, instructor=instructor_profile.user)
    messaging_services.send_message(sender=ben, conversation=conversation, body="Ben's private question")
    return ben


def unzip(archive: bytes) -> dict:
    """The zip as {filename: parsed JSON, or text for the README}."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {
            name: opened.read(name).decode() if name.endswith(".txt") else json.loads(opened.read(name))
            for name in opened.namelist()
        }
