"""The operations console for bookings.

Bookings are read-only here: they are created by the booking flow, and their status changes
only through the actions below, each of which calls a service (cancel_booking,
resolve_no_show) that enforces the same lesson policy as the site and the API and leaves an
audit row. The six 1:1 satellites are shown inline, read-only; the changelist loads the
ones it shows in its one query (list_select_related), so its query count does not grow with
the page.

Privacy: staff holding `accounts.view_private_details` (support, admin) see emails; other
staff (finance) see people as "FirstName L." only, and cannot search by email or last name.
"""

import datetime as dt

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from core.exceptions import DomainError
from core.money import format_cents
from instructors.models import InstructorProfile

from . import services
from .models import (
    Booking,
    BookingDispute,
    BookingLock,
    BookingNoShow,
    BookingPayment,
    BookingReschedule,
    BookingTransfer,
    NoShowResolution,
)
from .selectors import satellite

PRIVATE_DETAILS = "accounts.view_private_details"
SATELLITES = ("payment", "transfer", "dispute", "no_show", "lock", "reschedule")
STAFF_CANCEL_REASON = "Cancelled by staff"


def sees_private_details(request) -> bool:
    return request.user.has_perm(PRIVATE_DETAILS)


def person_private(user) -> str:
    return format_html('{}<br><span class="quiet">{}</span>', user.public_name, user.email)


def clock(value: dt.time, *, is_end: bool = False) -> str:
    return "24:00" if is_end and value == dt.time(0, 0) else value.strftime("%H:%M")


def booking_label(booking: Booking) -> str:
    """How an action's messages name a booking: id, service and UTC start."""
    return f"{booking.pk} ({booking.service_name}, {booking.start_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC)"


def usd(field: str, label: str):
    """A read-only column/field showing an integer-cents field as dollars."""

    @admin.display(description=label, ordering=field)
    def show(self, obj):
        return format_cents(getattr(obj, field))

    show.__name__ = f"{field.removesuffix('_cents')}_usd"
    return show


def flat(fields) -> tuple[str, ...]:
    """Field names of a `fields` layout that groups some on one line (tuples)."""
    return tuple(name for item in fields for name in (item if isinstance(item, tuple) else (item,)))


# --- list filters ----------------------------------------------------------------------------


