"""The payments pages through Django's test client, in test mode (the simulated gateway): saved
cards, adding a card with Stripe's test numbers, credits, receipts, the card step of checkout
(HTML and API), fixing a failed authorization, earnings, and Connect onboarding. Ownership:
nobody sees another user's cards, receipts or earnings."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory
from bookings import services as booking_services
from bookings.models import BookingStatus, PaymentStatus
from bookings.tests.factories import book, give_card, new_key, open_instructor
from payments import credits, services
from payments.gateway import get_gateway, idempotency_key
from payments.models import ConnectAccount, ConnectStatus, CreditReason, SavedCard
from payments.simulated import complete_onboarding, simulated_object

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)  # Tuesday, 7:00 AM in New York
DAYS = [dt.date(2026, 12, 3), dt.date(2026, 12, 4), dt.date(2026, 12, 5)]
START = dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)  # 60 minutes at $60/h
AUTHORIZE_AT = START - dt.timedelta(hours=24)


@pytest.fixture(autouse=True)
def test_mode(simulated_gateway):
    return simulated_gateway


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
    return UserFactory(role="student", first_name="Maya", last_name="Chenowith")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def held(student, offering, start=START):
    return booking_services.hold_booking(
        student=student, offering=offering, start_at=start, duration=60, idempotency_key=new_key()
    )


def checkout(client, booking, **data):
    return client.post(reverse("payments:checkout", args=[booking.pk]), {"location_type": "online", **data})


def payout_ready(profile):
    gateway = get_gateway()
    account = gateway.create_connect_account(
        email=profile.user.email, instructor_id=profile.pk, idempotency_key=idempotency_key("acct", profile.pk)
    )
    complete_onboarding(account.id)
    return ConnectAccount.objects.create(instructor=profile, account_id=account.id, status=ConnectStatus.ENABLED)


def failed_authorization(student, offering, clock, card="pm_card_authenticationRequired"):
    """A confirmed lesson whose T-24h authorization failed with `card`."""
    give_card(student, card)
    booking = book(student, offering, START)
    clock.move_to(AUTHORIZE_AT)
    services.advance_payment(booking.payment.pk)
    booking.refresh_from_db()
    booking.payment.refresh_from_db()
    return booking


# --- saved cards ---------------------------------------------------------------------------------


def test_the_cards_page_lists_only_my_cards(client, student):
    visa = give_card(student)
    give_card(student, "pm_card_mastercard")
    someone_else = give_card(UserFactory(role="student"), "pm_card_amex")
    client.force_login(student)
    body = text(client.get(reverse("payments:cards")))
    assert "Visa ending 4242" in body and "Mastercard ending 4444" in body
    assert "Amex" not in body and someone_else.payment_method_id not in body
    assert "Default" in body and f"Expires 12/{visa.exp_year}" in body
    assert "Test mode" in body


def test_the_cards_page_has_an_empty_state(client, student):
    client.force_login(student)
    body = text(client.get(reverse("payments:cards")))
    assert "No saved cards yet" in body and reverse("payments:add_card") in body


@pytest.mark.parametrize(
    ("number", "last4"),
    [
        ("4242 4242 4242 4242", "4242"),
        ("4000-0025-0000-3155", "3155"),
        ("4000 0000 0000 0341", "0341"),
        ("4000000000003220", "3220"),
    ],
)
def test_adding_a_card_the_bank_accepts_saves_it(client, student, number, last4):
    """These cards pass the bank's check when saved; their declines and checks come at payment time."""
    client.force_login(student)
    body = text(client.get(reverse("payments:add_card")))
    assert "Test mode." in body and "4000 0025 0000 3155" in body and "insufficient funds" in body
    response = client.post(reverse("payments:add_card"), {"number": number})
    assert response.url == reverse("payments:cards")
    card = SavedCard.objects.get(user=student)
    assert (card.last4, card.is_default) == (last4, True)


@pytest.mark.parametrize(
    ("number", "reason"),
    [("4000 0000 0000 0002", "Your card was declined."), ("4000000000009995", "Your card has insufficient funds.")],
)
def test_a_card_the_bank_declines_is_refused_at_the_form_with_its_reason(client, student, number, reason):
    client.force_login(student)
    response = client.post(reverse("payments:add_card"), {"number": number})
    assert response.status_code == 402
    body = text(response)
    assert f"Your bank declined this card: {reason}" in body and 'aria-invalid="true"' in body
    assert not SavedCard.objects.filter(user=student).exists()


