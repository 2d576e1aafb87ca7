"""The operations console for bookings and availability: read-only pages, satellites inline,
actions through the services, permission-driven access, a flat changelist query count."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_signed_in
from availability import services as availability_services
from bookings import services
from bookings.models import Booking, BookingNoShow, BookingStatus, NoShowResolution, Party, Settlement
from bookings.tests.factories import book, new_key, open_instructor
from payments.services import advance_all

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
FIRST_DAY = dt.date(2026, 12, 3)
DAYS = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(7)]
CHANGELIST = reverse("admin:bookings_booking_changelist")
CHANGELIST_BUDGET = 11  # session, user, 2FA device, 2 x permissions, instructor filter, 2 x count, rows, 2 x dates


def change_url(booking) -> str:
    return reverse("admin:bookings_booking_change", args=[booking.pk])


def run_action(client, action: str, bookings):
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [b.pk for b in bookings], "index": "0"}, follow=True
    )
    assert response.status_code == 200
    return response, [(message.level_tag, message.message) for message in get_messages(response.wsgi_request)]


class Calendar:
    """Two open instructors and a stream of free lesson times (5 a day, 09:00-14:00 New York;
    16:00 stays free for reschedules)."""

    def __init__(self):
        with time_machine.travel(NOW, tick=False):
            self.profiles = [open_instructor(days=DAYS, ranges=((9 * 60, 18 * 60),)) for _ in range(2)]
        self.slots = {profile.pk: itertools.count() for profile in self.profiles}

    def start(self, profile, index: int) -> dt.datetime:
        day = FIRST_DAY + dt.timedelta(days=index // 5)
        return dt.datetime.combine(day, dt.time(9 + index % 5), tzinfo=NY)

    def book(self, n: int, **kwargs) -> list[Booking]:
        bookings = []
        with time_machine.travel(NOW, tick=False):
            for number in range(n):
                profile = self.profiles[number % 2]
                start = self.start(profile, next(self.slots[profile.pk]))
                bookings.append(book(UserFactory(), profile.offerings.get(), start, **kwargs))
        return bookings


@pytest.fixture
def calendar():
    return Calendar()


def report_no_show(booking) -> None:
    with time_machine.travel(booking.end_at + dt.timedelta(minutes=5), tick=False):
        services.report_no_show(booking=booking, user=booking.student, note="Nobody came.")


def with_every_satellite_kind(bookings) -> None:
    """Cancel one (payment not charged), reschedule one (reschedule satellite), report a no-show."""
    cancelled, moved, missed = bookings[0], bookings[1], bookings[2]
    with time_machine.travel(NOW, tick=False):
        services.cancel_booking(booking=cancelled, user=cancelled.student, reason="Changed my mind")
        services.reschedule_booking(
            booking=moved,
            user=moved.student,
            start_at=dt.datetime.combine(moved.date, dt.time(16), tzinfo=NY),
            idempotency_key=new_key(),
        )
    report_no_show(missed)


# --- the changelist ------------------------------------------------------------------------


def test_staff_see_bookings_with_their_satellites(client, calendar):
    bookings = calendar.book(4)
    with_every_satellite_kind(bookings)
    staff_signed_in(client, "admin")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    first = bookings[3]
    assert first.service_name in page
    assert first.student.public_name in page and first.student.email in page  # staff see private details
    assert first.instructor.user.email in page
    assert "2026-12-03 14:00 UTC" in page  # 09:00 New York
    assert '<span class="quiet" title="America/New_York">Thu 03 Dec 2026 09:00–10:00 New York</span>' in page
    assert "$60" in page
    assert "Not yet authorized" in page and "Not charged" in page  # payment satellite
    assert "rescheduled (1)" in page
    assert "no-show report open" in page
    assert response.context["cl"].result_count == 5  # 4 + the rescheduled-to booking


def test_changelist_query_count_does_not_grow_with_the_rows(client, calendar, django_assert_max_num_queries):
    with_every_satellite_kind(calendar.book(10))
    staff_signed_in(client, "admin")
    with CaptureQueriesContext(connection) as ten:
        assert client.get(CHANGELIST).context["cl"].result_count == 11
    with_every_satellite_kind(calendar.book(10))
    with django_assert_max_num_queries(CHANGELIST_BUDGET), CaptureQueriesContext(connection) as twenty:
        assert client.get(CHANGELIST).context["cl"].result_count == 22
    assert len(twenty) == len(ten), [query["sql"] for query in twenty]


def test_filters_and_search(client, calendar):
    bookings = calendar.book(4)
    report_no_show(bookings[0])
    staff_signed_in(client, "support")

    def listed(**params):
        return {row.pk for row in client.get(CHANGELIST, params).context["cl"].result_list}

    assert listed(no_show="open") == {bookings[0].pk}
    assert listed(no_show="resolved") == set()
    assert listed(status="no_show") == {bookings[0].pk}
    assert listed(instructor=bookings[1].instructor_id) == {bookings[1].pk, bookings[3].pk}
    assert listed(location_type="online") == {b.pk for b in bookings}
    assert listed(q=bookings[2].student.email) == {bookings[2].pk}
    assert listed(q=bookings[2].pk.lower()) == {bookings[2].pk}
    assert listed(q=bookings[2].service_name) == {bookings[0].pk, bookings[2].pk}  # same instructor's service
    assert listed(start_at__year="2026", start_at__month="12", start_at__day="3") == {b.pk for b in bookings}
    assert listed(**{"payment__status__exact": "pending"}) == {b.pk for b in bookings}


def test_staff_without_private_details_see_public_names_only(client, calendar):
    booking = calendar.book(1)[0]
    staff_signed_in(client, "finance")
    page = client.get(CHANGELIST).content.decode()
    assert booking.student.public_name in page
    assert booking.student.email not in page and booking.student.last_name not in page
    assert booking.instructor.user.email not in page
    assert 'value="cancel_by_staff"' not in page  # finance may look, not act
    detail = client.get(change_url(booking)).content.decode()
    assert booking.student.email not in detail


# --- the booking page ---------------------------------------------------------------------


def test_change_page_shows_the_satellites_inline_read_only(client, calendar):
    bookings = calendar.book(3)
    with_every_satellite_kind(bookings)
    advance_all()  # the payments sweep closes the moved lesson's payment
    staff_signed_in(client, "admin")

    moved = bookings[1]
    response = client.get(change_url(moved))
    assert response.status_code == 200
    assert [formset.opts.verbose_name for formset in response.context["inline_admin_formsets"]] == [
        "payment",
        "instructor transfer",
        "card dispute",
        "no-show report",
        "locked funds (late reschedule)",
        "rescheduled to",
    ]
    page = response.content.decode()
    new = Booking.objects.get(rescheduled_from__booking=moved)
    assert change_url(new) in page  # the reschedule satellite links to the new booking
    assert "Not charged" in page
    assert 'name="status"' not in page and 'name="price_cents"' not in page
    assert 'name="_save"' not in page  # nothing to save: changes go through the actions

    assert moved.pk in client.get(change_url(new)).content.decode()  # "rescheduled from"

    missed = client.get(change_url(bookings[2])).content.decode()
    assert "Nobody came." in missed
    assert bookings[2].student.email in missed  # reported by, for staff with private details


def test_bookings_cannot_be_added_or_deleted_in_the_console(client, calendar):
    booking = calendar.book(1)[0]
    staff_signed_in(client, "admin")
    assert client.get(reverse("admin:bookings_booking_add")).status_code == 403
    assert client.post(reverse("admin:bookings_booking_delete", args=[booking.pk])).status_code == 403
    assert 'value="delete_selected"' not in client.get(CHANGELIST).content.decode()
    assert Booking.objects.filter(pk=booking.pk).exists()


# --- actions ------------------------------------------------------------------------------------


def test_cancel_action_cancels_through_the_service(client, calendar):
    bookings = calendar.book(2)
    staff = staff_signed_in(client, "admin")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        _, notes = run_action(client, "cancel_by_staff", bookings)
    assert notes == [("success", "Cancelled 2 booking(s).")]
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancelled_by == Party.STAFF
        assert booking.cancellation_reason == "Cancelled by staff"
        assert booking.payment.settlement == Settlement.RELEASE  # staff cancel: the student pays nothing
    assert staff.pk  # the acting user is the staff member (Party.STAFF above)


def test_cancelling_a_started_lesson_is_reported_not_a_500(client, calendar):
    started, upcoming = calendar.book(2)  # 09:00 with each instructor...
    later = calendar.book(2)[0]  # ...and 10:00
    staff_signed_in(client, "admin")
    with time_machine.travel(started.start_at + dt.timedelta(minutes=30), tick=False):
        _, notes = run_action(client, "cancel_by_staff", [started, later])
    started.refresh_from_db()
    later.refresh_from_db()
    assert started.status == BookingStatus.CONFIRMED
    assert later.status == BookingStatus.CANCELLED
    assert ("success", "Cancelled 1 booking(s).") in notes
    [warning] = [text for level, text in notes if level == "warning"]
    assert warning.startswith(f"Could not cancel {started.pk} ({started.service_name}, 2026-12-03 14:00 UTC)")
    assert "already started" in warning
    assert upcoming.status == BookingStatus.CONFIRMED


def test_resolve_actions(client, calendar):
    upheld, dismissed, no_report = calendar.book(3)
    report_no_show(upheld)
    report_no_show(dismissed)
    staff = staff_signed_in(client, "admin")

    _, notes = run_action(client, "resolve_no_show_upheld", [upheld])
    assert notes == [("success", "Resolved the no-show report (upheld) on 1 booking(s).")]
    _, notes = run_action(client, "resolve_no_show_dismissed", [dismissed, no_report])
    assert ("success", "Resolved the no-show report (dismissed) on 1 booking(s).") in notes
    assert any(
        level == "warning" and no_report.pk in text and "no open no-show report" in text for level, text in notes
    )

    upheld_report = BookingNoShow.objects.get(booking=upheld)
    assert (upheld_report.resolution, upheld_report.resolved_by) == (NoShowResolution.UPHELD, staff)
    assert Booking.objects.get(pk=upheld.pk).status == BookingStatus.NO_SHOW
    assert BookingNoShow.objects.get(booking=dismissed).resolution == NoShowResolution.DISMISSED
    assert Booking.objects.get(pk=dismissed.pk).status == BookingStatus.COMPLETED
    assert Booking.objects.get(pk=no_report.pk).status == BookingStatus.CONFIRMED

    # Resolving twice is refused politely.
    _, notes = run_action(client, "resolve_no_show_dismissed", [upheld])
    assert [level for level, _ in notes] == ["warning"]


def test_support_staff_can_use_the_actions(client, calendar):
    missed, upcoming = calendar.book(2)
    report_no_show(missed)
    staff_signed_in(client, "support")
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(change_url(missed)).status_code == 200
    assert len(client.get(change_url(missed)).context["inline_admin_formsets"]) == 6

    _, notes = run_action(client, "resolve_no_show_upheld", [missed])
    assert notes[0][0] == "success"
    with time_machine.travel(NOW, tick=False):
        _, notes = run_action(client, "cancel_by_staff", [upcoming])
    assert notes == [("success", "Cancelled 1 booking(s).")]
    assert Booking.objects.get(pk=upcoming.pk).status == BookingStatus.CANCELLED


def test_students_and_instructors_cannot_reach_the_console(client, calendar):
    booking = calendar.book(1)[0]
    for user in (booking.student, booking.instructor.user):
        client.force_login(user)
        for url in (CHANGELIST, change_url(booking)):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        response = client.post(
            CHANGELIST, {"action": "cancel_by_staff", "_selected_action": [booking.pk], "index": "0"}
        )
        assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


# --- availability ---------------------------------------------------------------------------


def test_availability_days_are_listed_as_ranges_read_only(client):
    with time_machine.travel(NOW, tick=False):
        profile = open_instructor(days=[FIRST_DAY], ranges=((9 * 60, 12 * 60), (13 * 60, 17 * 60)))
        availability_services.save_weekly_template(profile=profile, weekdays={0: [(9 * 60, 12 * 60)]})
    staff_signed_in(client, "admin")

    page = client.get(reverse("admin:availability_availabilityday_changelist")).content.decode()
    assert "09:00–12:00, 13:00–17:00" in page
    assert ">420<" in page
    assert profile.user.email in page
    searched = client.get(reverse("admin:availability_availabilityday_changelist"), {"q": profile.user.email})
    assert searched.context["cl"].result_count == 1
    assert (
        client.get(reverse("admin:availability_availabilityday_changelist"), {"q": "nobody@"})
        .context["cl"]
        .result_count
        == 0
    )
    assert client.get(reverse("admin:availability_availabilityday_add")).status_code == 403

    template = client.get(reverse("admin:availability_weeklytemplateday_changelist"), {"weekday": "0"})
    assert "Monday" in template.content.decode() and "09:00–12:00" in template.content.decode()
    assert template.context["cl"].result_count == 1
    assert client.get(reverse("admin:availability_weeklytemplateday_add")).status_code == 403
    day = profile.availability_days.get()
    detail = client.get(reverse("admin:availability_availabilityday_change", args=[day.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
