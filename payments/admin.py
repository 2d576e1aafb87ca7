"""The finance console: failed payments, payouts on hold, card disputes, refunds and credit, and
the reconciliation report, under "Payments" in the operations console.

Every page needs `payments.view_finance` (finance, admin); refunds, credit and retries need
`payments.issue_refunds`. Money is never edited here: each action calls a service
(`retry_payment`, `try_payout_again`, `refund_booking`, `grant_credit`) that leaves an audit row,
and domain or Stripe errors become messages or form errors, never a 500. The booking satellites appear through proxy
models (payments.models: Payment, FailedPayment, HeldPayout, Dispute); each changelist joins the
people and satellites it shows, so its query count does not grow with the page.

Privacy: people are shown as "FirstName L."; staff also holding `accounts.view_private_details`
see emails too.
"""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User
from bookings.admin import booking_label, flat, person_private, sees_private_details, usd
from bookings.selectors import satellite
from core.admin import ReadOnlyAdminMixin
from core.exceptions import DomainError
from core.money import dollars_to_cents, format_cents

from . import selectors, services
from .gateway import GatewayError
from .models import (
    ConnectAccount,
    CreditEntry,
    CreditReason,
    Dispute,
    FailedAuthorization,
    FailedPayment,
    HeldPayout,
    Payment,
    SavedCard,
    StripeCustomer,
    WebhookEvent,
    WebhookOutcome,
)

VIEW_FINANCE = "payments.view_finance"
ISSUE_REFUNDS = "payments.issue_refunds"
MONEY_ERRORS = (DomainError, GatewayError)


def lesson_link(booking) -> str:
    """The lesson (service, UTC start) linking to its page in the bookings console."""
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    return format_html('<a href="{}">{}</a>', url, booking_label(booking))


def error_text(error: Exception) -> str:
    return getattr(error, "message", None) or str(error) or error.__class__.__name__


class FinanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, for holders of payments.view_finance; actions gated by issue_refunds."""

    list_per_page = 50
    show_full_result_count = False  # one count query, not two

    def has_module_permission(self, request):
        return request.user.has_perm(VIEW_FINANCE)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW_FINANCE)

    def has_issue_refunds_permission(self, request):
        return request.user.has_perm(ISSUE_REFUNDS)

    def who(self, request) -> str:
        return "private" if sees_private_details(request) else "public"

    def each(self, request, objects, operation, *, failed: str) -> int:
        """Run `operation` on each object on its own; report each refusal; count successes."""
        succeeded = 0
        for obj in objects:
            try:
                operation(obj)
            except MONEY_ERRORS as error:
                self.message_user(
                    request, f"{failed} {booking_label(obj.booking)}: {error_text(error)}", messages.WARNING
                )
                continue
            succeeded += 1
        return succeeded


class BookingColumns:
    """Columns for a satellite (obj.booking) whose booking's people are joined in."""

    @admin.display(description="Lesson (UTC start)", ordering="booking__start_at")
    def lesson(self, obj):
        return lesson_link(obj.booking)

    @admin.display(description="Student", ordering="booking__student__first_name")
    def student_public(self, obj):
        return obj.booking.student.public_name

    @admin.display(description="Student", ordering="booking__student__first_name")
    def student_private(self, obj):
        return person_private(obj.booking.student)

    @admin.display(description="Instructor", ordering="booking__instructor__user__first_name")
    def instructor_public(self, obj):
        return obj.booking.instructor.user.public_name

    @admin.display(description="Instructor", ordering="booking__instructor__user__first_name")
    def instructor_private(self, obj):
        return person_private(obj.booking.instructor.user)


PAYMENT_FIELDS = (
    "lesson",
    ("status", "settlement"),
    ("amount_usd", "credit_applied_usd", "credit_returned_usd"),
    "payment_intent_id",
    ("authorized_usd", "authorized_at"),
    ("captured_usd", "captured_at"),
    ("released_usd", "refunded_usd"),
    ("attempts", "next_attempt_at", "pay_by"),
    ("failure_code", "failed_at"),
    "failure_message",
)


