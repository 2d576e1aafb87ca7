"""Reads for data exports: the person's export requests (never loading an archive unless it is
being downloaded), and everything we hold about a person, one JSON-able section per file of the
zip.

Privacy is kept at this output layer too: the other person of a lesson or conversation appears
as "FirstName L." only; no password hash, authenticator key, backup code, card number or payment
processor reference is ever read into an export. Money is integer cents; instants are ISO 8601
in UTC (`+00:00`); lesson wall-clock times are given with the instructor's time zone.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from accounts import selectors as account_selectors
from accounts.models import User
from availability import bitmaps
from availability.models import AvailabilityDay, WeeklyTemplateDay
from bookings import selectors as booking_selectors
from bookings.models import Booking
from bookings.selectors import clock
from core.models import AuditLog
from instructors.models import InstructorProfile
from messaging.models import Conversation, ConversationState, Message
from payments import credits
from payments.models import ConnectAccount, CreditEntry, FailedAuthorization, SavedCard
from search.models import SearchEvent, SearchHistory

from .models import ExportRequest, ExportStatus

DAILY_LIMIT_WINDOW = dt.timedelta(hours=24)


# --- export requests -------------------------------------------------------------------------


def _without_archive() -> QuerySet[ExportRequest]:
    return ExportRequest.objects.defer("archive")


def latest_export(user: User) -> ExportRequest | None:
    """The person's most recent export request (the archive bytes left in the database)."""
    return _without_archive().filter(user=user).first()


def export_for(user: User, export_id: str) -> ExportRequest | None:
    """One of the person's own export requests; anyone else's is None, like a missing one."""
    return _without_archive().filter(user=user, pk=export_id).first()


def archive_of(export: ExportRequest) -> bytes:
    """The zip's bytes, read only when it is downloaded."""
    archive = ExportRequest.objects.values_list("archive", flat=True).get(pk=export.pk)
    return bytes(archive or b"")


