"""Every change to money, by concern: `cards` (customers and saved cards), `checkout` (paying for
a held time), `lifecycle` (the state machine that authorizes, captures, releases, refunds and pays
out), `connect` (instructors' payout accounts), `finance` (what staff do from the console),
`retention` (Stripe's events lose their personal fields after the retention period).

The names other apps and the pages use are gathered here.
"""

from .cards import (
    ensure_customer,
    remove_card,
    save_card,
    save_card_from_setup,
    save_test_card,
    set_default_card,
    start_card_setup,
)
from .checkout import checkout_booking, fix_payment, usable_credit
from .connect import connect_status, payout_hold_reason, start_connect_onboarding, sync_connect_account
from .finance import grant_credit, refund_booking, retry_payment, try_payout_again
from .lifecycle import (
    FINAL_STATUSES,
    advance_all,
    advance_payment,
    kept_cents,
    payments_to_advance,
)
from .retention import scrub_webhook_payloads

__all__ = [
    "FINAL_STATUSES",
    "advance_all",
    "advance_payment",
    "checkout_booking",
    "connect_status",
    "ensure_customer",
    "fix_payment",
    "grant_credit",
    "kept_cents",
    "payments_to_advance",
    "payout_hold_reason",
    "refund_booking",
    "remove_card",
    "retry_payment",
    "save_card",
    "save_card_from_setup",
    "save_test_card",
    "scrub_webhook_payloads",
    "set_default_card",
    "start_card_setup",
    "start_connect_onboarding",
    "sync_connect_account",
    "try_payout_again",
    "usable_credit",
]