def test_saving_the_same_card_twice_keeps_one_row(client, student):
    client.force_login(student)
    for _ in range(3):
        client.post(reverse("payments:add_card"), {"number": "4242 4242 4242 4242"})
    client.post(reverse("payments:add_card"), {"number": "5555 5555 5555 4444"})
    assert sorted(SavedCard.objects.filter(user=student).values_list("last4", flat=True)) == ["4242", "4444"]


def test_a_number_that_is_not_a_test_card_is_a_form_error(client, student):
    client.force_login(student)
    response = client.post(reverse("payments:add_card"), {"number": "4111 1111 1111 1111"})
    assert response.status_code == 400
    assert "Stripe&#x27;s test card numbers" in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert not SavedCard.objects.filter(user=student).exists()


def test_adding_a_card_returns_to_next_and_can_become_the_default(client, student):
    first = give_card(student)
    client.force_login(student)
    target = "/bookings/abc/checkout/"
    response = client.post(
        reverse("payments:add_card"), {"number": "5555555555554444", "make_default": "on", "next": target}
    )
    assert response.url == target
    first.refresh_from_db()
    assert not first.is_default
    assert SavedCard.objects.get(user=student, is_default=True).last4 == "4444"


def test_next_never_leaves_the_site(client, student):
    client.force_login(student)
    response = client.post(reverse("payments:add_card"), {"number": "4242424242424242", "next": "https://evil.test/"})
    assert response.url == reverse("payments:cards")


def test_set_default_and_remove(client, student):
    visa = give_card(student)
    master = give_card(student, "pm_card_mastercard")
    client.force_login(student)
    client.post(reverse("payments:set_default_card", args=[master.pk]))
    visa.refresh_from_db()
    master.refresh_from_db()
    assert master.is_default and not visa.is_default

    body = text(client.get(reverse("payments:remove_card", args=[master.pk])))
    assert "Remove Mastercard ending 4444?" in body and "(your default card)" in body
    response = client.post(reverse("payments:remove_card", args=[master.pk]))
    assert response.url == reverse("payments:cards")
    assert list(SavedCard.objects.filter(user=student)) == [visa]
    visa.refresh_from_db()
    assert visa.is_default  # the remaining card took over
    assert simulated_object(master.payment_method_id)["customer"] is None  # detached at Stripe too


def test_a_card_that_upcoming_lessons_still_need_stays(client, student, offering, clock):
    card = give_card(student)
    booking = book(student, offering, START)
    client.force_login(student)
    url = reverse("payments:remove_card", args=[card.pk])
    body = text(client.get(url))
    assert "This card pays for 1 upcoming lesson that has not been authorized yet" in body
    assert "Remove card</button>" not in body
    refused = client.post(url)
    assert refused.status_code == 409 and "still pays for upcoming lessons" in text(refused)
    assert SavedCard.objects.filter(pk=card.pk).exists()

    clock.move_to(AUTHORIZE_AT)  # authorized: the money is held, the card is no longer needed
    services.advance_payment(booking.payment.pk)
    assert client.post(url).url == reverse("payments:cards")
    assert not SavedCard.objects.filter(pk=card.pk).exists()


