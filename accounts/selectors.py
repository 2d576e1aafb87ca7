"""Reads about accounts: two-factor state, roles."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


def authenticator(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if two-factor sign-in is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return user.backup_codes.filter(used_at__isnull=True).count()


def two_factor_required(user: User) -> bool:
    """Staff must sign in with two factors (instructors need it to go live: instructors' rule)."""
    return user.is_staff


def may_trust_browser(user: User) -> bool:
    """Whether the code step may be skipped on a browser the person trusts. Never for staff:
    the operations console asks every session."""
    return not two_factor_required(user)
