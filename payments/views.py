"""Payments pages: checkout, saved cards, adding a card, the credit ledger, receipts, the page that
fixes a failed authorization, and the instructor's earnings and payouts (Stripe Connect).

Views parse input, read what a page shows and call payments.services for every change. Someone
else's card, receipt or lesson is a 404. With real Stripe keys, card numbers are typed into
Stripe's own field (Stripe.js) and never reach us; in test mode (the simulated gateway) a form
takes Stripe's test card numbers instead, so the whole flow can be tried offline. Domain errors
land on the page's form (core.forms.submit) or become the site's problem page with their status
(core.middleware.DomainErrorMiddleware); the services turn Stripe's own errors into domain errors.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import public_name
from accounts.permissions import require_permission
from bookings import policies
from bookings import selectors as booking_selectors
from bookings import services as booking_services
from bookings.models import Booking, BookingPayment, BookingStatus, PaymentStatus, Settlement
from core.forms import form_data, submit
from core.money import format_cents
from core.timeutil import now as current_time

from . import credits, selectors, services, simulated
from .forms import (
    TEST_CARD_HINTS,
    AddCardForm,
    AddTestCardForm,
    CheckoutForm,
    ChooseCardForm,
    card_label,
    card_options,
)
from .gateway import in_test_mode
from .models import ConnectAccount, ConnectStatus, CreditEntry, SavedCard
from .services.lifecycle import client_secret as lifecycle_client_secret

BOOK_LESSONS = "accounts.book_lessons"
TEACH = "instructors.teach"
LEDGER_LIMIT = 200  # the most recent credit entries the ledger page lists
EARNINGS_LIMIT = 100  # the most recent lessons the earnings table lists (totals count them all)
SETUP_INTENTS_SESSION_KEY = "payments_setup_intents"  # SetupIntents this browser may finish (real mode)


def _safe_next(request, default: str) -> str:
    """`next` from the query string or the form, if it points back into this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- saved cards -------------------------------------------------------------------------------


def _own_card_or_404(user, card_id: str) -> SavedCard:
    card = SavedCard.objects.filter(user=user, pk=card_id).first()
    if card is None:
        raise Http404("No such card")
    return card


@require_permission(BOOK_LESSONS)
@require_GET
def cards(request):
    saved = list(SavedCard.objects.filter(user=request.user))
    return render(
        request,
        "payments/cards.html",
        {"cards": saved, "test_mode": in_test_mode(), "credit_cents": credits.balance(request.user)},
    )


@require_permission(BOOK_LESSONS)
@require_POST
def set_default_card(request, card_id):
    card = _own_card_or_404(request.user, card_id)
    services.set_default_card(user=request.user, card=card)
    messages.success(request, f"{card} is now your default card.")
    return redirect("payments:cards")


@require_permission(BOOK_LESSONS)
@require_http_methods(["GET", "POST"])
def remove_card(request, card_id):
    """A card that booked lessons still need (not yet authorized) stays until they are: removing
    it would leave them without a way to pay."""
    card = _own_card_or_404(request.user, card_id)
    lessons_using_it = selectors.lessons_waiting_on_card(card)
    if request.method == "POST":
        request.back_url = reverse("payments:cards")
        services.remove_card(user=request.user, card=card)
        messages.success(request, f"{card} removed.")
        return redirect("payments:cards")
    return render(
        request,
        "payments/remove_card.html",
        {"card": card, "card_label": card_label(card), "lessons_using_it": lessons_using_it},
    )


@require_permission(BOOK_LESSONS)
@require_http_methods(["GET", "POST"])
def add_card(request):
    next_url = _safe_next(request, reverse("payments:cards"))
    if not in_test_mode():
        return _add_card_with_stripe(request, next_url)
    form = AddTestCardForm(form_data(request))
    status = 400 if form.is_bound and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        number, make_default = form.cleaned_data["number"], form.cleaned_data["make_default"]
        saved = submit(
            form, lambda: services.save_test_card(user=request.user, number=number, make_default=make_default)
        )
        if saved.ok:
            messages.success(request, f"{saved.value} saved: your bank accepted it.")
            return redirect(next_url)
        status = saved.status
    return render(
        request,
        "payments/add_card.html",
        {"form": form, "test_mode": True, "hints": TEST_CARD_HINTS, "next_url": next_url, **_card_context(request)},
        status=status,
    )