def test_nobody_touches_another_users_cards(client, student):
    theirs = give_card(UserFactory(role="student"))
    client.force_login(student)
    assert client.post(reverse("payments:set_default_card", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("payments:remove_card", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("payments:remove_card", args=[theirs.pk])).status_code == 404
    assert SavedCard.objects.filter(pk=theirs.pk).exists()


def test_card_pages_need_a_student(client, profile):
    assert client.get(reverse("payments:cards")).status_code == 302  # sign in first
    client.force_login(profile.user)
    for name in ("cards", "add_card", "credits"):
        assert client.get(reverse(f"payments:{name}")).status_code == 403


# --- credits ---------------------------------------------------------------------------------------


def test_the_credit_ledger(client, student, offering):
    credits.grant(user=student, amount_cents=20_00, reason=CreditReason.REFUND, note="Sorry about that")
    give_card(student)
    booking = book(student, offering, START)  # spends the $20 first
    client.force_login(student)
    body = text(client.get(reverse("payments:credits")))
    assert "Balance <strong>$0</strong>" in body
    assert "Refund as credit" in body and "+$20" in body
    assert "Used for a lesson" in body and "−$20" in body
    assert reverse("bookings:detail", args=[booking.pk]) in body


def test_the_credit_ledger_is_mine_only_and_has_an_empty_state(client, student):
    credits.grant(user=UserFactory(role="student"), amount_cents=5_00, reason=CreditReason.REFERRAL)
    client.force_login(student)
    body = text(client.get(reverse("payments:credits")))
    assert "No credit yet" in body and "Referral reward" not in body


def test_the_ledger_costs_the_same_queries_however_long(client, student, django_assert_max_num_queries):
    client.force_login(student)
    credits.grant(user=student, amount_cents=1_00, reason=CreditReason.REFERRAL)
    with django_assert_max_num_queries(8) as short:
        client.get(reverse("payments:credits"))
    for _ in range(10):
        credits.grant(user=student, amount_cents=1_00, reason=CreditReason.REFERRAL)
    with django_assert_max_num_queries(len(short.captured_queries)):
        client.get(reverse("payments:credits"))


# --- the card step of checkout ---------------------------------------------------------------------


def test_checkout_with_a_chosen_saved_card_records_it(client, student, offering):
    visa = give_card(student)
    master = give_card(student, "pm_card_mastercard")
    booking = held(student, offering)
    client.force_login(student)
    body = text(client.get(reverse("payments:checkout", args=[booking.pk])))
    assert "Visa ending 4242" in body and "Mastercard ending 4444" in body
    assert re.search(rf'value="{visa.payment_method_id}"[^>]*checked', body)  # the default is preselected
    assert "Nothing is charged now. Your card is authorized 24 hours before the lesson and charged after it." in body
    assert "Test mode" in body
    assert reverse("payments:add_card") + "?next=" in body

    response = checkout(client, booking, payment_method=master.payment_method_id)
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.payment.payment_method_id, booking.payment.status) == (master.payment_method_id, "pending")
    assert booking.payment.customer_id


def test_checkout_without_a_card_is_a_card_error_and_the_booking_stays_held(client, student, offering):
    booking = held(student, offering)
    client.force_login(student)
    body = text(client.get(reverse("payments:checkout", args=[booking.pk])))
    assert "You have no saved card yet" in body and "Add a card" in body
    response = checkout(client, booking)
    assert response.status_code == 400
    assert response.context["form"].errors["payment_method"] == ["Choose or add a card."]
    body = text(response)
    assert 'id="id_payment_method_error"' in body and "Add a card to book" in body
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_someone_elses_card_cannot_pay_for_my_lesson(client, student, offering):
    give_card(student)
    theirs = give_card(UserFactory(role="student"), "pm_card_mastercard")
    booking = held(student, offering)
    client.force_login(student)
    response = checkout(client, booking, payment_method=theirs.payment_method_id)
    assert "payment_method" in response.context["form"].errors
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_checkout_applies_credit_first(client, student, offering):
    give_card(student)
    credits.grant(user=student, amount_cents=20_00, reason=CreditReason.REFUND)
    booking = held(student, offering)
    client.force_login(student)
    body = text(client.get(reverse("payments:checkout", args=[booking.pk])))
    assert "<strong>$20</strong> of your credit applies first; <strong>$40</strong> goes on your card." in body
    checkout(client, booking)
    booking.refresh_from_db()
    assert (booking.payment.credit_applied_cents, booking.payment.card_cents) == (20_00, 40_00)
    assert credits.balance(student) == 0


def test_credit_that_covers_the_lesson_needs_no_card(client, student, offering):
    credits.grant(user=student, amount_cents=100_00, reason=CreditReason.REFUND)
    booking = held(student, offering)
    client.force_login(student)
    body = text(client.get(reverse("payments:checkout", args=[booking.pk])))
    assert "Your credit covers the whole lesson" in body and "Add a card" not in body
    checkout(client, booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.payment.credit_applied_cents, booking.payment.payment_method_id) == (60_00, "")
    receipt = reverse("payments:receipt", args=[booking.pk])
    assert "Nothing on your card: your credit covered this lesson." in text(client.get(receipt))
    booking_services.cancel_booking(booking=booking, user=student)  # free: more than 24 hours ahead
    services.advance_payment(booking.payment.pk)
    assert "Nothing was charged: your credit went back to your balance." in text(client.get(receipt))
    assert credits.balance(student) == 100_00


def test_the_api_confirm_takes_a_card_and_says_card_required(client, student, offering):
    booking = held(student, offering)
    client.force_login(student)
    url = f"/api/v1/bookings/{booking.pk}/confirm/"
    response = client.post(url, {"location_type": "online"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "card_required"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD

    give_card(student)
    master = give_card(student, "pm_card_mastercard")
    credits.grant(user=student, amount_cents=10_00, reason=CreditReason.REFUND)
    body = {"location_type": "online", "payment_method_id": master.payment_method_id, "use_credit": False}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    booking.refresh_from_db()
    assert (booking.payment.payment_method_id, booking.payment.credit_applied_cents) == (master.payment_method_id, 0)
    assert credits.balance(student) == 10_00


# --- receipts --------------------------------------------------------------------------------------


def test_a_receipt_through_the_life_of_a_lesson(client, student, offering, profile, clock):
    payout_ready(profile)
    give_card(student)
    credits.grant(user=student, amount_cents=15_00, reason=CreditReason.REFUND)
    booking = book(student, offering, START)
    client.force_login(student)
    url = reverse("payments:receipt", args=[booking.pk])

    body = text(client.get(url))
    assert "Nothing charged yet. 24 hours before the lesson, your card is authorized for $45." in body
    assert "Paid with credit" in body and "$15" in body and "Visa ending 4242" in body

    clock.move_to(AUTHORIZE_AT)
    services.advance_payment(booking.payment.pk)
    assert "Authorized $45, not charged yet." in text(client.get(url))

    clock.move_to(START + dt.timedelta(hours=25, minutes=1))
    booking_services.complete_finished_lessons()
    services.advance_all()
    body = text(client.get(url))
    assert "Charged $45 on Dec 4." in body
    assert re.search(r"You paid.*\$60", body)


def test_a_receipt_after_a_free_cancellation_says_nothing_was_charged(client, student, offering):
    give_card(student)
    booking = book(student, offering, START)
    booking_services.cancel_booking(booking=booking, user=student, reason="")
    services.advance_payment(booking.payment.pk)
    client.force_login(student)
    body = text(client.get(reverse("payments:receipt", args=[booking.pk])))
    assert "Nothing was charged." in body


def test_the_booking_page_and_my_lessons_link_the_receipt(client, student, offering, clock):
    give_card(student)
    booking = book(student, offering, START)
    client.force_login(student)
    receipt_url = reverse("payments:receipt", args=[booking.pk])
    assert receipt_url in text(client.get(reverse("bookings:detail", args=[booking.pk])))
    clock.move_to(START + dt.timedelta(hours=2))
    assert receipt_url in text(client.get(reverse("bookings:my_lessons")))


def test_receipts_are_the_students_only(client, student, offering, profile):
    give_card(student)
    booking = book(student, offering, START)
    url = reverse("payments:receipt", args=[booking.pk])
    client.force_login(UserFactory(role="student"))
    assert client.get(url).status_code == 404
    client.force_login(open_instructor(days=DAYS).user)
    assert client.get(url).status_code == 404
    client.force_login(profile.user)  # the lesson's own instructor: their side is the earnings page
    assert client.get(url).url == reverse("payments:earnings") + f"#lesson-{booking.pk}"


# --- fixing a failed authorization ---------------------------------------------------------------


def test_confirm_with_my_bank_authorizes_the_lesson(client, student, offering, clock):
    booking = failed_authorization(student, offering, clock)
    assert booking.payment.status == PaymentStatus.ACTION_REQUIRED and booking.payment.pay_by
    url = reverse("payments:fix_payment", args=[booking.pk])
    client.force_login(student)
    body = text(client.get(url))
    assert "Confirm your payment" in body and "Your bank wants you to confirm this payment." in body
    assert "Please fix it by" in body and "Wednesday, December 2, 10:00 PM</time>" in body  # T-12h, her zone
    assert "Confirm with my bank" in body and "Test mode" in body

    response = client.post(url, {"action": "authenticate"})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.payment.refresh_from_db()
    payment = booking.payment
    assert (payment.status, payment.authorized_cents, payment.pay_by) == (PaymentStatus.AUTHORIZED, 60_00, None)
    assert simulated_object(payment.payment_intent_id)["status"] == "requires_capture"

    body = text(client.get(url))
    assert "Nothing to do" in body and "you're all set" in body
    assert client.post(url, {"action": "authenticate"}).status_code == 200  # a second click changes nothing


def test_a_declined_card_is_fixed_with_another_card(client, student, offering, clock):
    booking = failed_authorization(student, offering, clock, card="pm_card_chargeCustomerFail")
    assert booking.payment.status == PaymentStatus.FAILED
    url = reverse("payments:fix_payment", args=[booking.pk])
    client.force_login(student)
    body = text(client.get(url))
    assert "Your card was declined" in body and "Confirm with my bank" not in body

    failed_card = SavedCard.objects.get(user=student)
    assert failed_card.failed_last_time and "Didn't go through" in body
    response = client.post(url, {"action": "use_card", "payment_method": failed_card.payment_method_id})
    assert response.status_code == 402  # the same card again: declined again, with the bank's reason
    assert "Declined: Your card was declined." in response.context["form"].errors["payment_method"][0]
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.FAILED
    assert booking.failed_authorizations.count() == 2

    visa = give_card(student)
    response = client.post(url, {"action": "use_card", "payment_method": visa.payment_method_id})
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.payment.refresh_from_db()
    assert (booking.payment.status, booking.payment.payment_method_id) == (
        PaymentStatus.AUTHORIZED,
        visa.payment_method_id,
    )


def test_another_students_card_cannot_fix_my_payment(client, student, offering, clock):
    booking = failed_authorization(student, offering, clock, card="pm_card_chargeCustomerFail")
    theirs = give_card(UserFactory(role="student"))
    client.force_login(student)
    url = reverse("payments:fix_payment", args=[booking.pk])
    response = client.post(url, {"action": "use_card", "payment_method": theirs.payment_method_id})
    assert response.status_code == 400 and "payment_method" in response.context["form"].errors
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.FAILED


def test_the_fix_page_is_the_students_only_and_says_when_there_is_nothing_to_do(client, student, offering):
    give_card(student)
    booking = book(student, offering, START)
    url = reverse("payments:fix_payment", args=[booking.pk])
    client.force_login(UserFactory(role="student"))
    assert client.get(url).status_code == 404
    client.force_login(student)
    body = text(client.get(url))
    assert "Nothing to do" in body and "doesn't need anything from you" in body


# --- earnings and payouts --------------------------------------------------------------------------


def test_earnings_per_lesson_and_totals(client, student, offering, profile, clock):
    give_card(student)
    first = book(student, offering, START)
    second = book(student, offering, START + dt.timedelta(days=1))
    clock.move_to(START + dt.timedelta(days=1, hours=25, minutes=1))
    booking_services.complete_finished_lessons()
    services.advance_all()  # charged; no payout account yet, so both payouts wait
    third = book(UserFactory(role="student"), offering, START.replace(hour=15) + dt.timedelta(days=2))

    client.force_login(profile.user)
    body = text(client.get(reverse("payments:earnings")))
    assert "Not set up yet." in body and "Set up payouts" in body
    assert "On hold" in body and "Waiting for you to set up payouts." in body
    assert "$60" in body and "−$9" in body and "$51" in body  # 15% platform fee
    assert "Maya C." in body and "Chenowith" not in body
    assert f'id="lesson-{first.pk}"' in body and f'id="lesson-{second.pk}"' in body
    assert f'id="lesson-{third.pk}"' in body and "Upcoming" in body
    assert re.search(r"On hold</dt><dd>\$102", body)

    payout_ready(profile)
    body = text(client.get(reverse("payments:earnings")))
    assert "Ready for payouts." in body and "this one is on its way" in body and "Waiting for you" not in body
    services.advance_all()
    body = text(client.get(reverse("payments:earnings")))
    assert "Paid out Dec 5" in body
    assert re.search(r"Paid out</dt><dd>\$102", body) and re.search(r"Coming</dt><dd>\$51", body)


def test_earnings_cost_the_same_queries_however_many_lessons(
    client, offering, profile, clock, django_assert_max_num_queries
):
    client.force_login(profile.user)
    book(UserFactory(role="student"), offering, START)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("payments:earnings"))
    for hour in (12, 14, 15):
        for day in range(3):
            book(UserFactory(role="student"), offering, START.replace(hour=hour) + dt.timedelta(days=day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("payments:earnings"))
    assert len(response.context["rows"]) == 10


def test_earnings_are_the_instructors_own(client, student, offering, profile):
    give_card(student)
    booking = book(student, offering, START)
    other = open_instructor(days=DAYS)
    client.force_login(other.user)
    body = text(client.get(reverse("payments:earnings")))
    assert booking.pk not in body and "No lessons yet" in body
    client.force_login(student)
    assert client.get(reverse("payments:earnings")).status_code == 403


def test_connect_onboarding_round_trip_in_test_mode(client, profile, settings):
    client.force_login(profile.user)
    response = client.post(reverse("payments:connect"))
    account = ConnectAccount.objects.get(instructor=profile)
    assert account.status == ConnectStatus.PENDING
    onboarding = reverse("payments:test_mode_onboarding", args=[account.account_id])
    assert response.url == settings.SITE_URL.rstrip("/") + onboarding
    assert "Onboarding not finished." in text(client.get(reverse("payments:earnings")))

    assert "Simulated Stripe onboarding" in text(client.get(onboarding))
    response = client.post(onboarding, {"action": "complete"})
    assert response.url == reverse("payments:connect_return")
    response = client.get(response.url, follow=True)
    assert "Payouts are set up" in text(response) and "Ready for payouts." in text(response)
    account.refresh_from_db()
    assert (account.status, account.payouts_enabled, account.transfers_active) == (ConnectStatus.ENABLED, True, True)

    client.post(reverse("payments:connect"))  # one account per instructor, however many clicks
    assert ConnectAccount.objects.filter(instructor=profile).count() == 1


def test_a_restricted_account_says_why(client, profile):
    client.force_login(profile.user)
    client.post(reverse("payments:connect"))
    account = ConnectAccount.objects.get(instructor=profile)
    onboarding = reverse("payments:test_mode_onboarding", args=[account.account_id])
    response = client.post(onboarding, {"action": "restrict"})
    body = text(client.get(response.url, follow=True))
    account.refresh_from_db()
    assert account.status == ConnectStatus.RESTRICTED
    assert "Restricted by Stripe." in body and "Stripe needs more information from you." in body


def test_leaving_onboarding_early_keeps_the_account_pending(client, profile):
    client.force_login(profile.user)
    client.post(reverse("payments:connect"))
    body = text(client.get(reverse("payments:connect_return"), follow=True))
    assert "isn&#x27;t finished yet" in body and "Finish setup" in body
    assert ConnectAccount.objects.get(instructor=profile).status == ConnectStatus.PENDING


def test_an_expired_onboarding_link_makes_a_fresh_one(client, profile):
    client.force_login(profile.user)
    assert client.get(reverse("payments:connect_refresh")).url == reverse("payments:earnings")  # no account yet
    client.post(reverse("payments:connect"))
    account = ConnectAccount.objects.get(instructor=profile)
    assert client.get(reverse("payments:connect_refresh")).url.endswith(
        reverse("payments:test_mode_onboarding", args=[account.account_id])
    )


def test_the_onboarding_stand_in_is_test_mode_and_owner_only(client, profile, settings):
    client.force_login(profile.user)
    client.post(reverse("payments:connect"))
    account = ConnectAccount.objects.get(instructor=profile)
    onboarding = reverse("payments:test_mode_onboarding", args=[account.account_id])
    client.force_login(open_instructor(days=DAYS).user)
    assert client.get(onboarding).status_code == 404
    assert client.post(onboarding, {"action": "complete"}).status_code == 404
    client.force_login(profile.user)
    settings.STRIPE_SECRET_KEY = "sk_test_not_used"
    assert client.get(onboarding).status_code == 404


def test_the_dashboard_and_the_header_link_the_payments_pages(client, profile, student):
    client.force_login(profile.user)
    body = text(client.get(reverse("instructors:dashboard")))
    assert "Payouts" in body and "Set up payouts" in body and reverse("payments:earnings") in body
    client.force_login(student)
    body = text(client.get(reverse("accounts:settings")))
    assert reverse("payments:cards") in body and reverse("payments:credits") in body
    assert "Payment methods" in body and reverse("payments:earnings") not in body
