"""The finance console in the operations console: failed payments with a retry, payouts on hold,
card disputes, refunds (full and partial) and credit through the services, the reconciliation
report, and the read-only Stripe records. Finance sees it; support is refused."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_signed_in
from bookings import services as booking_services
from bookings.models import BookingDispute, BookingPayment, BookingTransfer, DisputeStatus, PaymentStatus
from bookings.satellites import ensure_transfer
from bookings.tests.factories import book, give_card, open_instructor
from core.models import AuditLog
from payments import credits, services
from payments.models import CreditEntry, CreditReason, WebhookEvent, WebhookOutcome
from payments.selectors import reconciliation_problems

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 4)
START = dt.datetime(2026, 12, 4, 10, 0, tzinfo=NY)  # 60 minutes at $60/h

FINANCE_PAGES = [
    "admin:payments_failedpayment_changelist",
    "admin:payments_heldpayout_changelist",
    "admin:payments_dispute_changelist",
    "admin:payments_payment_changelist",
    "admin:payments_payment_reconciliation",
    "admin:payments_creditentry_changelist",
    "admin:payments_creditentry_add",
    "admin:payments_webhookevent_changelist",
    "admin:payments_connectaccount_changelist",
    "admin:payments_savedcard_changelist",
    "admin:payments_stripecustomer_changelist",
]
LIST_BUDGET = 8  # session, user, 2FA device, 2 x permissions, count, the rows (people joined in), + the filter


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def profile():
    return open_instructor(days=[DAY, DAY + dt.timedelta(days=1)], ranges=((8 * 60, 20 * 60),))


def lesson(profile, start=START, card="pm_card_visa"):
    student = UserFactory(role="student")
    saved = give_card(student, card)
    services.set_default_card(user=student, card=saved)
    return book(student, profile.offerings.get(), start)


def declined_lesson(profile, clock, start=START):
    clock.move_to(NOW)
    booking = lesson(profile, start, card="pm_card_chargeCustomerFail")  # saves fine, declines when charged
    clock.move_to(start - dt.timedelta(hours=24))
    services.advance_all()
    booking.payment.refresh_from_db()
    assert booking.payment.status == PaymentStatus.FAILED
    return booking


def charged_lesson(profile, clock, start=START):
    """A lesson taken and charged (no payout account: its payout waits on hold)."""
    clock.move_to(NOW)
    booking = lesson(profile, start)
    clock.move_to(start + dt.timedelta(hours=1, minutes=1))
    booking_services.complete_finished_lessons()
    clock.move_to(start + dt.timedelta(hours=25, minutes=1))
    services.advance_all()
    booking.refresh_from_db()
    assert booking.payment.status == PaymentStatus.CAPTURED
    return booking


def action(client, url_name, name, ids):
    return client.post(reverse(url_name), {"action": name, "_selected_action": [str(pk) for pk in ids]}, follow=True)


def page(response) -> str:
    return response.content.decode()


# --- access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", FINANCE_PAGES)
def test_finance_sees_every_page_and_support_is_refused(client, url_name):
    staff_signed_in(client, "finance")
    assert client.get(reverse(url_name)).status_code == 200
    staff_signed_in(client, "support")
    assert client.get(reverse(url_name)).status_code == 403


def test_the_payments_section_is_on_the_console_home_for_finance_only(client):
    staff_signed_in(client, "finance")
    assert "Failed payments" in page(client.get(reverse("admin:index")))
    staff_signed_in(client, "support")
    assert "Failed payments" not in page(client.get(reverse("admin:index")))


def test_support_cannot_refund_or_run_actions(client, profile, clock):
    booking = charged_lesson(profile, clock)
    staff_signed_in(client, "support")
    assert client.get(reverse("admin:payments_payment_refund", args=[booking.payment.pk])).status_code == 403
    response = action(client, "admin:payments_payment_changelist", "refund_in_full", [booking.payment.pk])
    assert response.status_code == 403
    booking.payment.refresh_from_db()
    assert booking.payment.refunded_cents == 0


# --- failed payments ---------------------------------------------------------------------------------


def test_failed_payments_queue_lists_declines_with_public_names_only(client, profile, clock):
    failed = declined_lesson(profile, clock)
    healthy = lesson(profile, START + dt.timedelta(hours=3))
    staff_signed_in(client, "finance")
    content = page(client.get(reverse("admin:payments_failedpayment_changelist")))
    assert failed.student.public_name in content
    assert failed.student.email not in content and failed.student.last_name not in content
    assert "generic_decline" in content or "card_declined" in content
    assert healthy.student.public_name not in content


def test_retry_now_tries_the_card_again_and_a_good_card_authorizes(client, profile, clock):
    booking = declined_lesson(profile, clock)
    staff_signed_in(client, "finance")
    url = "admin:payments_failedpayment_changelist"

    response = action(client, url, "retry_now", [booking.payment.pk])
    payment = BookingPayment.objects.get(pk=booking.payment.pk)
    assert (payment.status, payment.attempts) == (PaymentStatus.FAILED, 2)  # tried again, declined again
    assert "still Failed" in page(response)

    good = give_card(booking.student, "pm_card_visa")
    BookingPayment.objects.filter(pk=payment.pk).update(payment_method_id=good.payment_method_id)  # arranged
    response = action(client, url, "retry_now", [payment.pk])
    payment.refresh_from_db()
    assert (payment.status, payment.authorized_cents, payment.pay_by) == (PaymentStatus.AUTHORIZED, 60_00, None)
    assert "now authorized" in page(response)
    assert payment.booking.student.public_name not in page(client.get(reverse(url)))


def test_retry_clears_a_transient_backoff(client, profile, clock):
    booking = lesson(profile)
    clock.move_to(START - dt.timedelta(hours=24))
    BookingPayment.objects.filter(booking=booking).update(
        failure_code="transient", failure_message="Stripe timed out", next_attempt_at=NOW + dt.timedelta(days=9)
    )
    staff_signed_in(client, "finance")
    assert booking.student.public_name in page(client.get(reverse("admin:payments_failedpayment_changelist")))
    action(client, "admin:payments_failedpayment_changelist", "retry_now", [booking.payment.pk])
    payment = BookingPayment.objects.get(booking=booking)
    assert (payment.status, payment.next_attempt_at) == (PaymentStatus.AUTHORIZED, None)


# --- payouts on hold ------------------------------------------------------------------------------------


def test_payouts_on_hold_show_the_reason_and_try_again(client, profile, clock):
    booking = charged_lesson(profile, clock)
    transfer = BookingTransfer.objects.get(booking=booking)
    assert transfer.on_hold_reason and not transfer.transferred_at
    staff_signed_in(client, "finance")
    content = page(client.get(reverse("admin:payments_heldpayout_changelist")))
    assert profile.user.public_name in content and "not connected a payout account" in content
    assert profile.user.email not in content

    response = action(client, "admin:payments_heldpayout_changelist", "try_payout_again", [transfer.pk])
    assert "Still on hold" in page(response)  # still no account: nothing moved, the reason kept

    from payments.tests.test_lifecycle import payout_ready  # noqa: PLC0415

    payout_ready(profile)
    response = action(client, "admin:payments_heldpayout_changelist", "try_payout_again", [transfer.pk])
    transfer.refresh_from_db()
    assert transfer.transferred_at and transfer.on_hold_reason == ""
    assert "Paid out" in page(response)
    assert reconciliation_problems(BookingPayment.objects.get(booking=booking), transfer) == []


# --- disputes --------------------------------------------------------------------------------------------


def test_disputes_soonest_deadline_first_and_overdue_marked(client, profile, clock):
    later = charged_lesson(profile, clock)
    sooner = charged_lesson(profile, clock, START + dt.timedelta(days=1))
    BookingDispute.objects.create(
        booking=later, dispute_id="dp_later", reason="fraudulent", amount_cents=60_00,
        evidence_due_at=NOW + dt.timedelta(days=20),
    )  # fmt: skip
    BookingDispute.objects.create(
        booking=sooner, dispute_id="dp_overdue", reason="product_not_received", amount_cents=60_00,
        evidence_due_at=NOW - dt.timedelta(days=1), status=DisputeStatus.NEEDS_RESPONSE,
    )  # fmt: skip
    clock.move_to(NOW + dt.timedelta(days=5))
    staff_signed_in(client, "finance")
    content = page(client.get(reverse("admin:payments_dispute_changelist")))
    assert content.index("product_not_received") < content.index("fraudulent")
    assert content.count("OVERDUE") == 1
    assert client.get(reverse("admin:payments_dispute_change", args=[later.dispute.pk])).status_code == 200


# --- refunds ---------------------------------------------------------------------------------------------


def test_refund_in_full_through_the_action(client, profile, clock):
    booking = charged_lesson(profile, clock)
    staff_signed_in(client, "finance")
    response = action(client, "admin:payments_payment_changelist", "refund_in_full", [booking.payment.pk])
    payment = BookingPayment.objects.get(booking=booking)
    assert (payment.refunded_cents, payment.status) == (60_00, PaymentStatus.REFUNDED)
    assert "Refunded 1 payment" in page(response)

    response = action(client, "admin:payments_payment_changelist", "refund_in_full", [payment.pk])
    assert response.status_code == 200 and "Nothing charged is left to refund" in page(response)
    assert BookingPayment.objects.get(pk=payment.pk).refunded_cents == 60_00


def test_partial_refund_page_refunds_and_refuses_too_much(client, profile, clock):
    booking = charged_lesson(profile, clock)
    finance = staff_signed_in(client, "finance")
    url = reverse("admin:payments_payment_refund", args=[booking.payment.pk])
    content = page(client.get(url))
    assert "$60" in content and 'name="amount"' in content and 'name="reason"' in content

    response = client.post(url, {"amount": "15.50"})  # a refund says why, and the page asks for it
    assert response.status_code == 200 and "This field is required" in page(response)
    response = client.post(url, {"amount": "15.50", "reason": "Started late"})
    assert response.status_code == 302
    assert BookingPayment.objects.get(booking=booking).refunded_cents == 15_50
    audit = AuditLog.objects.get(action="refund_booking")
    assert (audit.target_id, audit.reason, audit.actor) == (booking.pk, "Started late", finance)
    assert (audit.before["refunded_cents"], audit.after["refunded_cents"]) == (0, 15_50)

    response = client.post(url, {"amount": "50.00", "reason": "Too much"})  # only $44.50 is left
    assert response.status_code == 200
    assert "more than was charged" in page(response) or "not yet refunded" in page(response)
    for bad in ("0", "-5", "abc", ""):
        assert client.post(url, {"amount": bad, "reason": "x"}).status_code == 200
    assert BookingPayment.objects.get(booking=booking).refunded_cents == 15_50


def test_payment_pages_are_read_only(client, profile, clock):
    booking = charged_lesson(profile, clock)
    staff_signed_in(client, "finance")
    change = reverse("admin:payments_payment_change", args=[booking.payment.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"captured_cents": "1"})
    assert BookingPayment.objects.get(booking=booking).captured_cents == 60_00
    assert client.get(reverse("admin:payments_payment_delete", args=[booking.payment.pk])).status_code == 403


# --- credit ----------------------------------------------------------------------------------------------


def test_grant_credit_through_the_admin_and_the_ledger_is_never_edited(client):
    user = UserFactory(role="student")
    finance = staff_signed_in(client, "finance")
    add = reverse("admin:payments_creditentry_add")
    response = client.post(
        add, {"email": user.email.upper(), "amount": "12.50", "reason": CreditReason.ADJUSTMENT, "note": "Sorry"}
    )
    assert response.status_code == 302
    entry = CreditEntry.objects.get(user=user)
    assert (entry.amount_cents, entry.reason, entry.note) == (12_50, CreditReason.ADJUSTMENT, "Sorry")
    assert credits.balance(user) == 12_50

    for bad in ({"email": "nobody@example.com", "amount": "5"}, {"email": user.email, "amount": "-5"}):
        response = client.post(add, {"reason": CreditReason.REFUND, "note": "", **bad})
        assert response.status_code == 200 and "errornote" in page(response)
    assert CreditEntry.objects.count() == 1

    change = reverse("admin:payments_creditentry_change", args=[entry.pk])
    client.post(change, {"amount_cents": "999999", "note": "changed"})
    assert client.get(reverse("admin:payments_creditentry_delete", args=[entry.pk])).status_code == 403
    entry.refresh_from_db()
    assert (entry.amount_cents, entry.note) == (12_50, "Sorry")

    listing = page(client.get(reverse("admin:payments_creditentry_changelist"), {"q": user.email}))
    rows = listing.split('id="result_list"')[1]  # (the search box echoes the email typed)
    assert user.public_name in rows and user.email not in rows
    assert finance.has_perm("payments.issue_refunds")


# --- reconciliation --------------------------------------------------------------------------------------


def test_reconciliation_report_lists_only_the_broken_booking(client, profile, clock, django_assert_num_queries):
    healthy = charged_lesson(profile, clock)
    broken = charged_lesson(profile, clock, START + dt.timedelta(days=1))
    ensure_transfer(broken)
    BookingTransfer.objects.filter(booking=broken).update(
        payout_cents=99_00, platform_fee_cents=1_00, transferred_at=NOW, on_hold_reason=""
    )  # arranged: more paid out than was charged
    staff_signed_in(client, "finance")
    url = reverse("admin:payments_payment_reconciliation")
    content = page(client.get(url))
    assert "1 booking that does not add up" in content
    assert str(broken.pk) in content and str(healthy.pk) not in content
    assert "captured + credit ≠ refunded + credit returned + fee + payout" in content

    for _ in range(3):
        charged_lesson(profile, clock, START + dt.timedelta(days=1, hours=2 + _ * 2))
    with django_assert_num_queries(LIST_BUDGET - 2):  # session, user, 2FA device, 2 x permissions, the payments
        client.get(url)


# --- Stripe records --------------------------------------------------------------------------------------


def test_flagged_webhooks_are_easy_to_find(client):
    WebhookEvent.objects.create(event_id="evt_ok", event_type="charge.refunded", payload={}, outcome="processed")
    WebhookEvent.objects.create(
        event_id="evt_odd", event_type="payment_intent.succeeded", payload={"id": "pi_x"}, outcome="flagged",
        note="unknown intent",
    )  # fmt: skip
    staff_signed_in(client, "finance")
    content = page(client.get(reverse("admin:payments_webhookevent_changelist"), {"outcome": WebhookOutcome.FLAGGED}))
    assert "evt_odd" in content and "evt_ok" not in content and "unknown intent" in content
    event = WebhookEvent.objects.get(event_id="evt_odd")
    assert "pi_x" in page(client.get(reverse("admin:payments_webhookevent_change", args=[event.pk])))


def test_every_failed_authorization_stays_in_the_console_whatever_happened_next(client, profile, clock):
    """A declined lesson the system then cancelled leaves the failed-payments queue (nothing is
    owed), but its failure is still listed, with what became of the lesson."""
    booking = declined_lesson(profile, clock)
    clock.move_to(booking.payment.pay_by)
    booking_services.cancel_unpaid_lessons()
    services.advance_all()
    staff_signed_in(client, "finance")
    queue = page(client.get(reverse("admin:payments_failedpayment_changelist")))
    assert booking.pk not in queue
    history = page(client.get(reverse("admin:payments_failedauthorization_changelist")))
    assert booking.pk in history
    assert "Scheduled (24 h before the lesson)" in history and "Visa ending 0341" in history
    assert "Cancelled · Not charged" in history


# --- query counts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:payments_failedpayment_changelist",
        "admin:payments_failedauthorization_changelist",
        "admin:payments_heldpayout_changelist",
        "admin:payments_dispute_changelist",
        "admin:payments_payment_changelist",
        "admin:payments_creditentry_changelist",
        "admin:payments_savedcard_changelist",
        "admin:payments_stripecustomer_changelist",
        "admin:payments_connectaccount_changelist",
    ],
)
def test_changelists_take_a_fixed_number_of_queries(client, profile, clock, url_name, django_assert_max_num_queries):
    def fill(count, offset):
        for index in range(count):
            start = START + dt.timedelta(days=offset, hours=index * 2)
            booking = declined_lesson(profile, clock, start) if index % 2 else charged_lesson(profile, clock, start)
            BookingDispute.objects.create(booking=booking, dispute_id=f"dp_{booking.pk}", amount_cents=1)
            credits.grant(user=booking.student, amount_cents=100, reason=CreditReason.REFERRAL)
            clock.move_to(NOW)

    staff_signed_in(client, "finance")
    fill(2, 0)
    with django_assert_max_num_queries(LIST_BUDGET) as few:
        assert client.get(reverse(url_name)).status_code == 200
    fill(4, 1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(url_name)).status_code == 200