def recent_export_times(user: User, now: dt.datetime) -> list[dt.datetime]:
    """When the person asked for the exports that count towards the daily limit, oldest first
    (a failed build is ours, so it does not count)."""
    return list(
        ExportRequest.objects.filter(user=user, created_at__gt=now - DAILY_LIMIT_WINDOW)
        .exclude(status=ExportStatus.FAILED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


def stale_exports(*, requested_before: dt.datetime, building_before: dt.datetime) -> tuple[list[str], list[str]]:
    """Ids of requests no worker picked up in time (lost in a dead broker), and of builds that
    stopped without finishing (a worker killed mid-build)."""
    waiting = ExportRequest.objects.filter(status=ExportStatus.REQUESTED, created_at__lt=requested_before)
    stuck = ExportRequest.objects.filter(status=ExportStatus.BUILDING, started_at__lt=building_before)
    return list(waiting.values_list("pk", flat=True)), list(stuck.values_list("pk", flat=True))


# --- the export's contents ---------------------------------------------------------------------


def iso(instant: dt.datetime | dt.date | dt.time | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def _other_name(user: User) -> str:
    return user.public_name


def account_section(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "timezone": user.timezone,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "roles": sorted(group.name for group in user.groups.all()),
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


def two_factor_section(user: User) -> dict:
    return {
        "two_factor_enabled": account_selectors.has_two_factor(user),
        "backup_codes_left": account_selectors.backup_codes_left(user),
    }


def instructor_profile_of(user: User) -> InstructorProfile | None:
    return (
        InstructorProfile.objects.filter(user=user)
        .prefetch_related("offerings__service", "service_areas__borough")
        .first()
    )


def instructor_section(profile: InstructorProfile) -> dict:
    connect = ConnectAccount.objects.filter(instructor=profile).first()
    return {
        "profile": {
            "id": profile.pk,
            "headline": profile.headline,
            "bio": profile.bio,
            "years_experience": profile.years_experience,
            "is_live": profile.is_live,
            "went_live_at": iso(profile.went_live_at),
            "min_notice_minutes": profile.min_notice_minutes,
            "booking_horizon_days": profile.booking_horizon_days,
            "buffer_minutes": profile.buffer_minutes,
            "max_lessons_per_day": profile.max_lessons_per_day,
            "requires_confirmation": profile.requires_confirmation,
            "created_at": iso(profile.created_at),
        },
        "offerings": [
            {
                "id": offering.pk,
                "service": offering.service.name,
                "hourly_rate_cents": offering.hourly_rate_cents,
                "durations_minutes": list(offering.durations),
                "location_types": list(offering.location_types),
                "description": offering.description,
                "is_active": offering.is_active,
                "created_at": iso(offering.created_at),
            }
            for offering in profile.offerings.all()
        ],
        "service_areas": [str(area) for area in profile.service_areas.all()],
        "payout_account": None
        if connect is None
        else {
            "status": connect.status,
            "payouts_enabled": connect.payouts_enabled,
            "details_submitted": connect.details_submitted,
            "synced_at": iso(connect.synced_at),
        },
    }


def _open_times(bits: bytes) -> list[str]:
    """Open minutes as "09:00-17:00" ranges (the end of the day is written 24:00)."""
    return [f"{clock(start)}-{clock(end)}" for start, end in bitmaps.to_ranges(bits)]


def availability_section(profile: InstructorProfile) -> dict:
    days = AvailabilityDay.objects.filter(instructor=profile).order_by("date")
    template = WeeklyTemplateDay.objects.filter(instructor=profile).order_by("weekday")
    return {
        "timezone": profile.user.timezone,
        "days": [{"date": iso(day.date), "open": _open_times(bytes(day.bits))} for day in days],
        "weekly_template": [{"weekday": day.weekday, "open": _open_times(bytes(day.bits))} for day in template],
    }


def bookings_of(user: User) -> QuerySet[Booking]:
    """Every lesson the person is party to, as student or instructor, with its satellites."""
    return (
        booking_selectors.with_details(Booking.objects.filter(Q(student=user) | Q(instructor__user=user)))
        .select_related("transfer", "dispute", "lock", "reschedule__rescheduled_to")
        .order_by("start_at", "pk")
    )


def _satellite(booking: Booking, name: str, fields: tuple[str, ...]) -> dict | None:
    found = booking_selectors.satellite(booking, name)
    if found is None:
        return None
    return {field: _plain(getattr(found, field)) for field in fields}


def _plain(value):
    return iso(value) if isinstance(value, dt.date | dt.time) else value


PAYMENT_FIELDS = (
    "status",
    "amount_cents",
    "credit_applied_cents",
    "credit_returned_cents",
    "authorized_at",
    "authorized_cents",
    "captured_at",
    "captured_cents",
    "released_cents",
    "refunded_cents",
    "failure_code",
    "failure_message",
    "failed_at",
)
TRANSFER_FIELDS = (
    "payout_cents",
    "platform_fee_cents",
    "transferred_at",
    "on_hold_reason",
    "reversed_cents",
    "reversed_at",
)
DISPUTE_FIELDS = ("status", "reason", "amount_cents", "evidence_due_at", "closed_at")
NO_SHOW_FIELDS = ("no_show_type", "reported_at", "note", "disputed_at", "dispute_note", "resolution", "resolved_at")
LOCK_FIELDS = ("locked_at", "amount_cents", "resolution", "resolved_at")


def _booking_entry(booking: Booking, user: User) -> dict:
    as_student = booking.student_id == user.pk
    reschedule = booking_selectors.satellite(booking, "reschedule")
    entry = {
        "id": booking.pk,
        "role": "student" if as_student else "instructor",
        "with": _other_name(booking.instructor.user if as_student else booking.student),
        "service": booking.service_name,
        "status": booking.status,
        "date": iso(booking.date),
        "start_time": iso(booking.start_time),
        "end_time": iso(booking.end_time),
        "instructor_timezone": booking.instructor_timezone,
        "start_at": iso(booking.start_at),
        "end_at": iso(booking.end_at),
        "duration_minutes": booking.duration_minutes,
        "hourly_rate_cents": booking.hourly_rate_cents,
        "price_cents": booking.price_cents,
        "location_type": booking.location_type,
        "location_address": booking.location_address,
        "student_note": booking.student_note,
        "created_at": iso(booking.created_at),
        "confirmed_at": iso(booking.confirmed_at),
        "completed_at": iso(booking.completed_at),
        "cancelled_at": iso(booking.cancelled_at),
        "cancelled_by": booking.cancelled_by,
        "cancellation_reason": booking.cancellation_reason,
        "no_show": _satellite(booking, "no_show", NO_SHOW_FIELDS),
        "lock": _satellite(booking, "lock", LOCK_FIELDS),
        "rescheduled_to": None
        if reschedule is None
        else {
            "booking_id": reschedule.rescheduled_to_id,
            "original_start_at": iso(reschedule.original_start_at),
            "count": reschedule.count,
        },
    }
    # Each side gets its own money: the student what they paid, the instructor what they were paid.
    if as_student:
        entry["payment"] = _satellite(booking, "payment", PAYMENT_FIELDS)
        entry["card_dispute"] = _satellite(booking, "dispute", DISPUTE_FIELDS)
    else:
        entry["payout"] = _satellite(booking, "transfer", TRANSFER_FIELDS)
    return entry


def bookings_section(user: User) -> dict:
    return {"bookings": [_booking_entry(booking, user) for booking in bookings_of(user)]}


def payments_section(user: User) -> dict:
    cards = SavedCard.objects.filter(user=user).order_by("created_at")
    entries = CreditEntry.objects.filter(user=user).order_by("created_at", "pk")
    failures = FailedAuthorization.objects.filter(booking__student=user).order_by("created_at")
    return {
        "saved_cards": [
            {
                "brand": card.brand,
                "last4": card.last4,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "is_default": card.is_default,
                "last_failed_at": iso(card.last_failed_at),
                "last_failure": card.last_failure,
                "created_at": iso(card.created_at),
            }
            for card in cards
        ],
        "credit_balance_cents": credits.balance(user),
        "credit_entries": [
            {
                "amount_cents": entry.amount_cents,
                "reason": entry.reason,
                "booking_id": entry.booking_id,
                "note": entry.note,
                "created_at": iso(entry.created_at),
            }
            for entry in entries
        ],
        "failed_card_payments": [
            {
                "booking_id": failure.booking_id,
                "amount_cents": failure.amount_cents,
                "card": failure.card_label,
                "code": failure.code,
                "message": failure.message,
                "created_at": iso(failure.created_at),
            }
            for failure in failures
        ],
    }


def _message_entry(message: Message, user: User, people: dict[str, str]) -> dict:
    if message.is_system:
        sender = "InstaInstru"
    elif message.sender_id == user.pk:
        sender = "you"
    else:
        sender = people[message.sender_id]
    return {
        "id": message.pk,
        "from": sender,
        "body": message.body_for(user.pk),
        "booking_id": message.booking_id,
        "sent_at": iso(message.created_at),
    }


def messages_section(user: User) -> dict:
    conversations = (
        Conversation.objects.filter(Q(student=user) | Q(instructor=user))
        .select_related("student", "instructor")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.order_by("created_at", "pk")),
            Prefetch("states", queryset=ConversationState.objects.filter(user=user), to_attr="my_state"),
        )
        .order_by("created_at", "pk")
    )
    exported = []
    for conversation in conversations:
        other = conversation.instructor if conversation.student_id == user.pk else conversation.student
        state = conversation.my_state[0] if conversation.my_state else None
        exported.append(
            {
                "id": conversation.pk,
                "with": _other_name(other),
                "your_role": "student" if conversation.student_id == user.pk else "instructor",
                "folder": state.state if state else None,
                "last_read_at": iso(state.last_read_at) if state else None,
                "messages": [
                    _message_entry(message, user, {other.pk: _other_name(other)})
                    for message in conversation.messages.all()
                ],
            }
        )
    return {"conversations": exported}


# search: the person's search history and the searches they made while signed in (added with search analytics)
def searches_section(user: User) -> dict:
    history = SearchHistory.objects.filter(user=user).order_by("-last_searched_at", "pk")
    searches = SearchEvent.objects.filter(user=user).order_by("created_at", "pk")
    return {
        "search_history": [
            {
                "query": entry.query,
                "times_searched": entry.search_count,
                "first_searched_at": iso(entry.created_at),
                "last_searched_at": iso(entry.last_searched_at),
            }
            for entry in history
        ],
        # The client address was never kept (only a keyed hash of it, which is left out).
        "searches": [
            {
                "query": search.query,
                "understood": search.understood,
                "results": search.result_count,
                "device": search.device_type,
                "channel": search.channel,
                "at": iso(search.created_at),
            }
            for search in searches
        ],
    }


def _audit_targets(user: User) -> Q:
    """Audit rows about the person: their account, their instructor profile and their lessons."""
    lessons = Booking.objects.filter(Q(student=user) | Q(instructor__user=user)).values("pk")
    profiles = InstructorProfile.objects.filter(user=user).values("pk")
    return (
        Q(target_type="accounts.user", target_id=user.pk)
        | Q(target_type="bookings.booking", target_id__in=lessons)
        | Q(target_type="instructors.instructorprofile", target_id__in=profiles)
    )


def audit_section(user: User) -> dict:
    rows = AuditLog.objects.filter(Q(actor=user) | _audit_targets(user)).order_by("created_at", "pk")
    return {
        "audit_log": [
            {
                "action": row.action,
                # Staff are not named: the person learns that staff acted, not who.
                "by": "you" if row.actor_id == user.pk else ("InstaInstru staff" if row.actor_id else "InstaInstru"),
                "target_type": row.target_type,
                "target_id": row.target_id,
                "reason": row.reason,
                "before": row.before,
                "after": row.after,
                "at": iso(row.created_at),
            }
            for row in rows
        ]
    }


@dataclass(frozen=True)
class Section:
    filename: str
    describes: str
    build: Callable[[], dict]


def export_sections(user: User) -> list[Section]:
    """The files of the person's export, in the order they are built; instructors get two more."""
    sections = [
        Section(
            "account.json",
            "Your account: name, email, phone, time zone, roles, when you joined.",
            lambda: account_section(user),
        ),
        Section(
            "two_factor.json",
            "Two-factor sign-in: on or off, and how many backup codes are left.",
            lambda: two_factor_section(user),
        ),
        Section(
            "bookings.json",
            "Every lesson you booked or taught, with its payment or payout, no-show report, reschedule and "
            'held funds. The other person is shown as "FirstName L.".',
            lambda: bookings_section(user),
        ),
        Section(
            "payments.json",
            "Saved cards (brand, last 4 digits, expiry only), your credit balance and ledger, and card payments "
            "that failed.",
            lambda: payments_section(user),
        ),
        Section(
            "messages.json",
            "Your conversations and every message in them, as you saw them.",
            lambda: messages_section(user),
        ),
        Section(  # search: added with search analytics
            "searches.json",
            "Your recent searches (the list the search box offers), and each search you made while signed in.",
            lambda: searches_section(user),
        ),
        Section(
            "audit_log.json",
            "The record of what you did, and what was done to your account and lessons (staff are not named).",
            lambda: audit_section(user),
        ),
    ]
    profile = instructor_profile_of(user)
    if profile is not None:
        sections[1:1] = [
            Section(
                "instructor_profile.json",
                "Your instructor profile, booking rules, services and prices, service areas and payout account state.",
                lambda: instructor_section(profile),
            ),
            Section(
                "availability.json",
                "Your open hours: each painted day and your weekly template, in your time zone.",
                lambda: availability_section(profile),
            ),
        ]
    return sections