def _card_context(request) -> dict:
    has_cards = SavedCard.objects.filter(user=request.user).exists()
    return {"has_cards": has_cards}


def _add_card_with_stripe(request, next_url: str):
    """Real keys: Stripe.js confirms a SetupIntent (usage=off_session) in the browser, then sends its
    id here (or Stripe redirects back with ?setup_intent= after a bank check); we read the result
    from Stripe and save the card. Only SetupIntents this session created are accepted."""
    form = AddCardForm(form_data(request))
    status = 200
    known = request.session.get(SETUP_INTENTS_SESSION_KEY, [])
    setup_intent_id = request.GET.get("setup_intent", "")
    make_default = False
    if request.method == "POST" and form.is_valid():
        setup_intent_id = form.cleaned_data["setup_intent"]
        make_default = form.cleaned_data["make_default"]
    if setup_intent_id:
        if setup_intent_id not in known:
            form.add_error(None, "That card form has expired. Please enter your card again.")
        else:
            saved = submit(
                form,
                lambda: services.save_card_from_setup(
                    user=request.user, setup_intent_id=setup_intent_id, make_default=make_default
                ),
            )
            if saved.ok:
                request.session[SETUP_INTENTS_SESSION_KEY] = [
                    known_id for known_id in known if known_id != setup_intent_id
                ]
                messages.success(request, f"{saved.value} saved.")
                return redirect(next_url)
            status = saved.status
    started = submit(form, lambda: services.start_card_setup(user=request.user))
    client_secret = ""
    if started.ok:
        setup_id, client_secret = started.value
        request.session[SETUP_INTENTS_SESSION_KEY] = [*known, setup_id][-5:]
    return_url = request.build_absolute_uri(_with_next(reverse("payments:add_card"), next_url))
    return render(
        request,
        "payments/add_card.html",
        {
            "form": form,
            "test_mode": False,
            "next_url": next_url,
            "client_secret": client_secret,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "return_url": return_url,
            **_card_context(request),
        },
        status=status if started.ok else started.status,
    )


# --- credits ------------------------------------------------------------------------------------


@require_permission(BOOK_LESSONS)
@require_GET
def credit_ledger(request):
    entries = list(CreditEntry.objects.filter(user=request.user).select_related("booking")[: LEDGER_LIMIT + 1])
    return render(
        request,
        "payments/credits.html",
        {
            "balance_cents": credits.balance(request.user),
            "entries": entries[:LEDGER_LIMIT],
            "more": len(entries) > LEDGER_LIMIT,
            "limit": LEDGER_LIMIT,
        },
    )


# --- receipts -------------------------------------------------------------------------------------


@dataclass
class ReceiptLine:
    label: str
    amount_cents: int
    note: str = ""


def _card_sentence(booking: Booking, payment: BookingPayment | None, now: dt.datetime) -> tuple[str, str]:
    """What happened on the card, in plain words, and a tone (ok | pending | problem | none)."""
    if payment is None or (payment.card_cents == 0 and not payment.authorized_cents):
        if payment is None or not payment.credit_applied_cents:
            return "Nothing was charged.", "none"
        if payment.credit_returned_cents == payment.credit_applied_cents:
            return "Nothing was charged: your credit went back to your balance.", "none"
        return "Nothing on your card: your credit covered this lesson.", "none"
    status = payment.status
    card = format_cents(payment.card_cents)
    if status == PaymentStatus.AUTHORIZED:
        return f"Authorized {format_cents(payment.authorized_cents)}, not charged yet.", "pending"
    if status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        captured_at = localtime(payment.captured_at) if payment.captured_at else None
        when = f" on {captured_at:%b} {captured_at.day}" if captured_at else ""
        sentence = f"Charged {format_cents(payment.captured_cents)}{when}."
        if payment.refunded_cents:
            sentence += f" Refunded {format_cents(payment.refunded_cents)}."
        return sentence, "ok"
    if status == PaymentStatus.RELEASED:
        return f"Authorized {format_cents(payment.authorized_cents)}, then released: nothing was charged.", "none"
    if status == PaymentStatus.NOT_CHARGED or payment.settlement == Settlement.RELEASE:
        return "Nothing was charged.", "none"
    if status == PaymentStatus.ACTION_REQUIRED:
        return f"Not paid yet: your bank wants you to confirm the {card} payment.", "problem"
    if status == PaymentStatus.FAILED:
        return f"Not paid yet: your card was declined for {card}.", "problem"
    if booking.status in (BookingStatus.HELD, BookingStatus.REQUESTED):
        return "Nothing charged yet.", "pending"
    if policies.authorization_due(lesson_start=booking.start_at, now=now):
        return f"Nothing charged yet: your card is being authorized for {card}.", "pending"
    return f"Nothing charged yet. 24 hours before the lesson, your card is authorized for {card}.", "pending"


