"""Deleting an account: the preview says what it costs, the lessons to come are cancelled under
the normal policy, personal data goes, the money records stay (anonymous), the other person's
conversation shows "Deleted user", and nobody can sign in as them again."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import authenticate
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import BackupCode, SignedInSession, User
from accounts.tests.factories import TEST_PASSWORD, UserFactory, with_two_factor
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import book, open_instructor
from core.exceptions import Conflict
from core.models import AuditLog
from instructors.models import InstructorProfile
from messaging import services as messaging_services
from payments import credits
from payments.models import BookingPayment, CreditReason, SavedCard
from privacy.erasure import ErasureRefused, erase_account, erasure_preview

pytestmark = pytest.mark.django_db
NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 7:00 in New York
THU, FRI = dt.date(2026, 12, 3), dt.date(2026, 12, 4)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offering(clock):
    return open_instructor(days=[dt.date(2026, 12, 1), THU, FRI]).offerings.get()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NY)


def test_the_preview_lists_each_lesson_with_its_cost_and_the_credit_given_up(offering):
    student = UserFactory(first_name="Maya")
    soon = book(student, offering, at(dt.date(2026, 12, 1), 15), address="")  # 8 hours away: late
    later = book(student, offering, at(FRI, 10))
    credits.grant(user=student, amount_cents=25_00, reason=CreditReason.REFUND)

    preview = erasure_preview(student)

    assert [lesson.booking.pk for lesson in preview.lessons] == [soon.pk, later.pk]
    late, free = (lesson.cost for lesson in preview.lessons)
    assert late != free and "$" in late  # a late cancellation says what it charges
    assert preview.credit_cents == 25_00 and preview.blocker == ""


def test_a_student_deletes_their_account(offering, mailoutbox, django_capture_on_commit_callbacks):
    student = with_two_factor(UserFactory(first_name="Maya", last_name="Chen", phone="+12125550199"))
    upcoming = book(student, offering, at(FRI, 10), location="student_location", address="12 Elm St, Brooklyn")
    conversation = messaging_services.start_conversation(student=student, instructor=offering.instructor.user)
    messaging_services.send_message(sender=student, conversation=conversation, body="See you Friday!")
    email = student.email

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = erase_account(user=student, actor=student)

    assert cancelled == 1
    upcoming.refresh_from_db()
    assert upcoming.status == BookingStatus.CANCELLED and upcoming.location_address == ""
    assert BookingPayment.objects.filter(booking=upcoming).exists()  # the money record stays
    student.refresh_from_db()
    assert (student.first_name, student.last_name, student.phone) == ("Deleted user", "", "")
    assert student.email.endswith("@deleted.invalid") and not student.is_active and student.erased_at
    assert authenticate(username=email, password=TEST_PASSWORD) is None
    assert not TOTPDevice.objects.filter(user=student).exists()
    assert not BackupCode.objects.filter(user=student).exists()
    assert not SignedInSession.objects.filter(user=student).exists()
    assert not SavedCard.objects.filter(user=student).exists()
    message = conversation.messages.get(sender=student)
    assert message.sender.public_name == "Deleted user"
    assert AuditLog.objects.filter(action="erase_account", target_id=student.pk).count() == 1
    goodbye = [mail for mail in mailoutbox if mail.to == [email]]
    assert goodbye and "deleted" in goodbye[-1].subject


def test_an_instructor_leaves_search_and_their_students_lessons_are_cancelled_for_free(offering):
    instructor = offering.instructor.user
    student = UserFactory()
    lesson = book(student, offering, at(dt.date(2026, 12, 1), 15))  # late, but the instructor cancels

    erase_account(user=instructor, actor=instructor)

    lesson.refresh_from_db()
    assert lesson.status == BookingStatus.CANCELLED and lesson.cancelled_by == "instructor"
    profile = InstructorProfile.objects.get(user=instructor)
    assert not profile.is_live and profile.headline == "" and profile.bio == ""
    assert not profile.offerings.filter(is_active=True).exists()


def test_it_waits_for_a_lesson_in_progress_and_refuses_staff(offering, clock):
    student = UserFactory()
    lesson = book(student, offering, at(THU, 10))
    clock.move_to(at(THU, 10) + dt.timedelta(minutes=20))
    with pytest.raises(ErasureRefused, match="happening now"):
        erase_account(user=student, actor=student)
    assert User.objects.get(pk=student.pk).erased_at is None
    assert Booking.objects.get(pk=lesson.pk).status == BookingStatus.CONFIRMED

    staff = UserFactory(is_staff=True)
    with pytest.raises(Conflict, match="another admin"):
        erase_account(user=staff, actor=staff)


def test_erasing_twice_is_refused(clock):
    student = UserFactory()
    erase_account(user=student, actor=student)
    with pytest.raises(ErasureRefused, match="already deleted"):
        erase_account(user=student, actor=student)
