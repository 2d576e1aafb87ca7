"""The platform-credit ledger: signed cent amounts per user; a balance is a sum."""

from django.db import transaction
from django.db.models import Sum

from accounts.models import User

from .errors import NotEnoughCredit
from .models import CreditEntry, CreditReason


def balance(user: User) -> int:
    return CreditEntry.objects.filter(user=user).aggregate(total=Sum("amount_cents"))["total"] or 0


def _lock_ledger(user: User) -> None:
    """Serialise changes to one user's ledger: the user row is the lock."""
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def grant(*, user: User, amount_cents: int, reason: str, booking=None, note: str = "") -> CreditEntry:
    if amount_cents <= 0:
        raise ValueError("Credit grants are positive amounts")
    _lock_ledger(user)
    return CreditEntry.objects.create(user=user, amount_cents=amount_cents, reason=reason, booking=booking, note=note)


@transaction.atomic
def spend(*, user: User, amount_cents: int, booking, note: str = "") -> CreditEntry:
    """Use credit for a lesson; the balance never goes below zero."""
    if amount_cents <= 0:
        raise ValueError("Spend a positive amount")
    _lock_ledger(user)
    if balance(user) < amount_cents:
        raise NotEnoughCredit()
    return CreditEntry.objects.create(
        user=user, amount_cents=-amount_cents, reason=CreditReason.APPLIED, booking=booking, note=note
    )
