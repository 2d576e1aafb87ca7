"""Every change to accounts, by concern: `users` (sign-up, details, roles and permissions) and
`two_factor` (authenticator app and backup codes). The names other apps and the pages use are
gathered here."""

from .two_factor import (
    CodeRejected,
    TwoFactorRequired,
    confirm_enrolment,
    current_code,
    disable_two_factor,
    enrol_known_key,
    regenerate_backup_codes,
    staff_reset_two_factor,
    start_enrolment,
    trusted_browser_token,
    trusted_device,
    verify_second_step,
)
from .users import (
    USER_FIELDS,
    EmailTaken,
    register_user,
    role_names,
    set_extra_permissions,
    set_roles,
    staff_save_user,
    update_account,
)

__all__ = [
    "USER_FIELDS",
    "CodeRejected",
    "EmailTaken",
    "TwoFactorRequired",
    "confirm_enrolment",
    "current_code",
    "disable_two_factor",
    "enrol_known_key",
    "regenerate_backup_codes",
    "register_user",
    "role_names",
    "set_extra_permissions",
    "set_roles",
    "staff_reset_two_factor",
    "staff_save_user",
    "start_enrolment",
    "trusted_browser_token",
    "trusted_device",
    "update_account",
    "verify_second_step",
]