class PaymentColumns(BookingColumns):
    amount_usd = usd("amount_cents", "Amount")
    credit_applied_usd = usd("credit_applied_cents", "Credit used")
    credit_returned_usd = usd("credit_returned_cents", "Credit returned")
    authorized_usd = usd("authorized_cents", "Authorized")
    captured_usd = usd("captured_cents", "Captured")
    released_usd = usd("released_cents", "Released")
    refunded_usd = usd("refunded_cents", "Refunded")

    @admin.display(description="Failure")
    def failure(self, payment):
        if not payment.failure_code:
            return "—"
        return format_html("<strong>{}</strong><br>{}", payment.failure_code, payment.failure_message)


# --- 1. failed payments --------------------------------------------------------------------------


@admin.register(FailedPayment)
class FailedPaymentAdmin(PaymentColumns, FinanceAdmin):
    """Declined or waiting on the student's bank (with the pay-by deadline), or retrying after a
    transient Stripe error. "Retry now" tries again at once."""

    list_filter = ("status",)
    ordering = (F("pay_by").asc(nulls_last=True), "booking__start_at", "pk")
    search_fields = ("=booking__id", "failure_code")
    actions = ["retry_now"]
    fields = PAYMENT_FIELDS
    readonly_fields = flat(PAYMENT_FIELDS)

    def get_queryset(self, request):
        return selectors.failed_payments(super().get_queryset(request))

    def get_list_display(self, request):
        who = self.who(request)
        return ("lesson", f"student_{who}", "amount_usd", "status", "failure", "pay_by", "attempts", "next_attempt_at")

    @admin.action(description="Retry now", permissions=["issue_refunds"])
    def retry_now(self, request, queryset):
        results = []

        def retry(payment):
            results.append(services.retry_payment(booking=payment.booking, staff_user=request.user))

        self.each(request, queryset.order_by("pk"), retry, failed="Could not retry")
        for payment in results:
            label = booking_label(payment.booking)
            if payment.status in ("failed", "action_required"):
                reason = payment.failure_message or payment.get_status_display()
                self.message_user(
                    request, f"Retried {label}: still {payment.get_status_display()}: {reason}.", messages.WARNING
                )
            else:
                self.message_user(
                    request, f"Retried {label}: now {payment.get_status_display().lower()}.", messages.SUCCESS
                )