def _receipt_lines(booking: Booking, payment: BookingPayment | None) -> tuple[list[ReceiptLine], int | None]:
    """The money lines and what the student has paid in the end (None while it can still change)."""
    lines = [ReceiptLine("Lesson price", booking.price_cents)]
    if payment is None:
        return lines, 0
    if payment.credit_applied_cents:
        lines.append(ReceiptLine("Paid with credit", payment.credit_applied_cents))
    if payment.credit_returned_cents:
        lines.append(ReceiptLine("Credit given back", payment.credit_returned_cents, "back in your credit balance"))
    if payment.authorized_cents:
        lines.append(ReceiptLine("Authorized on your card", payment.authorized_cents))
    if payment.captured_cents:
        lines.append(ReceiptLine("Charged to your card", payment.captured_cents))
    if payment.released_cents:
        lines.append(ReceiptLine("Released (never charged)", payment.released_cents))
    if payment.refunded_cents:
        lines.append(ReceiptLine("Refunded to your card", payment.refunded_cents))
    final = payment.status in (PaymentStatus.CAPTURED, *selectors.FINAL_STATUSES)
    settled_credit = payment.settlement == Settlement.CHARGE or payment.credit_returned_cents == (
        payment.credit_applied_cents
    )
    if not (final and settled_credit):
        return lines, None
    return lines, services.kept_cents(payment)  # what the student paid in the end


