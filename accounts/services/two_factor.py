"""Two-factor sign-in: an authenticator app (django-otp's TOTPDevice) and single-use backup codes,
kept only as keyed hashes. Turning it on or off, using a backup code and a staff reset are
audited and emailed to the person (`accounts.notices`); `two_factor_changed` tells other apps
(an instructor's profile goes live only with it on)."""

import math
import secrets
from binascii import unhexlify

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import ratelimit
from core.exceptions import Conflict, InvalidInput, RateLimited
from core.services import record_audit
from core.timeutil import now

from .. import notices, selectors
from ..models import BackupCode, User
from ..signals import two_factor_changed

BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
BACKUP_LENGTH = 10
TRUST_SALT = "accounts.trusted-browser"


class CodeRejected(InvalidInput):
    code = "code_rejected"
    default_message = "That code didn't work. Enter the 6-digit code your app shows now, or one of your backup codes."


class TwoFactorRequired(Conflict):
    code = "two_factor_required"
    default_message = "Staff accounts keep two-factor sign-in on. Another admin can reset it if your phone is lost."


def start_enrolment(*, user: User) -> TOTPDevice:
    """The authenticator to set up: the same unconfirmed one until it is confirmed, so reloading
    the page shows the same QR code."""
    if selectors.authenticator(user) is not None:
        raise Conflict("Two-factor sign-in is already on.", code="two_factor_on")
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Authenticator app"})
    return device


def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the app shows a right code; returns the backup codes (to
    show once). The code is checked outside the transaction: a wrong one must still count
    towards django-otp's throttle."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise Conflict("Two-factor sign-in is already on, or its set-up ran out: open it again.", code="no_enrolment")
    _check_totp(device, code)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_backup_codes(user)
        record_audit(actor=user, action="enable_2fa", target=user, after={"two_factor": True})
    _announce(user, "enabled")
    return codes


def enrol_known_key(*, user: User, key_hex: str) -> TOTPDevice:
    """Two-factor sign-in on with a key that is already known (the printed demo key, tests):
    no code to confirm, no backup codes, nothing emailed."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", key=key_hex, confirmed=True)
    two_factor_changed.send(sender=User, user=user, enabled=True)
    return device


def verify_second_step(*, user: User, code: str) -> tuple[TOTPDevice, bool]:
    """The sign-in's second step: a code from the app or an unused backup code. Returns the device
    the session is verified with and whether a backup code was spent (emailed and audited)."""
    device = selectors.authenticator(user)
    if device is None:
        raise CodeRejected()
    text = _normalized(code)
    if text.isdigit():
        _check_totp(device, text)
        return device, False
    if not _spend_backup_code(user, text):
        raise CodeRejected()
    record_audit(actor=user, action="use_backup_code", target=user, after={"left": selectors.backup_codes_left(user)})
    notices.email_backup_code_used(user)
    return device, True


@transaction.atomic
def regenerate_backup_codes(*, user: User) -> list[str]:
    """New backup codes; the old ones stop working."""
    if selectors.authenticator(user) is None:
        raise Conflict("Turn on two-factor sign-in first.", code="two_factor_off")
    codes = _replace_backup_codes(user)
    record_audit(actor=user, action="regenerate_backup_codes", target=user)
    return codes


def disable_two_factor(*, user: User, code: str) -> None:
    """The person turns it off, with a current code. Staff cannot: they must have it."""
    if selectors.two_factor_required(user):
        raise TwoFactorRequired()
    verify_second_step(user=user, code=code)
    _remove_two_factor(user, actor=user, action="disable_2fa")


def confirm_identity(*, user: User, password: str, code: str) -> None:
    """Before something that cannot be undone (deleting the account): the password, and a code
    when two-factor sign-in is on. Wrong ones count against the person's code limit, so this
    cannot be used to guess either."""
    ratelimit.enforce("login_code", user.pk, count=False)
    try:
        if not user.check_password(password):
            raise InvalidInput("That is not your password.", fields={"password": "That is not your password."})
        if selectors.has_two_factor(user):
            verify_second_step(user=user, code=code)
    except (InvalidInput, RateLimited):
        ratelimit.check("login_code", user.pk)
        raise


def staff_reset_two_factor(*, user: User, actor: User, reason: str) -> None:
    """Staff remove a person's two-factor sign-in (a lost phone): they set it up again at their
    next sign-in if they must have it. Audited with the reason."""
    if not reason.strip():
        raise InvalidInput(
            "Say why (for example: lost phone, identity checked by a call).", fields={"reason": "Required."}
        )
    _remove_two_factor(user, actor=actor, action="reset_2fa", reason=reason)


def trusted_browser_token(device: TOTPDevice) -> str:
    """The cookie value that lets this browser skip the code for TWO_FACTOR_TRUST_DAYS. It names
    the device and its key, so turning two-factor off (or a reset) ends every trust at once."""
    return signing.dumps({"device": device.pk, "key": _key_fingerprint(device)}, salt=TRUST_SALT)


def trusted_device(user: User, token: str | None) -> TOTPDevice | None:
    """The device a trusted-browser cookie vouches for, if it is still good for `user`."""
    if not token or not selectors.may_trust_browser(user):
        return None
    try:
        claim = signing.loads(token, salt=TRUST_SALT, max_age=settings.TWO_FACTOR_TRUST_DAYS * 24 * 3600)
    except signing.BadSignature:
        return None
    device = selectors.authenticator(user)
    if device is None or not isinstance(claim, dict) or claim.get("device") != device.pk:
        return None
    return device if claim.get("key") == _key_fingerprint(device) else None


def current_code(key_hex: str) -> str:
    """The code an authenticator app shows now for `key_hex` (the demo's printed key)."""
    totp = TOTP(unhexlify(key_hex.encode()))
    return f"{totp.token():06d}"


def _check_totp(device: TOTPDevice, code: str) -> None:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = max(1, math.ceil((details["locked_until"] - now()).total_seconds())) if details else 1
        message = f"Please wait {ratelimit.wait_in_words(wait)} before trying another code."
        raise RateLimited(message, retry_after=wait)
    if not device.verify_token(_normalized(code)):
        raise CodeRejected()


def _remove_two_factor(user: User, *, actor: User, action: str, reason: str = "") -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCode.objects.filter(user=user).delete()
        record_audit(actor=actor, action=action, target=user, reason=reason, before={"two_factor": True})
    _announce(user, "reset" if action == "reset_2fa" else "disabled")


def _announce(user: User, change: str) -> None:
    two_factor_changed.send(sender=User, user=user, enabled=change == "enabled")
    notices.email_two_factor_changed(user, change)


def _replace_backup_codes(user: User) -> list[str]:
    BackupCode.objects.filter(user=user).delete()
    codes = [
        "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(BACKUP_LENGTH))
        for _ in range(settings.BACKUP_CODE_COUNT)
    ]
    BackupCode.objects.bulk_create(BackupCode(user=user, code_hash=_backup_hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _spend_backup_code(user: User, text: str) -> bool:
    """One use only, even for two requests at once (the UPDATE decides)."""
    return (
        BackupCode.objects.filter(user=user, code_hash=_backup_hash(text), used_at__isnull=True).update(used_at=now())
        == 1
    )


def _backup_hash(code: str) -> str:
    # A keyed hash: the codes are random (50 bits), so a stolen table alone gives nothing to try.
    return salted_hmac("accounts.backup-code", code, algorithm="sha256").hexdigest()


def _key_fingerprint(device: TOTPDevice) -> str:
    return salted_hmac(TRUST_SALT, device.key, algorithm="sha256").hexdigest()[:16]


def _normalized(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()[:32]
