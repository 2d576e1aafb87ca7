"""The right to be forgotten: a person (or staff, on their written request) deletes the account.

What happens, in one transaction:
- lessons still to come are cancelled under the normal policy, as if the person cancelled each
  (so a late cancellation costs what it always costs; the confirmation page shows it first);
- the instructor profile leaves search and loses its words; saved cards are detached;
- the addresses and notes given on lessons are blanked;
- the search history is deleted, and the searches made stay only as anonymous counts;
- the account is anonymized ("Deleted user", an address that cannot receive mail), can never sign
  in again, and every session, two-factor device and backup code goes;
- kept, without personal fields: bookings, payments, refunds, credits, payouts and audit rows (the
  law keeps them), and messages (they are the other person's conversation too: the name shown is
  "Deleted user").
"""

import datetime as dt
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from accounts import services as account_services
from accounts.models import User
from bookings import selectors as booking_selectors
from bookings import services as booking_services
from bookings.models import Booking
from core.exceptions import Conflict
from core.services import record_audit
from core.timeutil import now as current_time
from instructors import services as instructor_services
from payments import credits
from payments import services as payment_services
from payments.selectors import cards_of
from search import tracking as search_tracking

from . import services as export_services

CANCEL_REASON = "The account was deleted."


class ErasureRefused(Conflict):
    code = "erasure_refused"


@dataclass(frozen=True)
class LessonToCancel:
    booking: Booking
    cost: str  # what cancelling it now means, in the policy's own words


@dataclass(frozen=True)
class ErasurePreview:
    lessons: list[LessonToCancel]
    credit_cents: int  # platform credit that is given up
    blocker: str  # why it cannot happen now ('' when it can)


def erasure_preview(user: User, *, now: dt.datetime | None = None) -> ErasurePreview:
    """What deleting this account now would do, shown before the person confirms."""
    moment = now or current_time()
    lessons = [
        LessonToCancel(booking, booking_services.actions_for(booking, user, now=moment).cancel.reason)
        for booking in booking_selectors.upcoming_lessons_of(user, now=moment)
    ]
    return ErasurePreview(lessons=lessons, credit_cents=credits.balance(user), blocker=_blocker(user, moment))


def _blocker(user: User, moment: dt.datetime) -> str:
    if user.erased_at is not None:
        return "This account is already deleted."
    if user.is_staff:
        return "Staff accounts are closed by another admin, after their access is handed over."
    if booking_selectors.lessons_in_progress(user, now=moment):
        return "A lesson of yours is happening now. You can delete your account once it has ended."
    return ""


def erase_account(*, user: User, actor: User, reason: str = "") -> int:
    """Delete `user`'s account as described above; `actor` is the person or a staff member.
    Returns how many lessons were cancelled."""
    moment = current_time()
    preview = erasure_preview(user, now=moment)
    if preview.blocker:
        raise ErasureRefused(preview.blocker)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one erasure at a time
        for lesson in preview.lessons:
            booking_services.cancel_booking(booking=lesson.booking, user=user, reason=CANCEL_REASON)
        instructor_services.close_profile(user)
        for card in cards_of(user):
            payment_services.remove_card(user=user, card=card)
        booking_services.forget_student_details(user)
        export_services.discard_exports(user=user)
        search_tracking.forget_searcher(user=user)  # search: history deleted, search events unlinked
        first_name = user.first_name
        email = account_services.anonymize_user(user, moment=moment)
        record_audit(
            actor=actor,
            action="erase_account",
            target=user,
            reason=reason,
            after={"lessons_cancelled": len(preview.lessons), "credit_given_up_cents": preview.credit_cents},
        )
        _say_goodbye(email, first_name)
    return len(preview.lessons)


def erase_own_account(*, user: User, password: str, code: str = "") -> int:
    """The person deletes their own account, after confirming it is them (refusals that don't
    depend on who asks come first, so they are not hidden behind a password check)."""
    if blocker := _blocker(user, current_time()):
        raise ErasureRefused(blocker)
    account_services.confirm_identity(user=user, password=password, code=code)
    return erase_account(user=user, actor=user)


def _say_goodbye(email: str, first_name: str) -> None:
    message = render_to_string("privacy/email/account_erased.txt", {"first_name": first_name})
    transaction.on_commit(
        lambda: send_mail(
            subject="Your InstaInstru account is deleted", message=message, from_email=None, recipient_list=[email]
        )
    )
