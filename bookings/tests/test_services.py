"""Every booking transition and the transitions it forbids, with time travel across the
notice, hold, request and completion windows."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from availability import services as availability_services
from bookings import services
from bookings.errors import (
    DayFull,
    HoldExpired,
    InvalidOption,
    InvalidTransition,
    OutsideAvailability,
    OutsideBookingWindow,
    PolicyViolation,
    SlotUnavailable,
    StudentBusy,
)
from bookings.models import (
    Booking,
    BookingLock,
    BookingReschedule,
    BookingStatus,
    NoShowResolution,
    NoShowType,
    Party,
    PaymentStatus,
    Settlement,
)
from bookings.tests.factories import book, new_key, open_instructor
from core.exceptions import Forbidden

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # 07:00 in New York
DAY = dt.date(2026, 12, 3)


def at(hour, minute=0, day=DAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile():
    return open_instructor(days=[DAY, DAY + dt.timedelta(days=1)])


@pytest.fixture
def offering(profile):
    return profile.offerings.get()


@pytest.fixture
def student():
    return UserFactory(role="student")


# --- holding and confirming ---------------------------------------------------------------


def test_hold_records_local_and_utc_times_and_price(offering, student):
    booking = services.hold_booking(
        student=student, offering=offering, start_at=at(10), duration=30, idempotency_key="k1"
    )
    assert booking.status == BookingStatus.HELD
    assert (booking.date, booking.start_time, booking.end_time) == (DAY, dt.time(10), dt.time(10, 30))
    assert booking.start_at == dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
    assert booking.instructor_timezone == "America/New_York"
    assert booking.price_cents == 30_00 and booking.hourly_rate_cents == 60_00
    assert booking.hold_expires_at == NOW + dt.timedelta(minutes=10)
    assert booking.payment.status == PaymentStatus.PENDING


def test_same_idempotency_key_returns_the_same_booking(offering, student):
    first = services.hold_booking(student=student, offering=offering, start_at=at(10), duration=60, idempotency_key="k")
    second = services.hold_booking(
        student=student, offering=offering, start_at=at(10), duration=60, idempotency_key="k"
    )
    assert first.pk == second.pk
    assert Booking.objects.count() == 1


def test_confirm_without_instructor_confirmation_confirms(offering, student):
    booking = book(student, offering, at(10), location="student_location", address="1 Main St, Apt 2")
    assert booking.status == BookingStatus.CONFIRMED and booking.confirmed_at == NOW
    assert booking.location_address == "1 Main St, Apt 2"
    again = services.confirm_booking(booking=booking, student=student, location_type="online")
    assert again.status == BookingStatus.CONFIRMED and again.location_type == "student_location"  # idempotent


def test_confirm_needs_an_offered_location_and_an_address_at_the_students_place(offering, student):
    booking = book(student, offering, at(10), confirm=False)
    with pytest.raises(InvalidOption):
        services.confirm_booking(booking=booking, student=student, location_type="instructor_location")
    with pytest.raises(InvalidOption) as error:
        services.confirm_booking(booking=booking, student=student, location_type="student_location", address=" ")
    assert "address" in error.value.extra["fields"]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_only_the_student_confirms_their_hold(offering, student):
    booking = book(student, offering, at(10), confirm=False)
    with pytest.raises(Forbidden):
        services.confirm_booking(booking=booking, student=UserFactory(), location_type="online")


def test_an_expired_hold_cannot_be_confirmed_and_frees_the_time(offering, student, frozen_clock):
    booking = book(student, offering, at(10), confirm=False)
    frozen_clock.shift(dt.timedelta(minutes=10))
    with pytest.raises(HoldExpired):
        services.confirm_booking(booking=booking, student=student, location_type="online")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert booking.payment.settlement == Settlement.RELEASE
    assert book(UserFactory(), offering, at(10)).status == BookingStatus.CONFIRMED


def test_a_stale_hold_never_blocks_even_before_the_sweep(offering, student, frozen_clock):
    book(student, offering, at(10), confirm=False)
    frozen_clock.shift(dt.timedelta(minutes=11))
    other = book(UserFactory(), offering, at(10))
    assert other.status == BookingStatus.CONFIRMED
    assert Booking.objects.filter(student=student).get().status == BookingStatus.EXPIRED


def test_release_expired_holds_sweeps_only_expired_ones(offering, student, frozen_clock):
    old = book(student, offering, at(10), confirm=False)
    frozen_clock.shift(dt.timedelta(minutes=5))
    fresh = book(UserFactory(), offering, at(12), confirm=False)
    frozen_clock.shift(dt.timedelta(minutes=6))
    assert services.release_expired_holds() == 1
    assert services.release_expired_holds() == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (BookingStatus.EXPIRED, BookingStatus.HELD)


# --- bad requests change nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    "start, duration, error",
    [
        (at(8), 60, OutsideAvailability),  # before the painted 09:00
        (at(16, 30), 60, OutsideAvailability),  # runs past 17:00
        (at(10, day=DAY + dt.timedelta(days=5)), 60, OutsideAvailability),  # a closed day
        (at(10), 45, InvalidOption),  # not a length the service offers
        (NOW - dt.timedelta(hours=1), 60, OutsideBookingWindow),  # the past
        (at(10, day=DAY + dt.timedelta(days=90)), 60, OutsideBookingWindow),  # beyond the horizon
    ],
)
def test_bad_requests_are_refused_and_write_nothing(offering, student, start, duration, error):
    with pytest.raises(error):
        services.hold_booking(
            student=student, offering=offering, start_at=start, duration=duration, idempotency_key=new_key()
        )
    assert not Booking.objects.exists()


def test_minimum_notice_is_enforced(profile, offering, student, frozen_clock):
    profile.min_notice_minutes = 24 * 60
    profile.save()
    frozen_clock.move_to(at(10, day=DAY - dt.timedelta(days=1)))  # exactly 24 h before 10:00 on DAY
    with pytest.raises(OutsideBookingWindow) as error:
        services.hold_booking(
            student=student, offering=offering, start_at=at(9, 30), duration=30, idempotency_key=new_key()
        )
    assert "notice" in error.value.message
    assert book(student, offering, at(10)).status == BookingStatus.CONFIRMED


def test_instructor_cannot_book_themselves_and_non_students_cannot_book(profile, offering):
    with pytest.raises((InvalidOption, Forbidden)):
        services.hold_booking(
            student=profile.user, offering=offering, start_at=at(10), duration=60, idempotency_key=new_key()
        )
    with pytest.raises(Forbidden):
        services.hold_booking(
            student=UserFactory(role="support"),
            offering=offering,
            start_at=at(10),
            duration=60,
            idempotency_key=new_key(),
        )


def test_an_inactive_offering_cannot_be_booked(offering, student):
    offering.is_active = False
    offering.save()
    with pytest.raises(InvalidOption):
        book(student, offering, at(10))


# --- the calendar rules ----------------------------------------------------------------------


def test_overlap_buffer_and_student_clash(profile, offering, student):
    book(student, offering, at(10))
    with pytest.raises(SlotUnavailable):
        book(UserFactory(), offering, at(10, 30))
    book(UserFactory(), offering, at(11))  # back to back is fine without a buffer
    profile.buffer_minutes = 15
    profile.save()
    with pytest.raises(SlotUnavailable):
        book(UserFactory(), offering, at(12))  # 15 minutes after 11:00-12:00 ends
    assert book(UserFactory(), offering, at(12, 15)).status == BookingStatus.CONFIRMED
    other_offering = open_instructor(days=[DAY]).offerings.get()
    with pytest.raises(StudentBusy):
        book(student, other_offering, at(10, 30))


def test_max_lessons_per_day(profile, offering):
    profile.max_lessons_per_day = 2
    profile.save()
    book(UserFactory(), offering, at(9))
    book(UserFactory(), offering, at(11))
    with pytest.raises(DayFull):
        book(UserFactory(), offering, at(14))
    assert book(UserFactory(), offering, at(14, day=DAY + dt.timedelta(days=1))).status == BookingStatus.CONFIRMED


def test_lessons_cannot_cross_midnight_or_start_in_a_missing_hour():
    profile = open_instructor(days=[dt.date(2026, 12, 5)], ranges=((22 * 60, 24 * 60),))
    offering = profile.offerings.get()
    with pytest.raises(OutsideAvailability):
        book(UserFactory(), offering, dt.datetime(2026, 12, 5, 23, 30, tzinfo=NY))
    assert book(UserFactory(), offering, dt.datetime(2026, 12, 5, 23, 0, tzinfo=NY)).end_time == dt.time(0, 0)


def test_layer_independence_clearing_availability_keeps_the_booking(profile, offering, student):
    booking = book(student, offering, at(10))
    availability_services.block_days(profile=profile, first_day=DAY, last_day=DAY)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.start_at, booking.end_at) == (at(10), at(11))


# --- requests ----------------------------------------------------------------------------------


@pytest.fixture
def requesting_profile(profile):
    profile.requires_confirmation = True
    profile.save()
    return profile


def test_request_then_accept(requesting_profile, offering, student):
    booking = book(student, offering, at(10))
    assert booking.status == BookingStatus.REQUESTED
    assert booking.request_deadline == NOW + dt.timedelta(hours=24)
    with pytest.raises(Forbidden):
        services.accept_request(booking=booking, instructor_user=UserFactory(role="instructor"))
    booking = services.accept_request(booking=booking, instructor_user=requesting_profile.user)
    assert booking.status == BookingStatus.CONFIRMED
    with pytest.raises(InvalidTransition):
        services.decline_request(booking=booking, instructor_user=requesting_profile.user)


def test_request_declined_frees_the_time(requesting_profile, offering, student):
    booking = book(student, offering, at(10))
    booking = services.decline_request(booking=booking, instructor_user=requesting_profile.user, reason="Away")
    assert (booking.status, booking.cancelled_by) == (BookingStatus.DECLINED, Party.INSTRUCTOR)
    assert booking.payment.settlement == Settlement.RELEASE
    assert book(UserFactory(), offering, at(10)).status == BookingStatus.REQUESTED


def test_unanswered_requests_expire_at_the_deadline(requesting_profile, offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.shift(dt.timedelta(hours=23, minutes=59))
    assert services.expire_unanswered_requests() == 0
    frozen_clock.shift(dt.timedelta(minutes=1))
    assert services.expire_unanswered_requests() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        services.accept_request(booking=booking, instructor_user=requesting_profile.user)


# --- cancel ----------------------------------------------------------------------------------


def test_student_cancels_early_for_free(offering, student):
    booking = book(student, offering, at(10))
    preview = services.actions_for(booking, student).cancellation
    assert (preview.charge_cents, preview.late) == (0, False)
    outcome = services.cancel_booking(booking=booking, user=student, reason="Sick")
    booking.refresh_from_db()
    assert outcome == preview
    assert (booking.status, booking.cancelled_by) == (BookingStatus.CANCELLED, Party.STUDENT)
    assert booking.payment.settlement == Settlement.RELEASE


def test_student_cancels_late_and_is_charged(offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(10) - dt.timedelta(hours=23))
    outcome = services.cancel_booking(booking=booking, user=student)
    assert (outcome.charge_cents, outcome.instructor_paid) == (60_00, True)
    booking.refresh_from_db()
    assert booking.payment.settlement == Settlement.CHARGE  # payments captures it and pays the instructor


def test_instructor_cancels_and_the_student_pays_nothing(profile, offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(9, 30))
    outcome = services.cancel_booking(booking=booking, user=profile.user)
    assert outcome.charge_cents == 0
    booking.refresh_from_db()
    assert booking.cancelled_by == Party.INSTRUCTOR


def test_strangers_cannot_cancel_and_started_lessons_cannot_be_cancelled(offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    with pytest.raises(Forbidden):
        services.cancel_booking(booking=booking, user=UserFactory())
    frozen_clock.move_to(at(10))
    with pytest.raises(PolicyViolation):
        services.cancel_booking(booking=booking, user=student)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_staff_with_the_permission_can_cancel(offering, student):
    booking = book(student, offering, at(10))
    services.cancel_booking(booking=booking, user=UserFactory(role="support"))
    booking.refresh_from_db()
    assert booking.cancelled_by == Party.STAFF


def test_cancelled_booking_cannot_be_cancelled_again(offering, student):
    booking = book(student, offering, at(10))
    services.cancel_booking(booking=booking, user=student)
    with pytest.raises(InvalidTransition):
        services.cancel_booking(booking=booking, user=student)


# --- reschedule --------------------------------------------------------------------------------


def test_early_reschedule_moves_the_lesson_for_free(offering, student):
    booking = book(student, offering, at(10))
    new = services.reschedule_booking(booking=booking, user=student, start_at=at(10, 30), idempotency_key="r1")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.RESCHEDULED
    assert (new.status, new.start_at, new.price_cents) == (BookingStatus.CONFIRMED, at(10, 30), booking.price_cents)
    link = BookingReschedule.objects.get(booking=booking)
    assert (link.rescheduled_to_id, link.count, link.original_start_at, link.late) == (new.pk, 1, at(10), False)
    assert not BookingLock.objects.exists()
    assert services.reschedule_booking(booking=booking, user=student, start_at=at(15), idempotency_key="r1") == new


def test_late_reschedule_locks_the_funds(offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(10) - dt.timedelta(hours=2))
    new = services.reschedule_booking(
        booking=booking, user=student, start_at=at(10, day=DAY + dt.timedelta(days=1)), idempotency_key=new_key()
    )
    lock = BookingLock.objects.get(booking=booking)
    assert lock.amount_cents == booking.price_cents and lock.resolution == "pending"
    assert new.rescheduled_from.late is True


def test_reschedule_limit_counts_the_whole_chain(offering, student, settings):
    settings.BOOKING_MAX_RESCHEDULES = 2
    booking = book(student, offering, at(10))
    second = services.reschedule_booking(booking=booking, user=student, start_at=at(11), idempotency_key=new_key())
    third = services.reschedule_booking(booking=second, user=student, start_at=at(12), idempotency_key=new_key())
    assert third.rescheduled_from.count == 2
    assert third.rescheduled_from.original_start_at == at(10)
    with pytest.raises(PolicyViolation):
        services.reschedule_booking(booking=third, user=student, start_at=at(13), idempotency_key=new_key())


def test_failed_reschedule_leaves_the_original_booked(offering, student):
    booking = book(student, offering, at(10))
    book(UserFactory(), offering, at(14))
    with pytest.raises(SlotUnavailable):
        services.reschedule_booking(booking=booking, user=student, start_at=at(14), idempotency_key=new_key())
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not BookingReschedule.objects.exists()


def test_only_the_student_reschedules(profile, offering, student):
    booking = book(student, offering, at(10))
    with pytest.raises(Forbidden):
        services.reschedule_booking(booking=booking, user=profile.user, start_at=at(11), idempotency_key=new_key())


# --- completion and no-shows -----------------------------------------------------------------


def test_lessons_complete_after_they_end(offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(10, 59))
    assert services.complete_finished_lessons() == 0
    frozen_clock.move_to(at(11))
    assert services.complete_finished_lessons() == 1
    assert services.complete_finished_lessons() == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.completed_at == at(11)


def test_no_show_report_window_and_who_may_report(profile, offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    with pytest.raises(PolicyViolation):
        services.report_no_show(booking=booking, user=student)  # before the lesson starts
    frozen_clock.move_to(at(11) + dt.timedelta(hours=24, seconds=1))
    with pytest.raises(PolicyViolation):
        services.report_no_show(booking=booking, user=student)  # window closed
    frozen_clock.move_to(at(10, 15))
    with pytest.raises(Forbidden):
        services.report_no_show(booking=booking, user=UserFactory(role="support"))
    no_show = services.report_no_show(booking=booking, user=profile.user, note="Never came")
    assert no_show.no_show_type == NoShowType.STUDENT
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW


def test_no_show_dispute_and_staff_resolution(profile, offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(12))
    services.report_no_show(booking=booking, user=student)
    with pytest.raises(Forbidden):
        services.dispute_no_show(booking=booking, user=student, note="I reported it")
    with pytest.raises(InvalidOption):
        services.dispute_no_show(booking=booking, user=profile.user, note="  ")
    no_show = services.dispute_no_show(booking=booking, user=profile.user, note="I was there, they were not")
    assert no_show.disputed_at == at(12)
    with pytest.raises(Forbidden):
        services.resolve_no_show(
            booking=booking, staff_user=UserFactory(role="finance"), resolution=NoShowResolution.UPHELD
        )
    no_show = services.resolve_no_show(
        booking=booking, staff_user=UserFactory(role="support"), resolution=NoShowResolution.DISMISSED
    )
    booking.refresh_from_db()
    assert (no_show.resolution, booking.status) == (NoShowResolution.DISMISSED, BookingStatus.COMPLETED)
    with pytest.raises(InvalidTransition):
        services.resolve_no_show(
            booking=booking, staff_user=UserFactory(role="support"), resolution=NoShowResolution.UPHELD
        )


def test_upheld_no_show_stays_a_no_show(offering, student, frozen_clock):
    booking = book(student, offering, at(10))
    frozen_clock.move_to(at(12))
    services.report_no_show(booking=booking, user=student)
    services.resolve_no_show(booking=booking, staff_user=UserFactory(role="admin"), resolution="upheld")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    with pytest.raises(InvalidOption):
        services.resolve_no_show(booking=booking, staff_user=UserFactory(role="admin"), resolution="maybe")


def test_previews_refuse_bookings_that_can_no_longer_change(offering, student):
    booking = book(student, offering, at(10))
    services.cancel_booking(booking=booking, user=student)
    booking.refresh_from_db()
    actions = services.actions_for(booking, student)
    assert (actions.cancel.allowed, actions.cancel.code, actions.cancellation) == (False, "invalid_transition", None)
    assert (actions.reschedule.allowed, actions.reschedule.code) == (False, "invalid_transition")
    with pytest.raises(InvalidTransition):
        services.cancel_booking(booking=booking, user=student)


def test_a_student_withdraws_an_unanswered_request_late_for_free(requesting_profile, offering, student, frozen_clock):
    frozen_clock.move_to(at(6))
    booking = book(student, offering, at(10))  # the request is open until an hour before the lesson
    frozen_clock.move_to(at(8, 30))  # late (under 24 hours), still unanswered
    assert services.cancel_booking(booking=booking, user=student).charge_cents == 0
    booking.refresh_from_db()
    assert booking.payment.settlement == Settlement.RELEASE


def test_an_expired_hold_does_not_hide_its_time_from_the_picker(profile, offering, student, frozen_clock):
    from bookings.openings import start_times

    book(student, offering, at(10), confirm=False)
    taken = {t.start_at for t in start_times(profile, duration=60, first=DAY, days=1)}
    assert at(10) not in taken
    frozen_clock.shift(dt.timedelta(minutes=10))
    assert at(10) in {t.start_at for t in start_times(profile, duration=60, first=DAY, days=1)}
