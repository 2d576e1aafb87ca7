"""Checkout secures the money before it says "booked" (issue 9's declined-card hole).

A lesson within 24 hours is authorized during checkout: a decline or a bank check keeps the
student in checkout with the reason and the slot held, lets them pick another card or confirm with
their bank, and every failure is kept for the finance console. Through the service, the page and
the API alike."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.errors import PaymentNotSecured
from bookings.models import Booking, BookingStatus, PaymentStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor
from messaging.models import Message
from payments import credits, services
from payments.errors import AuthenticationNeeded, PaymentDeclined
from payments.models import AuthorizationChannel, CreditReason, FailedAuthorization, SavedCard
from payments.selectors import failed_payments
from payments.simulated import complete_authentication, simulated_object

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)  # Thursday, 7:00 AM in New York
SOON = dt.datetime(2026, 12, 3, 16, 0, tzinfo=NY)  # nine hours away: authorized at checkout
LATER = dt.datetime(2026, 12, 5, 10, 0, tzinfo=NY)  # two days away: authorized at T-24h
DAYS = [dt.date(2026, 12, 3), dt.date(2026, 12, 4), dt.date(2026, 12, 5)]
DECLINES = "pm_card_chargeCustomerFail"  # saves fine, every payment declined
ASKS_THE_BANK = "pm_card_threeDSecure2Required"


@pytest.fixture(autouse=True)
def test_mode(simulated_gateway):
    return simulated_gateway


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offering(clock):
    return open_instructor(days=DAYS, ranges=((8 * 60, 20 * 60),)).offerings.get()


@pytest.fixture
def student(clock):
    return UserFactory(role="student")


def hold(student, offering, start=SOON):
    return booking_services.hold_booking(
        student=student, offering=offering, start_at=start, duration=60, idempotency_key=new_key()
    )


def pay(booking, card=None, **kwargs):
    return services.checkout_booking(
        booking=booking, student=booking.student, location_type="online", payment_method_id=card, **kwargs
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the service ---------------------------------------------------------------------------------


def test_a_declined_card_keeps_the_student_in_checkout_and_another_card_books(
    student, offering, django_capture_on_commit_callbacks
):
    bad = give_card(student, DECLINES)
    booking = hold(student, offering)
    with pytest.raises(PaymentDeclined) as declined, django_capture_on_commit_callbacks(execute=True):
        pay(booking, bad.payment_method_id)
    assert declined.value.status == 402 and "declined" in declined.value.message
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD  # the slot stays held
    assert booking.payment.status == PaymentStatus.FAILED and booking.payment.pay_by is None  # the hold is the limit
    failure = FailedAuthorization.objects.get(booking=booking)
    assert (failure.channel, failure.code, failure.card_label) == (
        AuthorizationChannel.CHECKOUT,
        "generic_decline",
        "Visa ending 0341",
    )
    bad.refresh_from_db()
    assert bad.failed_last_time and bad.last_failure == "Your card was declined."
    assert not Message.objects.exists()  # nothing said "booked"
    assert not failed_payments().filter(booking=booking).exists()  # the student is on it, in checkout

    good = give_card(student)
    with django_capture_on_commit_callbacks(execute=True):
        booked = pay(booking, good.payment_method_id)
    assert booked.status == BookingStatus.CONFIRMED
    booked.payment.refresh_from_db()
    assert (booked.payment.status, booked.payment.authorized_cents) == (PaymentStatus.AUTHORIZED, 60_00)
    assert booked.payment.payment_method_id == good.payment_method_id
    assert simulated_object(booked.payment.payment_intent_id)["status"] == "requires_capture"
    good.refresh_from_db()
    assert not good.failed_last_time
    assert Message.objects.filter(booking=booking, is_system=True).count() == 1  # now it is booked


def test_credit_is_spent_once_however_many_cards_are_tried(student, offering):
    credits.grant(user=student, amount_cents=20_00, reason=CreditReason.REFUND)
    bad = give_card(student, DECLINES)
    booking = hold(student, offering)
    for _ in range(3):
        with pytest.raises(PaymentDeclined):
            pay(booking, bad.payment_method_id)
    assert credits.balance(student) == 0
    booking.payment.refresh_from_db()
    assert (booking.payment.credit_applied_cents, booking.payment.card_cents) == (20_00, 40_00)
    assert FailedAuthorization.objects.filter(booking=booking).count() == 3
    pay(booking, give_card(student).payment_method_id)
    booking.payment.refresh_from_db()
    assert booking.payment.authorized_cents == 40_00


def test_a_bank_check_at_checkout_books_once_the_student_confirms(student, offering):
    card = give_card(student, ASKS_THE_BANK)
    booking = hold(student, offering)
    with pytest.raises(AuthenticationNeeded) as asked:
        pay(booking, card.payment_method_id)
    booking.refresh_from_db()
    assert (booking.status, booking.payment.status) == (BookingStatus.HELD, PaymentStatus.ACTION_REQUIRED)
    assert asked.value.extra["payment_intent"] == booking.payment.payment_intent_id
    with pytest.raises(AuthenticationNeeded):  # "authenticated" before the bank said yes: still waiting
        pay(booking, card.payment_method_id, authenticated=True)

    complete_authentication(booking.payment.payment_intent_id)  # what Stripe.js does in the browser
    booked = pay(booking, card.payment_method_id, authenticated=True)
    assert booked.status == BookingStatus.CONFIRMED
    booked.payment.refresh_from_db()
    assert booked.payment.status == PaymentStatus.AUTHORIZED
    assert booked.payment.payment_intent_id == asked.value.extra["payment_intent"]


def test_a_later_lesson_books_now_and_is_authorized_a_day_before(student, offering):
    give_card(student, DECLINES)
    booking = pay(hold(student, offering, LATER))
    assert booking.status == BookingStatus.CONFIRMED  # the card was verified when saved
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.PENDING


def test_the_booking_service_alone_refuses_an_unsecured_near_lesson(student, offering):
    card = give_card(student, DECLINES)
    booking = hold(student, offering)
    with pytest.raises(PaymentDeclined):
        pay(booking, card.payment_method_id)
    with pytest.raises(PaymentNotSecured):
        booking_services.confirm_booking(booking=booking, student=student, location_type="online")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_an_abandoned_declined_checkout_gives_everything_back_and_stays_on_record(student, offering, clock):
    credits.grant(user=student, amount_cents=20_00, reason=CreditReason.REFUND)
    card = give_card(student, DECLINES)
    booking = hold(student, offering)
    with pytest.raises(PaymentDeclined):
        pay(booking, card.payment_method_id)
    clock.shift(dt.timedelta(minutes=11))
    booking_services.release_expired_holds()
    services.advance_all()
    booking.refresh_from_db()
    assert (booking.status, booking.payment.status) == (BookingStatus.EXPIRED, PaymentStatus.NOT_CHARGED)
    assert credits.balance(student) == 20_00
    assert FailedAuthorization.objects.filter(booking=booking).exists()  # still in the finance console


def test_a_failed_authorization_a_day_before_gives_time_to_fix_and_is_labelled_when_cancelled(
    student, offering, clock, django_capture_on_commit_callbacks
):
    give_card(student, DECLINES)
    booking = book(student, offering, LATER)
    clock.move_to(LATER - dt.timedelta(hours=24))
    with django_capture_on_commit_callbacks(execute=True):
        services.advance_all()
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.FAILED
    assert booking.payment.pay_by == LATER - dt.timedelta(hours=12)
    assert FailedAuthorization.objects.get(booking=booking).channel == AuthorizationChannel.SCHEDULED
    assert mail.outbox[0].to == [student.email] and "choose another card before" in mail.outbox[0].body
    clock.move_to(LATER - dt.timedelta(hours=12))
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_services.cancel_unpaid_lessons() == 1
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by) == (BookingStatus.CANCELLED, "system")
    expected = f"Cancelled automatically: {booking.service_name} (the payment didn't go through)"
    assert [m.subject for m in mail.outbox[1:]] == [expected, expected]
    client = APIClient()
    client.force_login(student)
    page = client.get(reverse("bookings:detail", args=[booking.pk]))
    assert "Cancelled automatically: the payment didn&#x27;t go through" in text(page)
    assert "by staff" not in text(page)


# --- the page --------------------------------------------------------------------------------------


def test_the_checkout_page_shows_the_decline_marks_the_card_and_books_with_another(client, student, offering):
    bad = give_card(student, DECLINES)
    good = give_card(student)
    booking = hold(student, offering)
    client.force_login(student)
    url = reverse("payments:checkout", args=[booking.pk])
    assert "authorized for $60 now" in text(client.get(url))
    response = client.post(url, {"location_type": "online", "payment_method": bad.payment_method_id})
    body = text(response)
    assert response.status_code == 402
    assert "Declined: Your card was declined. Choose another card or add one." in body
    assert "Didn't go through" in body and "Held for you until" in body
    form = response.context["form"]
    assert form["payment_method"].value() in (None, "")  # the failed card is not chosen again
    assert form["location_type"].value() == "online"  # the other answers are kept
    response = client.post(url, {"location_type": "online", "payment_method": good.payment_method_id})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_a_failed_card_is_never_preselected_at_the_next_checkout(client, student, offering):
    bad = give_card(student, DECLINES)  # the default: saved first
    good = give_card(student)
    with pytest.raises(PaymentDeclined):
        pay(hold(student, offering), bad.payment_method_id)
    client.force_login(student)
    later = hold(student, offering, LATER)
    form = client.get(reverse("payments:checkout", args=[later.pk])).context["form"]
    assert SavedCard.objects.get(pk=bad.pk).is_default
    assert form.fields["payment_method"].initial == good.payment_method_id


def test_the_checkout_page_walks_the_bank_check(client, student, offering):
    card = give_card(student, ASKS_THE_BANK)
    booking = hold(student, offering)
    client.force_login(student)
    url = reverse("payments:checkout", args=[booking.pk])
    response = client.post(url, {"location_type": "online", "payment_method": card.payment_method_id})
    body = text(response)
    assert response.status_code == 402
    assert "Your bank wants you to confirm this payment of $60" in body
    assert 'value="authenticate"' in body and "Confirm with my bank and book" in body
    response = client.post(url, {"location_type": "online", "action": "authenticate"})
    assert response.status_code == 302, text(response)[-3000:]
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert (booking.status, booking.payment.status) == (BookingStatus.CONFIRMED, PaymentStatus.AUTHORIZED)


# --- the API -----------------------------------------------------------------------------------------


def test_the_api_answers_402_with_the_reason_and_books_with_another_card(student, offering):
    bad, good = give_card(student, DECLINES), give_card(student)
    booking = hold(student, offering)
    client = APIClient()
    client.force_login(student)
    url = f"/api/v1/bookings/{booking.pk}/confirm/"
    response = client.post(url, {"location_type": "online", "payment_method_id": bad.payment_method_id}, format="json")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_declined"
    assert response.json()["error"]["decline_code"] == "generic_decline"
    assert client.get(f"/api/v1/bookings/{booking.pk}/").json()["status"] == "held"
    response = client.post(url, {"location_type": "online", "payment_method_id": good.payment_method_id}, format="json")
    assert (response.status_code, response.json()["status"], response.json()["payment_status"]) == (
        200,
        "confirmed",
        "authorized",
    )


def test_the_api_walks_the_bank_check(student, offering):
    card = give_card(student, ASKS_THE_BANK)
    booking = hold(student, offering)
    client = APIClient()
    client.force_login(student)
    url = f"/api/v1/bookings/{booking.pk}/confirm/"
    body = {"location_type": "online", "payment_method_id": card.payment_method_id}
    response = client.post(url, body, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (402, "authentication_required")
    complete_authentication(response.json()["error"]["payment_intent"])
    response = client.post(url, {**body, "authenticated": True}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "confirmed")
