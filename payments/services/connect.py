"""Instructors' Stripe Connect Express accounts: onboarding, our copy of their state, and the one
rule of when an instructor may be paid out (used by the earnings page, the transfer step and the
`account.updated` webhook alike)."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from core.timeutil import now as current_time
from instructors.models import InstructorProfile

from ..errors import PaymentProviderUnavailable
from ..gateway import AccountResult, GatewayError, get_gateway, idempotency_key
from ..models import ConnectAccount, ConnectStatus

ACCOUNT_FIELDS = (
    "status",
    "payouts_enabled",
    "transfers_active",
    "details_submitted",
    "disabled_reason",
    "currently_due",
)


def connect_status(result: AccountResult) -> str:
    """Conservative: enabled only when Stripe says the account can take transfers and pay out now.
    A new account is "disabled" by Stripe until its details are in: that is onboarding not
    finished (pending); disabled after onboarding, or for any other reason, is restricted."""
    if result.ready_for_transfers:
        return ConnectStatus.ENABLED
    if result.disabled_reason and (result.details_submitted or not result.disabled_reason.startswith("requirements")):
        return ConnectStatus.RESTRICTED
    return ConnectStatus.PENDING


def _account_values(result: AccountResult) -> dict:
    return {
        "status": connect_status(result),
        "payouts_enabled": result.payouts_enabled,
        "transfers_active": result.transfers_active,
        "details_submitted": result.details_submitted,
        "disabled_reason": result.disabled_reason[:255],
        "currently_due": [str(item) for item in result.currently_due],
    }


def payout_hold_reason(account: ConnectAccount | None) -> str:
    """Why an instructor's payout waits ("" when it need not): no account, or one not enabled."""
    if account is None:
        return "The instructor has not connected a payout account yet."
    if not account.ready_for_payouts:
        return f"The instructor's payout account is {account.get_status_display().lower()}."
    return ""


STRIPE_SILENT = "Stripe is not answering right now. Please try again in a few minutes."


def start_connect_onboarding(*, profile: InstructorProfile) -> str:
    """The URL of Stripe's Express onboarding for this instructor, creating their Connect account
    on first use (one per instructor: the idempotency key and the one-to-one row see to it)."""
    try:
        return _onboarding_url(profile)
    except GatewayError as error:
        raise PaymentProviderUnavailable(STRIPE_SILENT) from error


def _onboarding_url(profile: InstructorProfile) -> str:
    gateway = get_gateway()
    account = ConnectAccount.objects.filter(instructor=profile).first()
    if account is None:
        result = gateway.create_connect_account(
            email=profile.user.email,
            instructor_id=profile.pk,
            idempotency_key=idempotency_key("connect_account", profile.pk),
        )
        account, _ = ConnectAccount.objects.get_or_create(
            instructor=profile,
            defaults={"account_id": result.id, **_account_values(result), "synced_at": current_time()},
        )
    link = gateway.create_account_link(
        account_id=account.account_id,
        refresh_url=settings.STRIPE_CONNECT_REFRESH_URL,
        return_url=settings.STRIPE_CONNECT_RETURN_URL,
    )
    return link.url


def sync_connect_account(*, account: ConnectAccount, result: AccountResult | None = None) -> ConnectAccount:
    """Bring our copy of a Connect account up to date from Stripe (the instructor came back from
    onboarding)."""
    try:
        result = result or get_gateway().retrieve_account(account_id=account.account_id)
    except GatewayError as error:
        raise PaymentProviderUnavailable(
            "Thanks. Stripe is still processing your details; try again shortly."
        ) from error
    with transaction.atomic():
        account = ConnectAccount.objects.select_for_update().get(pk=account.pk)
        apply_account_state(account, result, at=current_time())
    return account


def apply_account_state(account: ConnectAccount, result: AccountResult, *, at: dt.datetime) -> None:
    """Write Stripe's view of the account (`account` locked by the caller)."""
    for name, value in _account_values(result).items():
        setattr(account, name, value)
    account.synced_at = at
    account.save(update_fields=[*ACCOUNT_FIELDS, "synced_at", "updated_at"])
