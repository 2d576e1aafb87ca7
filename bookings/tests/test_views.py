"""The booking pages through Django's test client, on the real database: the widget,
hold → checkout → confirm → booking page → My Lessons, cancel / reschedule / no-show,
the instructor's bookings, ownership and query counts."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings import services
from bookings.models import Booking, BookingNoShow, BookingStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 7:00 AM in New York
DAYS = [dt.date(2026, 12, 2), dt.date(2026, 12, 3), dt.date(2026, 12, 4)]
TEN_AM_NY = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile(clock):
    return open_instructor(days=DAYS)


@pytest.fixture
def offering(profile):
    return profile.offerings.get()


@pytest.fixture
def student(clock):
    maya = UserFactory(first_name="Maya", last_name="Chenowith", timezone="America/New_York")
    give_card(maya)  # a saved test card, so checkout can finish
    return maya


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def book_url(profile, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("bookings:book", args=[profile.pk]) + (f"?{query}" if query else "")


def hold(client, offering, start_at, *, key="key-1", duration=60):
    return client.post(
        reverse("bookings:book", args=[offering.instructor_id]),
        {"offering": offering.pk, "duration": duration, "start_at": start_at.isoformat(), "key": key},
    )


def checkout_url(booking):
    return reverse("payments:checkout", args=[booking.pk])


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- the widget -------------------------------------------------------------------------------


def test_profile_side_column_offers_booking(client, profile):
    response = client.get(reverse("instructors:profile", args=[profile.pk]))
    body = text(response)
    assert "Book a lesson" in body
    assert "See open times" in body  # without JavaScript: a link to the booking page
    assert f'hx-get="{reverse("bookings:book", args=[profile.pk])}"' in body  # with it: the widget loads in place
    assert "coming soon" not in body


def test_book_page_lists_free_times_by_day_in_the_visitors_zone(client, profile, offering):
    body = text(client.get(book_url(profile)))
    assert "Times in the instructor's zone (America/New_York)" in body
    assert "Wednesday, Dec 2" in body and "Thursday, Dec 3" in body
    assert f'value="{TEN_AM_NY.isoformat()}"' in body
    assert ">10:00 AM<" in body
    assert "60 min · $60" in body and "30 min · $30" in body
    assert 'name="key"' in body


def test_a_chicago_student_sees_a_10am_new_york_slot_at_9am(client, profile, offering):
    chicago = UserFactory(timezone="America/Chicago")
    client.force_login(chicago)
    response = client.get(book_url(profile, offering=offering.pk, duration=60))
    body = text(response)
    assert "Times in your zone (America/Chicago); instructor is in America/New_York" in body
    slot = TEN_AM_NY.astimezone(ZoneInfo("America/Chicago"))
    assert re.search(rf'value="{re.escape(slot.isoformat())}" class="time-slot">9:00 AM<', body)
    # The earliest slot on a 9-to-5 New York day is 8:00 AM in Chicago.
    first_day = response.context["panel"].days[0]
    assert first_day.times[0].strftime("%H:%M") == "08:00"


def test_only_the_offerings_durations_are_offered_and_bad_ones_fall_back(client, profile, offering):
    response = client.get(book_url(profile, offering=offering.pk, duration=45))
    assert response.context["duration"] == 60  # 45 is not offered: the usual hour is preselected
    assert [minutes for minutes, _ in response.context["durations"]] == [30, 60]


def test_week_navigation_and_the_empty_week(client, profile, offering):
    response = client.get(book_url(profile, week=1))
    body = text(response)
    assert "No open times this week — try next week" in body
    assert '<span class="visually-hidden">Previous week</span>' in body
    assert response.context["panel"].first_day == dt.date(2026, 12, 8)


def test_htmx_asks_for_the_times_list_or_the_widget_only(client, profile, offering):
    times = client.get(book_url(profile, week=1), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="booking-times")
    assert times.templates[0].name == "bookings/_times.html"
    assert "<html" not in times.content.decode()
    widget = client.get(book_url(profile), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="booking-widget")
    assert widget.templates[0].name == "bookings/_widget.html"
    assert "HX-Request" in times["Vary"]


def test_booking_page_of_a_profile_that_is_not_live_is_404(client, profile):
    profile.is_live = False
    profile.save(update_fields=["is_live"])
    assert client.get(book_url(profile)).status_code == 404


# --- hold → checkout → confirm → detail → My Lessons ---------------------------------------


def test_full_booking_flow(client, profile, offering, student):
    client.force_login(student)
    response = hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    assert booking.status == BookingStatus.HELD
    assert response.url == checkout_url(booking)

    body = text(client.get(checkout_url(booking)))
    assert "Held for you until" in body and "7:10 AM" in body
    assert "Thursday, December 3, 2026" in body and "10:00 AM – 11:00 AM" in body
    assert "$60" in body
    assert "Free cancellation until Wednesday, December 2, 10:00 AM" in body
    assert "Test mode: no payment is taken." in body
    assert "At the student&#x27;s location" in body and "Online" in body

    response = client.post(checkout_url(booking), {"location_type": "online", "note": "Beginner, rusty."})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.student_note == "Beginner, rusty."

    body = text(client.get(response.url))
    assert "You&#x27;re booked!" in body  # the flash message
    assert "What happens next" in body and "Confirmed" in body
    assert "Online" in body and "$60" in body
    assert profile.user.public_name in body and profile.user.last_name not in body

    body = text(client.get(reverse("bookings:my_lessons")))
    assert booking.service_name in body and "10:00 AM – 11:00 AM" in body
    assert reverse("bookings:cancel", args=[booking.pk]) in body
    assert reverse("bookings:reschedule", args=[booking.pk]) in body


def test_detail_shows_both_time_zones_when_they_differ(client, profile, offering):
    chicago = UserFactory(timezone="America/Chicago")
    booking = book(chicago, offering, TEN_AM_NY)
    client.force_login(chicago)
    body = text(client.get(reverse("bookings:detail", args=[booking.pk])))
    assert "9:00 AM – 10:00 AM" in body
    assert "Your time (America/Chicago)" in body
    assert "Thu, Dec 3, 10:00 AM – 11:00 AM for your instructor (America/New_York)" in body


def test_the_same_hold_key_twice_makes_one_booking(client, offering, student):
    client.force_login(student)
    first = hold(client, offering, TEN_AM_NY, key="same")
    second = hold(client, offering, TEN_AM_NY, key="same")
    assert first.url == second.url
    assert Booking.objects.filter(student=student).count() == 1


def test_a_page_brought_back_with_the_back_button_can_hold_another_time(client, offering, student):
    client.force_login(student)
    hold(client, offering, TEN_AM_NY, key="page")
    other = hold(client, offering, TEN_AM_NY + dt.timedelta(days=1), key="page")
    booking = Booking.objects.get(start_at=TEN_AM_NY + dt.timedelta(days=1))
    assert other.url == checkout_url(booking)
    assert Booking.objects.filter(student=student, status=BookingStatus.HELD).count() == 2


def test_confirming_twice_keeps_one_confirmed_booking(client, offering, student):
    client.force_login(student)
    hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    for _ in range(2):
        response = client.post(checkout_url(booking), {"location_type": "online"})
        assert response.url == reverse("bookings:detail", args=[booking.pk])
    assert Booking.objects.filter(student=student).count() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_an_address_is_required_at_the_students_place(client, offering, student):
    client.force_login(student)
    hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    response = client.post(checkout_url(booking), {"location_type": "student_location", "address": "  "})
    assert response.status_code == 400
    assert response.context["form"].errors["address"] == ["Required."]
    assert 'id="id_address_error"' in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD
    response = client.post(checkout_url(booking), {"location_type": "student_location", "address": "12 Elm St, Apt 3"})
    booking.refresh_from_db()
    assert (booking.status, booking.location_address) == (BookingStatus.CONFIRMED, "12 Elm St, Apt 3")


def test_a_location_the_service_does_not_offer_is_a_form_error(client, offering, student):
    client.force_login(student)
    hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    response = client.post(checkout_url(booking), {"location_type": "instructor_location"})
    assert response.status_code == 400
    assert "location_type" in response.context["form"].errors
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_an_expired_hold_says_so_and_links_back(client, offering, student, clock):
    client.force_login(student)
    hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    clock.shift(dt.timedelta(minutes=11))
    body = text(client.get(checkout_url(booking)))
    assert "This hold ran out" in body and "Pick a time again" in body
    assert book_url(offering.instructor, offering=offering.pk, duration=60).replace("&", "&amp;") in body
    response = client.post(checkout_url(booking), {"location_type": "online"})
    assert "This hold ran out" in text(response)
    booking.refresh_from_db()
    assert booking.status in (BookingStatus.HELD, BookingStatus.EXPIRED)
    assert booking.confirmed_at is None


def test_a_time_taken_meanwhile_sends_the_student_back_with_a_message(client, offering, student):
    book(UserFactory(), offering, TEN_AM_NY)
    client.force_login(student)
    response = hold(client, offering, TEN_AM_NY)
    assert response.status_code == 409
    body = text(response)
    assert "that time was just taken" in body  # with a way back to the same week of times
    assert f'href="{reverse("bookings:book", args=[offering.instructor_id])}?offering={offering.pk}' in body
    assert not Booking.objects.filter(student=student).exists()


def test_a_bad_start_time_is_a_message_not_a_500(client, offering, student):
    client.force_login(student)
    response = client.post(
        reverse("bookings:book", args=[offering.instructor_id]),
        {"offering": offering.pk, "duration": 60, "start_at": "tomorrow-ish", "key": "k"},
    )
    assert response.status_code == 302
    assert "Please pick a time from the list." in text(client.get(response.url))


def test_requests_need_the_instructors_answer(client, profile, offering, student):
    profile.requires_confirmation = True
    profile.save(update_fields=["requires_confirmation"])
    client.force_login(student)
    hold(client, offering, TEN_AM_NY)
    booking = Booking.objects.get(student=student)
    assert "Send request" in text(client.get(checkout_url(booking)))
    response = client.post(checkout_url(booking), {"location_type": "online"}, follow=True)
    body = text(response)
    assert "Request sent" in body
    assert "has until Wednesday, December 2, 7:00 AM to accept" in body


# --- anonymous visitors and non-students --------------------------------------------------------


def test_anonymous_picking_a_time_is_sent_to_log_in_and_back(client, offering):
    response = hold(client, offering, TEN_AM_NY)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")
    assert "book" in response.url
    assert not Booking.objects.exists()
    for url in (reverse("bookings:my_lessons"), reverse("bookings:instructor_bookings")):
        assert client.get(url).url.startswith(reverse("accounts:login"))


PAGES_OF_A_BOOKING = (
    "bookings:detail",
    "payments:checkout",
    "bookings:cancel",
    "bookings:reschedule",
    "bookings:reschedule_confirm",
    "bookings:report_no_show",
)


def test_anonymous_cannot_open_a_booking(client, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    for name in PAGES_OF_A_BOOKING:
        response = client.get(reverse(name, args=[booking.pk]))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_instructors_cannot_book_and_are_told_why(client, profile, offering):
    other = open_instructor(days=DAYS)
    client.force_login(other.user)
    body = text(client.get(book_url(profile)))
    assert "can't book lessons" in body
    response = hold(client, offering, TEN_AM_NY)
    assert "Only student accounts can book lessons." in text(client.get(response.url))
    assert not Booking.objects.exists()


# --- ownership -------------------------------------------------------------------------------


def test_other_students_and_instructors_get_404_and_change_nothing(client, profile, offering, student):
    held = services.hold_booking(
        student=student, offering=offering, start_at=TEN_AM_NY + dt.timedelta(days=1), duration=60, idempotency_key="h"
    )
    booking = book(student, offering, TEN_AM_NY)
    outsiders = [UserFactory(), open_instructor(days=DAYS).user]
    for outsider in outsiders:
        client.force_login(outsider)
        for name in PAGES_OF_A_BOOKING:
            assert client.get(reverse(name, args=[booking.pk])).status_code == 404, name
        assert client.post(reverse("bookings:cancel", args=[booking.pk])).status_code == 404
        assert client.post(reverse("payments:checkout", args=[held.pk]), {"location_type": "online"}).status_code == 404
        response = client.post(
            reverse("bookings:reschedule_confirm", args=[booking.pk]), {"start_at": TEN_AM_NY.isoformat(), "key": "x"}
        )
        assert response.status_code == 404
        assert client.post(reverse("bookings:report_no_show", args=[booking.pk])).status_code == 404
    client.force_login(outsiders[1])  # an instructor, but not this lesson's
    assert client.post(reverse("bookings:accept", args=[booking.pk])).status_code == 404
    assert client.post(reverse("bookings:decline", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    held.refresh_from_db()
    assert (booking.status, held.status) == (BookingStatus.CONFIRMED, BookingStatus.HELD)


def test_the_lessons_instructor_sees_the_booking_but_not_the_checkout(client, profile, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    client.force_login(profile.user)
    body = text(client.get(reverse("bookings:detail", args=[booking.pk])))
    assert student.public_name in body and "Chenowith" not in body and student.email not in body
    assert client.get(checkout_url(booking)).status_code == 404
    assert client.get(reverse("bookings:reschedule", args=[booking.pk])).status_code == 404


def test_state_changes_are_post_only(client, profile, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    client.force_login(profile.user)
    assert client.get(reverse("bookings:accept", args=[booking.pk])).status_code == 405
    assert client.get(reverse("bookings:decline", args=[booking.pk])).status_code == 405


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_preview_early_is_free(client, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    client.force_login(student)
    body = text(client.get(reverse("bookings:cancel", args=[booking.pk])))
    assert "Nothing is charged" in body and "Free cancellation: the lesson is at least 24 hours away." in body
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # looking changes nothing
    response = client.post(reverse("bookings:cancel", args=[booking.pk]), {"reason": "Sick"}, follow=True)
    assert "Lesson cancelled. Free cancellation" in text(response)
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.cancellation_reason) == ("cancelled", "student", "Sick")


def test_cancel_preview_late_shows_the_charge(client, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY - dt.timedelta(hours=2))
    client.force_login(student)
    body = text(client.get(reverse("bookings:cancel", args=[booking.pk])))
    assert "You'll be charged $60" in body
    assert "Less than 24 hours before the lesson: the full $60 is charged and your instructor is paid." in body


def test_instructor_cancel_is_free_for_the_student(client, profile, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY - dt.timedelta(hours=2))
    client.force_login(profile.user)
    body = text(client.get(reverse("bookings:instructor_bookings")))
    assert f"If you cancel, {student.public_name} pays nothing." in body
    body = text(client.get(reverse("bookings:cancel", args=[booking.pk])))
    assert f"Free for {student.public_name}" in body and "The student pays nothing" in body
    response = client.post(reverse("bookings:cancel", args=[booking.pk]))
    assert response.url == reverse("bookings:instructor_bookings")
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == ("cancelled", "instructor")


def test_a_started_lesson_cannot_be_cancelled(client, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY + dt.timedelta(minutes=5))
    client.force_login(student)
    body = text(client.get(reverse("bookings:cancel", args=[booking.pk])))
    assert "already started" in body
    assert client.post(reverse("bookings:cancel", args=[booking.pk])).status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- reschedule ---------------------------------------------------------------------------------


def test_reschedule_through_the_pages(client, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    client.force_login(student)
    url = reverse("bookings:reschedule", args=[booking.pk])
    response = client.get(url)
    body = text(response)
    assert "Free reschedule" in body
    assert "now</span>" in body  # the lesson's own time is shown as its current time, not blocked
    new_start = TEN_AM_NY + dt.timedelta(days=1, hours=2)
    assert f'value="{new_start.isoformat()}"' in body
    confirm = reverse("bookings:reschedule_confirm", args=[booking.pk])
    assert f'method="get" action="{confirm}"' in body  # picking a time opens the confirmation step
    step = client.get(confirm, {"start_at": new_start.isoformat()})
    body = text(step)
    assert step.status_code == 200 and "Move this lesson?" in body
    assert "Friday, December 4, 2026" in body and "12:00 PM" in body  # the new time
    assert "counts from the new time" in body and "cancel the moved lesson for free until" in body
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # nothing moved yet
    response = client.post(confirm, {"start_at": new_start.isoformat(), "key": step.context["key"]})
    new = Booking.objects.get(student=student, status=BookingStatus.CONFIRMED)
    assert response.url == reverse("bookings:detail", args=[new.pk])
    assert new.start_at == new_start
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RESCHEDULED
    body = text(client.get(reverse("bookings:my_lessons")))
    assert "Moved from Thu, Dec 3, 10:00 AM" in body
    assert body.count(booking.service_name + " with") == 1  # the old half is not listed


def test_late_reschedule_shows_the_lock_and_the_limit_is_explained(client, offering, student, clock, settings):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY - dt.timedelta(hours=3))
    client.force_login(student)
    body = text(client.get(reverse("bookings:reschedule", args=[booking.pk])))
    assert "Late reschedule: your payment is charged and locked" in body and "charged now and held" in body
    settings.BOOKING_MAX_RESCHEDULES = 0
    body = text(client.get(reverse("bookings:reschedule", args=[booking.pk])))
    assert "can&#x27;t be rescheduled" in body and "Pick a new time" not in body


def test_reschedule_to_a_taken_time_is_a_message(client, offering, student):
    booking = book(student, offering, TEN_AM_NY)
    taken = TEN_AM_NY + dt.timedelta(hours=3)
    book(UserFactory(), offering, taken)
    client.force_login(student)
    url = reverse("bookings:reschedule_confirm", args=[booking.pk])
    for response in (
        client.get(url, {"start_at": taken.isoformat()}),
        client.post(url, {"start_at": taken.isoformat()}),
    ):
        assert response.status_code == 409
        assert "that time was just taken" in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- no-shows -----------------------------------------------------------------------------------


def test_no_show_report_window(client, profile, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    url = reverse("bookings:report_no_show", args=[booking.pk])
    client.force_login(student)
    assert "once the lesson has started" in text(client.get(url))
    assert client.post(url).status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED

    clock.move_to(TEN_AM_NY + dt.timedelta(hours=1, minutes=30))
    body = text(client.get(reverse("bookings:my_lessons")))
    assert url in body  # a past lesson within the window offers the report
    response = client.post(url, {"note": "Waited 30 minutes."})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert booking.no_show.note == "Waited 30 minutes." and booking.no_show.no_show_type == "instructor"
    assert "already been reported" in text(client.get(url))


def test_no_show_report_closes_a_day_after_the_lesson(client, profile, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY + dt.timedelta(hours=26))
    services.complete_finished_lessons()
    client.force_login(profile.user)
    url = reverse("bookings:report_no_show", args=[booking.pk])
    assert url not in text(client.get(reverse("bookings:instructor_bookings")))
    assert "until 24 hours after the lesson ends" in text(client.get(url))
    assert client.post(url).status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED


def test_instructor_reports_a_student_no_show(client, profile, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY + dt.timedelta(hours=2))
    client.force_login(profile.user)
    url = reverse("bookings:report_no_show", args=[booking.pk])
    assert url in text(client.get(reverse("bookings:instructor_bookings")))
    client.post(url, {"note": ""})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show.no_show_type == "student"


def test_the_reported_instructor_disputes_through_the_detail_page(client, profile, offering, student, clock):
    booking = book(student, offering, TEN_AM_NY)
    clock.move_to(TEN_AM_NY + dt.timedelta(hours=2))
    services.report_no_show(booking=booking, user=student)
    url = reverse("bookings:dispute_no_show", args=[booking.pk])
    client.force_login(student)
    assert "You made this report" in text(client.get(url))
    client.force_login(profile.user)
    assert url in text(client.get(reverse("bookings:detail", args=[booking.pk])))
    assert "Say what happened." in text(client.post(url, {"note": ""}))
    response = client.post(url, {"note": "I waited at the door for 40 minutes."})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    assert BookingNoShow.objects.get(booking=booking).dispute_note == "I waited at the door for 40 minutes."
    assert "already been disputed" in text(client.get(url))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


# --- the instructor's requests ---------------------------------------------------------------------


def test_instructor_accepts_and_declines_requests(client, profile, offering, student):
    profile.requires_confirmation = True
    profile.save(update_fields=["requires_confirmation"])
    first = book(student, offering, TEN_AM_NY)
    second = book(UserFactory(), offering, TEN_AM_NY + dt.timedelta(days=1))
    assert first.status == second.status == BookingStatus.REQUESTED
    client.force_login(profile.user)
    body = text(client.get(reverse("bookings:instructor_bookings")))
    assert "Requests waiting for you" in body and "Answer by" in body
    assert reverse("bookings:accept", args=[first.pk]) in body

    response = client.post(reverse("bookings:accept", args=[first.pk]), follow=True)
    assert f"Accepted: {student.public_name}" in text(response)
    response = client.post(reverse("bookings:decline", args=[second.pk]))
    assert response.url == reverse("bookings:instructor_bookings")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (BookingStatus.CONFIRMED, BookingStatus.DECLINED)
    # Answering again is refused with the reason and a way back.
    response = client.post(reverse("bookings:accept", args=[second.pk]))
    assert response.status_code == 409 and "there is no request to answer" in text(response)
    assert f'href="{reverse("bookings:instructor_bookings")}"' in text(response)


def test_accept_returns_to_a_safe_next_page_only(client, profile, offering, student):
    profile.requires_confirmation = True
    profile.save(update_fields=["requires_confirmation"])
    booking = book(student, offering, TEN_AM_NY)
    client.force_login(profile.user)
    detail = reverse("bookings:detail", args=[booking.pk])
    assert client.post(reverse("bookings:accept", args=[booking.pk]), {"next": detail}).url == detail
    other = book(UserFactory(), offering, TEN_AM_NY + dt.timedelta(days=1))
    response = client.post(reverse("bookings:decline", args=[other.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("bookings:instructor_bookings")


def test_instructor_bookings_needs_the_teach_permission(client, student):
    client.force_login(student)
    assert client.get(reverse("bookings:instructor_bookings")).status_code == 403


# --- lists ----------------------------------------------------------------------------------------


def test_empty_states_help(client, profile, student):
    client.force_login(student)
    body = text(client.get(reverse("bookings:my_lessons")))
    assert "No upcoming lessons." in body and reverse("instructors:all_services") in body
    client.force_login(profile.user)
    assert "No upcoming lessons yet." in text(client.get(reverse("bookings:instructor_bookings")))


def test_nav_links_by_permission(client, profile, student):
    client.force_login(student)
    body = text(client.get(reverse("home")))
    assert reverse("bookings:my_lessons") in body and reverse("bookings:instructor_bookings") not in body
    client.force_login(profile.user)
    body = text(client.get(reverse("home")))
    assert reverse("bookings:instructor_bookings") in body and reverse("bookings:my_lessons") not in body


def free_slots():
    """Every free hour of the open days, spread across the days (at most 6 lessons a day)."""
    return iter(dt.datetime.combine(day, dt.time(hour), tzinfo=NY) for hour in range(9, 17) for day in DAYS)


def lessons_of_every_kind(student, offering, slots, *, extra: int):
    """A confirmed, a cancelled and a rescheduled lesson, plus `extra` more confirmed ones."""
    book(student, offering, next(slots))
    services.cancel_booking(booking=book(student, offering, next(slots)), user=student)
    moved = book(student, offering, next(slots))
    services.reschedule_booking(booking=moved, user=student, start_at=next(slots), idempotency_key=new_key())
    for _ in range(extra):
        book(student, offering, next(slots))


def test_my_lessons_has_a_fixed_query_count(client, profile, offering, student, django_assert_max_num_queries):
    client.force_login(student)
    url = reverse("bookings:my_lessons")
    slots = free_slots()
    lessons_of_every_kind(student, offering, slots, extra=0)
    few = count_queries(client, url)
    lessons_of_every_kind(UserFactory(), offering, slots, extra=0)  # someone else's: not shown
    other_offering = open_instructor(days=DAYS).offerings.get()
    lessons_of_every_kind(student, other_offering, slots, extra=4)
    lessons = client.get(url).context["lessons"]
    assert (len(lessons.upcoming), len(lessons.past), len(lessons.cancelled)) == (8, 0, 2)
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(8):
        client.get(url)


def test_instructor_bookings_has_a_fixed_query_count(client, profile, offering, django_assert_max_num_queries):
    client.force_login(profile.user)
    url = reverse("bookings:instructor_bookings")
    slots = free_slots()
    lessons_of_every_kind(UserFactory(), offering, slots, extra=0)
    few = count_queries(client, url)
    lessons_of_every_kind(UserFactory(), offering, slots, extra=2)
    profile.requires_confirmation = True
    profile.save(update_fields=["requires_confirmation"])
    book(UserFactory(), offering, next(slots))
    declined = book(UserFactory(), offering, next(slots))
    services.decline_request(booking=declined, instructor_user=profile.user)
    lessons = client.get(url).context["lessons"]
    assert (len(lessons.requests), len(lessons.upcoming), len(lessons.past), len(lessons.cancelled)) == (1, 6, 0, 3)
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(10):  # four lists (requests, upcoming, past, cancelled), one query each
        client.get(url)


def test_past_lessons_are_listed_latest_first(client, offering, student, clock):
    early = book(student, offering, TEN_AM_NY)
    late = book(student, offering, TEN_AM_NY + dt.timedelta(days=1))
    clock.move_to(TEN_AM_NY + dt.timedelta(days=3))
    services.complete_finished_lessons()
    client.force_login(student)
    lessons = client.get(reverse("bookings:my_lessons")).context["lessons"]
    assert lessons.upcoming == []
    assert [b.pk for b in lessons.past] == [late.pk, early.pk]