class NoShowFilter(admin.SimpleListFilter):
    """The "no-shows to resolve" queue: open reports first."""

    title = "no-show report"
    parameter_name = "no_show"

    def lookups(self, request, model_admin):
        return [
            ("open", "Open: to resolve"),
            ("disputed", "Open and disputed"),
            ("resolved", "Resolved"),
            ("none", "No report"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "open":
                return queryset.filter(no_show__isnull=False, no_show__resolved_at__isnull=True)
            case "disputed":
                return queryset.filter(no_show__disputed_at__isnull=False, no_show__resolved_at__isnull=True)
            case "resolved":
                return queryset.filter(no_show__resolved_at__isnull=False)
            case "none":
                return queryset.filter(no_show__isnull=True)
        return queryset


class PaymentStatusFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "payment"


class InstructorFilter(admin.SimpleListFilter):
    """Instructors who have bookings, in one query (the related-field filter would run one
    query per instructor to label it)."""

    title = "instructor"
    parameter_name = "instructor"

    def lookups(self, request, model_admin):
        private = sees_private_details(request)
        profiles = (
            InstructorProfile.objects.filter(pk__in=Booking.objects.values("instructor"))
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "pk")
        )
        return [
            (profile.pk, f"{profile.user.public_name} ({profile.user.email})" if private else profile.user.public_name)
            for profile in profiles
        ]

    def queryset(self, request, queryset):
        return queryset.filter(instructor_id=self.value()) if self.value() else queryset


# --- satellites, inline and read-only --------------------------------------------------------


class SatelliteInline(ReadOnlyAdminMixin, admin.StackedInline):
    """One satellite row on the booking page: shown, never added, changed or deleted here."""

    extra = 0
    max_num = 1
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bookings.view_booking")


class PaymentInline(SatelliteInline):
    model = BookingPayment
    verbose_name = verbose_name_plural = "payment"
    amount_usd = usd("amount_cents", "Amount")
    authorized_usd = usd("authorized_cents", "Authorized")
    captured_usd = usd("captured_cents", "Captured")
    released_usd = usd("released_cents", "Released")
    refunded_usd = usd("refunded_cents", "Refunded")
    fields = (
        "status",
        "amount_usd",
        "payment_intent_id",
        ("authorized_usd", "authorized_at"),
        ("captured_usd", "captured_at"),
        "released_usd",
        "refunded_usd",
        ("failure_code", "failed_at"),
        "failure_message",
    )
    readonly_fields = flat(fields)


class TransferInline(SatelliteInline):
    model = BookingTransfer
    verbose_name = verbose_name_plural = "instructor transfer"
    payout_usd = usd("payout_cents", "Payout")
    platform_fee_usd = usd("platform_fee_cents", "Platform fee")
    reversed_usd = usd("reversed_cents", "Reversed")
    fields = (
        "transfer_id",
        ("payout_usd", "platform_fee_usd"),
        "transferred_at",
        "on_hold_reason",
        ("reversal_id", "reversed_usd", "reversed_at"),
    )
    readonly_fields = flat(fields)


class DisputeInline(SatelliteInline):
    model = BookingDispute
    verbose_name = verbose_name_plural = "card dispute"
    amount_usd = usd("amount_cents", "Amount")
    fields = ("dispute_id", "status", "reason", "amount_usd", "evidence_due_at", "closed_at")
    readonly_fields = flat(fields)


class NoShowInline(SatelliteInline):
    model = BookingNoShow
    verbose_name = verbose_name_plural = "no-show report"
    readonly_fields = (
        "no_show_type",
        "reported_by_private",
        "reported_by_public",
        "reported_at",
        "note",
        "disputed_at",
        "dispute_note",
        "resolution",
        "resolved_at",
        "resolved_by_private",
        "resolved_by_public",
    )

    def get_fields(self, request, obj=None):
        who = "private" if sees_private_details(request) else "public"
        return [
            "no_show_type",
            (f"reported_by_{who}", "reported_at"),
            "note",
            "disputed_at",
            "dispute_note",
            "resolution",
            (f"resolved_by_{who}", "resolved_at"),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reported_by", "resolved_by")

    @admin.display(description="Reported by")
    def reported_by_private(self, no_show):
        return f"{no_show.reported_by.public_name} ({no_show.reported_by.email})"

    @admin.display(description="Reported by")
    def reported_by_public(self, no_show):
        return no_show.reported_by.public_name

    @admin.display(description="Resolved by")
    def resolved_by_private(self, no_show):
        user = no_show.resolved_by
        return f"{user.public_name} ({user.email})" if user else "—"

    @admin.display(description="Resolved by")
    def resolved_by_public(self, no_show):
        return no_show.resolved_by.public_name if no_show.resolved_by else "—"


class LockInline(SatelliteInline):
    model = BookingLock
    verbose_name = verbose_name_plural = "locked funds (late reschedule)"
    amount_usd = usd("amount_cents", "Amount")
    fields = ("locked_at", "amount_usd", "resolution", "resolved_at")
    readonly_fields = flat(fields)


class RescheduleInline(SatelliteInline):
    model = BookingReschedule
    fk_name = "booking"
    verbose_name = verbose_name_plural = "rescheduled to"
    fields = ("rescheduled_to", "count", "original_start_at", "late")
    readonly_fields = flat(fields)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rescheduled_to")


# --- bookings ----------------------------------------------------------------------------------


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    date_hierarchy = "start_at"
    ordering = ("-start_at", "pk")
    list_filter = (
        "status",
        NoShowFilter,
        InstructorFilter,
        "location_type",
        ("payment__status", PaymentStatusFilter),
    )
    list_select_related = ("student", "instructor__user", *SATELLITES)
    list_display_links = ("when",)
    list_per_page = 50
    inlines = [PaymentInline, TransferInline, DisputeInline, NoShowInline, LockInline, RescheduleInline]
    actions = ["cancel_by_staff", "resolve_no_show_upheld", "resolve_no_show_dismissed"]

    price = usd("price_cents", "Price")
    hourly_rate = usd("hourly_rate_cents", "Hourly rate")
    readonly_fields = (
        "id",
        "service_name",
        "offering",
        "instructor_private",
        "instructor_public",
        "student_private",
        "student_public",
        "local_time",
        "start_utc",
        "end_utc",
        "duration_minutes",
        "location_type",
        "location_address",
        "student_note",
        "hourly_rate",
        "price",
        "status",
        "hold_expires_at",
        "request_deadline",
        "confirmed_at",
        "completed_at",
        "cancelled_at",
        "cancelled_by",
        "cancellation_reason",
        "rescheduled_from_booking",
        "idempotency_key",
        "created_at",
        "updated_at",
    )

    # Bookings come from the booking flow (so read-only here); staff change them only through the actions.
    def has_manage_permission(self, request):
        return request.user.has_perm("bookings.manage_any_booking")

    def has_resolve_permission(self, request):
        return request.user.has_perm("bookings.resolve_no_shows")

    def get_list_display(self, request):
        who = "private" if sees_private_details(request) else "public"
        return (
            "when",
            "service",
            f"instructor_{who}",
            f"student_{who}",
            "status",
            "price",
            "payment_status",
            "follow_up",
        )

    def get_search_fields(self, request):
        if sees_private_details(request):
            return (
                "=id",
                "service_name",
                "student__email",
                "student__first_name",
                "student__last_name",
                "instructor__user__email",
                "instructor__user__first_name",
                "instructor__user__last_name",
            )
        return ("=id", "service_name", "student__first_name", "instructor__user__first_name")

    def get_fieldsets(self, request, obj=None):
        who = "private" if sees_private_details(request) else "public"
        return [
            (
                "Lesson",
                {
                    "fields": [
                        "id",
                        ("service_name", "offering"),
                        f"instructor_{who}",
                        f"student_{who}",
                        "local_time",
                        ("start_utc", "end_utc", "duration_minutes"),
                        ("location_type", "location_address"),
                        "student_note",
                    ]
                },
            ),
            ("Money", {"fields": [("hourly_rate", "price")]}),
            (
                "Status",
                {
                    "description": (
                        "Status changes only through the actions on the booking list. "
                        f"Times here are in your time zone ({timezone.get_current_timezone_name()})."
                    ),
                    "fields": [
                        "status",
                        ("hold_expires_at", "request_deadline"),
                        ("confirmed_at", "completed_at"),
                        ("cancelled_at", "cancelled_by"),
                        "cancellation_reason",
                        "rescheduled_from_booking",
                    ],
                },
            ),
            ("Record", {"classes": ["collapse"], "fields": ["idempotency_key", ("created_at", "updated_at")]}),
        ]

    # --- columns and fields ---

    @admin.display(description="Start (UTC)", ordering="start_at")
    def start_utc(self, booking):
        return f"{booking.start_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"

    @admin.display(description="End (UTC)", ordering="end_at")
    def end_utc(self, booking):
        return f"{booking.end_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"

    @admin.display(description="Instructor's local time", ordering="start_at")
    def local_time(self, booking):
        return (
            f"{booking.date:%a %d %b %Y} {clock(booking.start_time)}–{clock(booking.end_time, is_end=True)} "
            f"({booking.instructor_timezone})"
        )

    @admin.display(description="Start (UTC) · instructor's local time", ordering="start_at")
    def when(self, booking):
        zone = booking.instructor_timezone.rsplit("/", 1)[-1].replace("_", " ")
        return format_html(
            '{}<br><span class="quiet" title="{}">{} {}–{} {}</span>',
            self.start_utc(booking),
            booking.instructor_timezone,
            f"{booking.date:%a %d %b %Y}",
            clock(booking.start_time),
            clock(booking.end_time, is_end=True),
            zone,
        )

    @admin.display(description="Service", ordering="service_name")
    def service(self, booking):
        return booking.service_name

    @admin.display(description="Instructor", ordering="instructor__user__first_name")
    def instructor_private(self, booking):
        return person_private(booking.instructor.user)

    @admin.display(description="Instructor", ordering="instructor__user__first_name")
    def instructor_public(self, booking):
        return booking.instructor.user.public_name

    @admin.display(description="Student", ordering="student__first_name")
    def student_private(self, booking):
        return person_private(booking.student)

    @admin.display(description="Student", ordering="student__first_name")
    def student_public(self, booking):
        return booking.student.public_name

    @admin.display(description="Payment", ordering="payment__status")
    def payment_status(self, booking):
        payment = satellite(booking, "payment")
        return payment.get_status_display() if payment else "—"

    @admin.display(description="Follow-up")
    def follow_up(self, booking):
        """What the satellites say needs (or needed) attention, open no-show reports first."""
        notes = []
        if (no_show := satellite(booking, "no_show")) is not None:
            if no_show.resolved_at:
                notes.append(f"no-show {no_show.resolution}")
            else:
                notes.append("no-show report open, disputed" if no_show.disputed_at else "no-show report open")
        if (dispute := satellite(booking, "dispute")) is not None:
            notes.append(f"card dispute: {dispute.get_status_display().lower()}")
        if (lock := satellite(booking, "lock")) is not None:
            notes.append(f"funds locked: {lock.get_resolution_display().lower()}")
        if (transfer := satellite(booking, "transfer")) is not None:
            notes.append("paid out" if transfer.transferred_at else "payout pending")
        if (reschedule := satellite(booking, "reschedule")) is not None:
            notes.append(f"rescheduled ({reschedule.count})")
        return "; ".join(notes) or "—"

    @admin.display(description="Rescheduled from")
    def rescheduled_from_booking(self, booking):
        previous = BookingReschedule.objects.filter(rescheduled_to=booking).select_related("booking").first()
        if previous is None:
            return "—"
        url = reverse("admin:bookings_booking_change", args=[previous.booking_id])
        return format_html('<a href="{}">{}</a>', url, booking_label(previous.booking))

    # --- actions: each calls a service; domain errors become per-booking warnings ---

    @admin.action(description="Cancel (staff): the student pays nothing", permissions=["manage"])
    def cancel_by_staff(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda booking: services.cancel_booking(booking=booking, user=request.user, reason=STAFF_CANCEL_REASON),
            done="Cancelled",
            failed="Could not cancel",
        )

    @admin.action(description="Resolve no-show: upheld (it was a no-show)", permissions=["resolve"])
    def resolve_no_show_upheld(self, request, queryset):
        self._resolve(request, queryset, NoShowResolution.UPHELD)

    @admin.action(description="Resolve no-show: dismissed (the lesson happened)", permissions=["resolve"])
    def resolve_no_show_dismissed(self, request, queryset):
        self._resolve(request, queryset, NoShowResolution.DISMISSED)

    def _resolve(self, request, queryset, resolution: str) -> None:
        self._apply(
            request,
            queryset,
            lambda booking: services.resolve_no_show(booking=booking, staff_user=request.user, resolution=resolution),
            done=f"Resolved the no-show report ({resolution}) on",
            failed=f"Could not resolve the no-show report ({resolution}) on",
        )

    def _apply(self, request, queryset, operation, *, done: str, failed: str) -> None:
        """Run `operation` on each booking on its own (one service call, one transaction each),
        so one refusal does not undo the others; report successes and each failure."""
        succeeded = 0
        for booking in queryset.order_by("pk"):
            try:
                operation(booking)
            except DomainError as error:
                self.message_user(request, f"{failed} {booking_label(booking)}: {error.message}", messages.WARNING)
                continue
            succeeded += 1
        if succeeded:
            self.message_user(request, f"{done} {succeeded} booking(s).", messages.SUCCESS)