@admin.register(FailedAuthorization)
class FailedAuthorizationAdmin(FinanceAdmin):
    """Every authorization that failed, newest first, whatever happened to the lesson afterwards:
    declined at checkout, at the 24-hour authorization, on a student's or staff's retry."""

    list_filter = ("channel", "needs_authentication", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=booking__id", "code", "intent_id")
    amount_usd = usd("amount_cents", "Amount")
    fields = (
        "created_at",
        "lesson",
        "channel",
        "amount_usd",
        "card_label",
        ("code", "needs_authentication"),
        "message",
        "intent_id",
        "lesson_now",
    )
    readonly_fields = flat(fields)

    def get_queryset(self, request):
        return selectors.failed_authorizations(super().get_queryset(request))

    def get_list_display(self, request):
        return ("created_at", "lesson", "channel", "amount_usd", "card_label", "failure", "lesson_now")

    @admin.display(description="Lesson (UTC start)", ordering="booking__start_at")
    def lesson(self, failure):
        return lesson_link(failure.booking)

    @admin.display(description="Failure")
    def failure(self, failure):
        return format_html("<strong>{}</strong><br>{}", failure.code, failure.message)

    @admin.display(description="Lesson and payment now")
    def lesson_now(self, failure):
        booking = failure.booking
        payment = satellite(booking, "payment")
        return f"{booking.get_status_display()} · {payment.get_status_display() if payment else 'no payment'}"


# --- 2. payouts on hold --------------------------------------------------------------------------


@admin.register(HeldPayout)
class HeldPayoutAdmin(BookingColumns, FinanceAdmin):
    """Instructor shares that wait (no payout account, or a restricted one), with the reason."""

    ordering = ("booking__end_at", "pk")
    search_fields = ("=booking__id", "on_hold_reason")
    actions = ["try_payout_again"]
    payout_usd = usd("payout_cents", "Payout")
    platform_fee_usd = usd("platform_fee_cents", "Platform fee")
    fields = ("lesson", ("payout_usd", "platform_fee_usd"), "on_hold_reason", "created_at", "updated_at")
    readonly_fields = flat(fields)

    def get_queryset(self, request):
        return selectors.held_payouts(super().get_queryset(request))

    def get_list_display(self, request):
        return (f"instructor_{self.who(request)}", "payout_usd", "platform_fee_usd", "on_hold_reason", "lesson")

    @admin.action(description="Try the payout again", permissions=["issue_refunds"])
    def try_payout_again(self, request, queryset):
        transfers = list(queryset.order_by("pk"))
        self.each(
            request,
            transfers,
            lambda transfer: services.try_payout_again(booking=transfer.booking, staff_user=request.user),
            failed="Could not pay out",
        )
        for transfer in transfers:
            transfer.refresh_from_db()
            label = booking_label(transfer.booking)
            if transfer.transferred_at:
                self.message_user(
                    request, f"Paid out {format_cents(transfer.payout_cents)} for {label}.", messages.SUCCESS
                )
            else:
                self.message_user(request, f"Still on hold: {label}: {transfer.on_hold_reason}", messages.WARNING)


# --- 3. disputes ---------------------------------------------------------------------------------


@admin.register(Dispute)
class DisputeAdmin(BookingColumns, FinanceAdmin):
    """Card disputes (chargebacks), the soonest evidence deadline first; overdue ones marked."""

    list_filter = ("status",)
    ordering = (F("evidence_due_at").asc(nulls_last=True), "-created_at")
    search_fields = ("=booking__id", "dispute_id")
    amount_usd = usd("amount_cents", "Amount")
    fields = ("lesson", "dispute_id", ("status", "reason"), "amount_usd", "evidence_due", "closed_at")
    readonly_fields = flat(fields)

    def get_queryset(self, request):
        return selectors.disputes(super().get_queryset(request))

    def get_list_display(self, request):
        return ("lesson", f"student_{self.who(request)}", "status", "reason", "amount_usd", "evidence_due")

    @admin.display(description="Evidence due", ordering="evidence_due_at")
    def evidence_due(self, dispute):
        if dispute.evidence_due_at is None:
            return "—"
        when = timezone.localtime(dispute.evidence_due_at).strftime("%Y-%m-%d %H:%M %Z")
        if dispute.status == "needs_response" and dispute.evidence_due_at < timezone.now():
            return format_html('<strong class="errornote-inline">OVERDUE</strong> {}', when)
        return when


# --- 4 and 5. all payments: refunds, and the reconciliation report -------------------------------


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund (USD)",
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        help_text="Refunded to the student's card. A refund after the payout takes back the instructor's share.",
    )
    reason = forms.CharField(max_length=300, help_text="Why (kept in the audit log).")