@login_required
@require_GET
def receipt(request, booking_id):
    booking = booking_selectors.booking_for_party(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    if booking.student_id != request.user.pk:  # the lesson's instructor: their side is the earnings page
        return redirect(reverse("payments:earnings") + f"#lesson-{booking.pk}")
    payment = BookingPayment.objects.filter(booking=booking).first()
    card = None
    if payment is not None and payment.payment_method_id:
        card = SavedCard.objects.filter(user=request.user, payment_method_id=payment.payment_method_id).first()
    now = current_time()
    sentence, tone = _card_sentence(booking, payment, now)
    lines, paid_cents = _receipt_lines(booking, payment)
    return render(
        request,
        "payments/receipt.html",
        {
            "booking": booking,
            "payment": payment,
            "card": card,
            "card_label": card_label(card) if card else "",
            "instructor_name": booking.instructor.user.public_name,
            "sentence": sentence,
            "tone": tone,
            "lines": lines,
            "paid_cents": paid_cents,
            "charged_so_far_cents": (payment.captured_cents - payment.refunded_cents) if payment else 0,
            "needs_fix": _needs_fix(booking, payment),
            "test_mode": in_test_mode(),
        },
    )


# --- checkout ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, booking_id):
    """Review and book a held time: where, a note, and how to pay. A lesson within 24 hours is
    authorized here; a decline or a bank check keeps the student on this page, slot still held."""
    booking = booking_selectors.booking_for_student(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.REQUESTED):
        return redirect("bookings:detail", booking_id=booking.pk)  # already booked (a second click)
    if booking.status != BookingStatus.HELD and booking.status != BookingStatus.EXPIRED:
        booking_services.require(booking_services.actions_for(booking, request.user).finish_checkout)
    now = current_time()
    expired = booking.status == BookingStatus.EXPIRED or booking.hold_expires_at <= now
    pay = _checkout_payment(request.user, booking)
    form = _checkout_form(request.POST if request.method == "POST" else None, booking, pay)
    status = 409 if expired else 200
    if request.method == "POST" and not expired and form.is_valid():
        authenticated = _bank_check_passed(request, pay["payment"], form)
        if authenticated and in_test_mode():  # what Stripe.js does in the browser with real keys
            simulated.complete_authentication(pay["payment"].payment_intent_id)
        done = submit(form, lambda: _checkout(request, booking, form.cleaned_data, authenticated=authenticated))
        if done.ok:
            booking = done.value
            if booking.status == BookingStatus.REQUESTED:
                messages.success(request, "Request sent. We'll let you know when your instructor answers.")
            else:
                messages.success(request, "You're booked!")
            return redirect("bookings:detail", booking_id=booking.pk)
        booking.refresh_from_db()
        expired = booking.status == BookingStatus.EXPIRED
        status = done.status
        pay = _checkout_payment(request.user, booking)
        form = _form_after_failure(form, _checkout_form(_without_card(request.POST), booking, pay))
    elif request.method == "POST" and not expired:
        status = 400
    again_url = (
        f"{reverse('bookings:book', args=[booking.instructor_id])}?"
        f"{urlencode({'offering': booking.offering_id, 'duration': booking.duration_minutes})}"
    )
    free_until = policies.free_cancellation_deadline(lesson_start=booking.start_at)
    context = {
        "booking": booking,
        "form": form,
        "expired": expired,
        "again_url": again_url,
        "free_cancel_until": free_until if free_until > now else None,
        "free_hours": policies.free_hours(),
        "instructor_name": booking.instructor.user.public_name,
        "requires_confirmation": booking.instructor.requires_confirmation,
        "request_hours": settings.BOOKING_REQUEST_RESPONSE_HOURS,
        "authorized_now": policies.authorization_due(lesson_start=booking.start_at, now=now),
        "add_card_url": f"{reverse('payments:add_card')}?{urlencode({'next': request.path})}",
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        **pay,
    }
    return render(request, "payments/checkout.html", context, status=status)


def _bank_check_passed(request, payment: BookingPayment | None, form) -> bool:
    """The student pressed "Confirm with my bank" for the card the bank asked about (choosing
    another card is a new attempt instead)."""
    chosen = form.cleaned_data.get("payment_method") or (payment.payment_method_id if payment else "")
    return request.POST.get("action") == "authenticate" and _needs_bank(payment) and chosen == payment.payment_method_id


def _checkout(request, booking: Booking, data: dict, *, authenticated: bool) -> Booking:
    return services.checkout_booking(
        booking=booking,
        student=request.user,
        location_type=data["location_type"],
        address=data.get("address", ""),
        note=data["note"],
        payment_method_id=data.get("payment_method") or None,
        authenticated=authenticated,
    )


def _checkout_payment(user, booking: Booking) -> dict:
    """The card step: platform credit applies first (checkout_booking decides for real), the rest
    goes on one of the student's saved cards; a payment that needs the student's bank says so."""
    payment = BookingPayment.objects.filter(booking=booking).first()
    if payment is not None and payment.credit_applied_cents:
        credit = payment.credit_applied_cents
    else:
        credit = services.usable_credit(credits.balance(user), booking.price_cents)
    needs_bank = _needs_bank(payment)
    return {
        "payment": payment,
        "cards": selectors.cards_of(user),
        "credit_cents": credit,
        "card_cents": booking.price_cents - credit,
        "needs_bank": needs_bank,
        "client_secret": lifecycle_client_secret(payment) if needs_bank else "",
        "test_mode": in_test_mode(),
    }


def _needs_bank(payment: BookingPayment | None) -> bool:
    return payment is not None and payment.status == PaymentStatus.ACTION_REQUIRED


def _checkout_form(data, booking: Booking, pay: dict) -> CheckoutForm:
    return CheckoutForm(
        data,
        location_types=booking.offering.location_types,
        chosen=booking.location_type,
        cards=pay["cards"],
        card_needed=pay["card_cents"] > 0,
    )


def _without_card(data):
    """The posted answers without the card: after a decline the failed card is not chosen again."""
    data = data.copy()
    data.pop("payment_method", None)
    return data


def _form_after_failure(failed, fresh):
    """The form shown again after a refusal: the student's answers, a fresh card choice (the failed
    card marked, not preselected), and the refusal's errors."""
    if fresh.is_bound:
        fresh.is_valid()
    else:
        fresh.cleaned_data = {}  # an unbound form can still carry errors; add_error reads cleaned_data
    for field, errors in failed.errors.items():
        for error in errors:
            fresh.add_error(None if field == "__all__" else field, error)
    return fresh


# --- fixing a failed authorization ------------------------------------------------------------------


def _needs_fix(booking: Booking, payment: BookingPayment | None) -> bool:
    return payment is not None and policies.payment_fixable(
        booking_status=booking.status, payment_status=payment.status, settlement=payment.settlement
    )


@require_permission(BOOK_LESSONS)
@require_http_methods(["GET", "POST"])
def fix_payment(request, booking_id):
    booking = booking_selectors.booking_for_student(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking")
    payment = BookingPayment.objects.filter(booking=booking).first()
    context = {
        "booking": booking,
        "payment": payment,
        "instructor_name": booking.instructor.user.public_name,
        "test_mode": in_test_mode(),
    }
    if not _needs_fix(booking, payment):
        return render(request, "payments/fix_payment.html", {**context, "nothing_to_do": True})
    saved = selectors.cards_of(request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = ChooseCardForm(request.POST if action == "use_card" else None, cards=saved)
    status = 400 if action == "use_card" and not form.is_valid() else 200
    if action == "authenticate" or (action == "use_card" and form.is_valid()):
        if action == "authenticate" and in_test_mode():  # what Stripe.js does in the browser with real keys
            simulated.complete_authentication(payment.payment_intent_id)
        chosen = form.cleaned_data["payment_method"] if action == "use_card" else None
        done = submit(
            form,
            lambda: services.fix_payment(
                booking=booking, user=request.user, payment_method_id=chosen, authenticated=action == "authenticate"
            ),
        )
        if done.ok:
            return _after_fix(request, booking, done.value)
        status = done.status
        payment.refresh_from_db()
        form = _form_after_failure(form, ChooseCardForm(None, cards=selectors.cards_of(request.user)))
    return render(
        request,
        "payments/fix_payment.html",
        {
            **context,
            "form": form,
            "card_options": list(card_options(form["payment_method"])),
            "client_secret": lifecycle_client_secret(payment)
            if payment.status == PaymentStatus.ACTION_REQUIRED
            else "",
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "add_card_url": _with_next(reverse("payments:add_card"), request.path),
        },
        status=status,
    )


def _after_fix(request, booking: Booking, payment: BookingPayment):
    if payment.status == PaymentStatus.AUTHORIZED:
        messages.success(
            request,
            f"Done: your card is authorized for {format_cents(payment.authorized_cents)}. "
            "It is charged after the lesson.",
        )
    elif payment.status == PaymentStatus.CAPTURED:
        messages.success(request, f"Done: {format_cents(payment.captured_cents)} was charged for this lesson.")
    else:
        messages.success(request, "Thanks: your payment is sorted.")
    return redirect("bookings:detail", booking_id=booking.pk)


# --- earnings and payouts (instructors) ------------------------------------------------------------


EARNING_FIELDS = (
    "pk",
    "status",
    "start_at",
    "service_name",
    "duration_minutes",
    "price_cents",
    "student__first_name",
    "student__last_name",
    "payment__status",
    "payment__settlement",
    "payment__captured_cents",
    "payment__refunded_cents",
    "payment__credit_applied_cents",
    "payment__credit_returned_cents",
    "transfer__payout_cents",
    "transfer__platform_fee_cents",
    "transfer__transferred_at",
    "transfer__on_hold_reason",
    "transfer__reversed_cents",
)
STILL_EARNING = [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
PROBLEM_PAYMENTS = (PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED)


@dataclass
class EarningRow:
    booking_id: str
    start_at: dt.datetime
    service_name: str
    duration_minutes: int
    student_name: str
    price_cents: int
    fee_cents: int
    payout_cents: int
    estimated: bool
    state: str  # paid | hold | pending | upcoming
    status_text: str
    detail: str = ""


def _hold_text(account: ConnectAccount | None, stored_reason: str) -> str:
    """Why a payout waits, in the instructor's words, from the account as it is now (the stored
    reason is from when the payout was last tried). Empty: it no longer waits on the account."""
    if account is None:
        return "Waiting for you to set up payouts."
    if account.status == ConnectStatus.RESTRICTED:
        return "Waiting: Stripe has restricted your payout account."
    if account.status == ConnectStatus.PENDING:
        return "Waiting for you to finish payout setup."
    return "" if stored_reason.startswith("The instructor") else stored_reason


def _earning_row(values: dict, now: dt.datetime, account: ConnectAccount | None) -> EarningRow:
    """One lesson that earns (or will earn) money: the transfer's own figures once computed, else
    the expected share of the price."""
    fee, payout = values["transfer__platform_fee_cents"], values["transfer__payout_cents"]
    estimated = not (fee or payout)
    if estimated:
        kept = values["price_cents"]
        if values["payment__captured_cents"] is not None:  # refunds already made shrink the share
            kept -= values["payment__refunded_cents"] + values["payment__credit_returned_cents"]
        fee = policies.platform_fee_cents(max(kept, 0))
        payout = max(kept, 0) - fee
    row = EarningRow(
        booking_id=values["pk"],
        start_at=values["start_at"],
        service_name=values["service_name"],
        duration_minutes=values["duration_minutes"],
        student_name=public_name(values["student__first_name"], values["student__last_name"]),
        price_cents=values["price_cents"],
        fee_cents=fee,
        payout_cents=payout,
        estimated=estimated,
        state="pending",
        status_text="Pending",
    )
    paid_at, hold = values["transfer__transferred_at"], values["transfer__on_hold_reason"]
    if paid_at:
        paid_at = localtime(paid_at)
        row.state, row.status_text = "paid", f"Paid out {paid_at:%b} {paid_at.day}"
        if values["transfer__reversed_cents"]:
            row.detail = f"{format_cents(values['transfer__reversed_cents'])} taken back after a refund"
            row.payout_cents -= values["transfer__reversed_cents"]
    elif hold and (reason := _hold_text(account, hold)):
        row.state, row.status_text, row.detail = "hold", "On hold", reason
    elif hold:
        row.detail = "Payouts are set up: this one is on its way."
    elif values["status"] == BookingStatus.CONFIRMED and values["start_at"] > now:
        row.state, row.status_text = "upcoming", "Upcoming"
        if values["payment__status"] in PROBLEM_PAYMENTS:
            row.detail = "The student's card needs attention; they have been asked to fix it."
    elif values["status"] == BookingStatus.NO_SHOW and not values["payment__settlement"]:
        row.detail = "A no-show was reported; staff decide if it is disputed."
    elif values["payment__status"] == PaymentStatus.CAPTURED:
        row.detail = "Charged; your payout is on its way."
    else:
        row.detail = "Paid out after the student is charged, 24 hours after the lesson."
    return row


def _earning_bookings(profile):
    """The instructor's lessons that earn money: charged ones (including late cancellations and
    moved lessons whose money is locked), and lessons still on or done whose outcome is pending."""
    charged = Q(payment__settlement=Settlement.CHARGE)
    undecided = Q(status__in=STILL_EARNING) & (Q(payment__settlement="") | Q(payment__isnull=True))
    return Booking.objects.filter(instructor=profile).filter(charged | undecided).order_by("-start_at", "-pk")


CONNECT_REASONS = {
    "requirements.past_due": "Stripe needs more information from you.",
    "requirements.pending_verification": "Stripe is checking the information you gave.",
    "under_review": "Stripe is reviewing your account.",
    "listed": "Stripe is reviewing your account.",
    "platform_paused": "Payouts are paused by InstaInstru; contact support.",
    "rejected.fraud": "Stripe closed this account.",
    "rejected.terms_of_service": "Stripe closed this account.",
    "rejected.listed": "Stripe closed this account.",
    "rejected.other": "Stripe closed this account.",
}


def _connect_reason(account: ConnectAccount | None) -> str:
    if account is None or account.status != ConnectStatus.RESTRICTED:
        return ""
    return CONNECT_REASONS.get(account.disabled_reason, "Stripe needs something from you before it can pay you.")


def _teacher_profile_or_redirect(request):
    profile = booking_selectors.instructor_profile(request.user)
    if profile is None:
        messages.info(request, "Set up your teaching profile first.")
    return profile


@require_permission(TEACH)
@require_GET
def earnings(request):
    profile = _teacher_profile_or_redirect(request)
    if profile is None:
        return redirect("instructors:dashboard")
    now = current_time()
    account = ConnectAccount.objects.filter(instructor=profile).first()
    rows = [_earning_row(values, now, account) for values in _earning_bookings(profile).values(*EARNING_FIELDS)]
    totals = {
        "paid": sum(row.payout_cents for row in rows if row.state == "paid"),
        "hold": sum(row.payout_cents for row in rows if row.state == "hold"),
        "coming": sum(row.payout_cents for row in rows if row.state in ("pending", "upcoming")),
    }
    return render(
        request,
        "payments/earnings.html",
        {
            "profile": profile,
            "account": account,
            "connect_reason": _connect_reason(account),
            "rows": rows[:EARNINGS_LIMIT],
            "more": len(rows) > EARNINGS_LIMIT,
            "limit": EARNINGS_LIMIT,
            "totals": totals,
            "fee_percent": settings.PLATFORM_FEE_PERCENT,
            "test_mode": in_test_mode(),
        },
    )


@require_permission(TEACH)
@require_POST
def connect(request):
    profile = _teacher_profile_or_redirect(request)
    if profile is None:
        return redirect("instructors:dashboard")
    request.back_url = reverse("payments:earnings")
    return redirect(services.start_connect_onboarding(profile=profile))


@require_permission(TEACH)
@require_GET
def connect_refresh(request):
    """Stripe sends the instructor here when an onboarding link has expired: make a fresh one."""
    profile = booking_selectors.instructor_profile(request.user)
    if profile is None or not ConnectAccount.objects.filter(instructor=profile).exists():
        return redirect("payments:earnings")
    request.back_url = reverse("payments:earnings")
    return redirect(services.start_connect_onboarding(profile=profile))


@require_permission(TEACH)
@require_GET
def connect_return(request):
    """Back from Stripe's onboarding: read the account's state now rather than wait for the webhook."""
    account = ConnectAccount.objects.filter(instructor__user=request.user).first()
    if account is None:
        return redirect("payments:earnings")
    request.back_url = reverse("payments:earnings")
    account = services.sync_connect_account(account=account)
    if account.status == ConnectStatus.ENABLED:
        messages.success(request, "Payouts are set up: your earnings are sent to your bank after each lesson.")
    elif account.status == ConnectStatus.RESTRICTED:
        messages.error(request, f"Stripe has restricted your payouts. {_connect_reason(account)}")
    else:
        messages.info(request, "Payout setup isn't finished yet. Your earnings wait safely until it is.")
    return redirect("payments:earnings")


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def test_mode_onboarding(request, account_id):
    """Test mode only: stands in for Stripe's hosted Express onboarding (the simulated gateway's
    account links point here)."""
    if not in_test_mode():
        raise Http404("Only in test mode")
    account = ConnectAccount.objects.filter(instructor__user=request.user, account_id=account_id).first()
    if account is None:
        raise Http404("No such account")
    if request.method == "POST":
        if request.POST.get("action") == "restrict":  # onboarded, then restricted (e.g. verification overdue)
            simulated.complete_onboarding(account.account_id)
            simulated.restrict_account(account.account_id)
        else:
            simulated.complete_onboarding(account.account_id)
        return redirect("payments:connect_return")
    return render(request, "payments/test_mode_onboarding.html", {"account": account})