@admin.register(Payment)
class PaymentAdmin(PaymentColumns, FinanceAdmin):
    """Every lesson's payment. "Refund in full" refunds what was charged and not yet refunded; a
    partial refund has its own page (the "Refund…" link). The reconciliation report is linked
    at the top of the list."""

    change_list_template = "admin/payments/payment/change_list.html"
    list_filter = ("status", "settlement")
    ordering = ("-booking__start_at", "pk")
    search_fields = ("=booking__id", "payment_intent_id")
    actions = ["refund_in_full"]
    fields = PAYMENT_FIELDS
    readonly_fields = flat(PAYMENT_FIELDS)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*selectors.PEOPLE)

    def get_list_display(self, request):
        return (
            "lesson",
            f"student_{self.who(request)}",
            "status",
            "settlement",
            "amount_usd",
            "captured_usd",
            "refunded_usd",
            "refund_link",
        )

    @admin.display(description="Refund")
    def refund_link(self, payment):
        if payment.captured_cents <= payment.refunded_cents:
            return "—"
        url = reverse("admin:payments_payment_refund", args=[payment.pk])
        return format_html('<a href="{}">Refund…</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("reconciliation/", view(self.reconciliation_view), name="payments_payment_reconciliation"),
            path("<path:object_id>/refund/", view(self.refund_view), name="payments_payment_refund"),
            *super().get_urls(),
        ]

    @admin.action(description="Refund in full", permissions=["issue_refunds"])
    def refund_in_full(self, request, queryset):
        def refund(payment):
            refundable = payment.captured_cents - payment.refunded_cents
            if refundable <= 0:
                raise DomainError("Nothing charged is left to refund.")
            services.refund_booking(
                booking=payment.booking, amount_cents=refundable, staff_user=request.user, reason="Refund in full"
            )

        done = self.each(request, queryset.order_by("pk"), refund, failed="Could not refund")
        if done:
            self.message_user(request, f"Refunded {done} payment(s) in full.", messages.SUCCESS)

    def refund_view(self, request, object_id):
        if not request.user.has_perm(ISSUE_REFUNDS):
            raise PermissionDenied
        payment = get_object_or_404(self.get_queryset(request), pk=object_id)
        refundable = payment.captured_cents - payment.refunded_cents
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            amount_cents = dollars_to_cents(form.cleaned_data["amount"])
            try:
                services.refund_booking(
                    booking=payment.booking,
                    amount_cents=amount_cents,
                    staff_user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except MONEY_ERRORS as error:
                form.add_error("amount", error_text(error))
            else:
                self.message_user(
                    request,
                    f"Refunded {format_cents(amount_cents)} for {booking_label(payment.booking)}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund a lesson",
            "subtitle": booking_label(payment.booking),
            "opts": self.opts,
            "payment": payment,
            "lesson": lesson_link(payment.booking),
            "refundable": format_cents(refundable),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    def reconciliation_view(self, request):
        if not request.user.has_perm(VIEW_FINANCE):
            raise PermissionDenied
        private = sees_private_details(request)
        rows = [
            {
                "lesson": lesson_link(mismatch.booking),
                "student": person_private(mismatch.booking.student)
                if private
                else mismatch.booking.student.public_name,
                "payment": mismatch.payment,
                "payment_url": reverse("admin:payments_payment_change", args=[mismatch.payment.pk]),
                "transfer": mismatch.transfer,
                "problems": mismatch.problems,
            }
            for mismatch in selectors.reconciliation_mismatches()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Reconciliation report",
            "opts": self.opts,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/payments/payment/reconciliation.html", context)


# --- credit ---------------------------------------------------------------------------------------


class GrantCreditForm(forms.ModelForm):
    """Grant credit through payments.services.grant_credit (the ledger is never edited)."""

    email = forms.EmailField(label="User's email", help_text="The exact email of the account to credit.")
    amount = forms.DecimalField(label="Amount (USD)", min_value=Decimal("0.01"), max_digits=9, decimal_places=2)
    reason = forms.ChoiceField(
        choices=[
            (CreditReason.ADJUSTMENT, CreditReason.ADJUSTMENT.label),
            (CreditReason.REFUND, CreditReason.REFUND.label),
        ]
    )
    note = forms.CharField(max_length=300, required=False, help_text="Why (shown in the user's credit history).")

    class Meta:
        model = CreditEntry
        fields = []

    def _post_clean(self):
        """The entry is made by the service, not from this form: no model validation here."""

    def clean_email(self):
        email = self.cleaned_data["email"]
        self.user = User.objects.filter(email__iexact=email).first()
        if self.user is None:
            raise forms.ValidationError("No account has this email.")
        return email

    def clean_amount(self):
        return dollars_to_cents(self.cleaned_data["amount"])


@admin.register(CreditEntry)
class CreditEntryAdmin(FinanceAdmin):
    """The platform-credit ledger: listed, searched by email, added to through the service;
    rows are never changed or deleted."""

    list_filter = ("reason",)
    list_select_related = ("user",)
    search_help_text = "An exact email address."
    amount_usd = usd("amount_cents", "Amount")
    fields = ("created_at", "user_public", "amount_usd", "reason", "booking_link", "note")
    readonly_fields = fields

    def has_add_permission(self, request):
        return request.user.has_perm(ISSUE_REFUNDS)

    def get_list_display(self, request):
        return ("created_at", f"user_{self.who(request)}", "amount_usd", "reason", "booking_link", "note")

    def get_search_fields(self, request):
        if sees_private_details(request):
            return ("user__email", "user__first_name", "user__last_name")
        return ("=user__email",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("email", "amount", "reason", "note")
        return ("created_at", f"user_{self.who(request)}", "amount_usd", "reason", "booking_link", "note")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.fields, "user_private")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return GrantCreditForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        entry = services.grant_credit(
            user=form.user,
            amount_cents=form.cleaned_data["amount"],
            staff_user=request.user,
            note=form.cleaned_data["note"],
            reason=form.cleaned_data["reason"],
        )
        for field in CreditEntry._meta.concrete_fields:
            setattr(obj, field.attname, getattr(entry, field.attname))
        obj._state.adding = False

    @admin.display(description="User", ordering="user__first_name")
    def user_public(self, entry):
        return entry.user.public_name

    @admin.display(description="User", ordering="user__first_name")
    def user_private(self, entry):
        return person_private(entry.user)

    @admin.display(description="Lesson")
    def booking_link(self, entry):
        if not entry.booking_id:
            return "—"
        url = reverse("admin:bookings_booking_change", args=[entry.booking_id])
        return format_html('<a href="{}">{}</a>', url, entry.booking_id)


# --- Stripe records, read-only --------------------------------------------------------------------


@admin.register(WebhookEvent)
class WebhookEventAdmin(FinanceAdmin):
    """Every Stripe event received. Flagged ones need a look: filter by outcome "Flagged"."""

    list_display = ("created_at", "event_type", "outcome_shown", "note", "event_id", "processed_at")
    list_filter = ("outcome", "event_type")
    search_fields = ("=event_id", "event_type")
    fields = ("event_id", "event_type", "outcome", "note", "created_at", "processed_at", "payload_shown")
    readonly_fields = fields

    @admin.display(description="Outcome", ordering="outcome")
    def outcome_shown(self, event):
        if event.outcome == WebhookOutcome.FLAGGED:
            return format_html("<strong>⚑ {}</strong>", event.get_outcome_display())
        return event.get_outcome_display()

    @admin.display(description="Payload")
    def payload_shown(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))


@admin.register(ConnectAccount)
class ConnectAccountAdmin(FinanceAdmin):
    list_filter = ("status", "payouts_enabled")
    list_select_related = ("instructor__user",)
    search_fields = ("=account_id", "instructor__user__first_name")
    fields = (
        "instructor_name",
        "account_id",
        "status",
        ("payouts_enabled", "transfers_active", "details_submitted"),
        "disabled_reason",
        "currently_due",
        "synced_at",
    )
    readonly_fields = flat(fields)
    list_display = ("instructor_name", "account_id", "status", "payouts_enabled", "disabled_reason", "synced_at")

    @admin.display(description="Instructor", ordering="instructor__user__first_name")
    def instructor_name(self, account):
        return account.instructor.user.public_name


class UserColumns:
    @admin.display(description="User", ordering="user__first_name")
    def user_public(self, obj):
        return obj.user.public_name

    @admin.display(description="User", ordering="user__first_name")
    def user_private(self, obj):
        return person_private(obj.user)


@admin.register(SavedCard)
class SavedCardAdmin(UserColumns, FinanceAdmin):
    list_select_related = ("user",)
    search_fields = ("=payment_method_id", "last4")
    fields = ("user_public", "brand", "last4", ("exp_month", "exp_year"), "is_default", "payment_method_id")
    readonly_fields = (*flat(fields), "user_private")

    def get_list_display(self, request):
        return (f"user_{self.who(request)}", "brand", "last4", "exp_month", "exp_year", "is_default", "created_at")


@admin.register(StripeCustomer)
class StripeCustomerAdmin(UserColumns, FinanceAdmin):
    list_select_related = ("user",)
    search_fields = ("=customer_id",)
    fields = ("user_public", "customer_id", "created_at")
    readonly_fields = (*fields, "user_private")

    def get_list_display(self, request):
        return (f"user_{self.who(request)}", "customer_id", "created_at")
