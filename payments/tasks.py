"""Celery tasks for payments: thin wrappers around `payments.services.lifecycle`.

`advance_payments` (beat, every minute) takes every due step of every unfinished payment:
authorize cards at T-24h, capture 24 hours after the lesson, transfer captured lessons' payouts,
release what a cancelled lesson held, and resolve late-reschedule locks. `advance_booking_payment`
does the same for one booking as soon as it changes (queued by payments.receivers), so a cancel
releases the hold in seconds without the page waiting on Stripe. Each step locks its payment row
(`select_for_update`) and derives every Stripe idempotency key from the booking and the step, so
the tasks are safe to run twice, late, or concurrently with each other.

The schedule lives in the database (django-celery-beat), created by the data migration
`payments/0003_beat_schedules`.
"""

import logging

from celery import shared_task

from .services import lifecycle

log = logging.getLogger(__name__)

# Acknowledge after running (a worker lost mid-sweep lets another run it again; every step is
# idempotent). Longer limits than the bookings sweeps: one payment step may wait on Stripe for a
# timeout plus the SDK's retry, and a sweep cut short at the soft limit would redo the same first
# payments every minute. A run cut short loses nothing: each step commits on its own.
TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 240, "time_limit": 270}


@shared_task(name="payments.tasks.advance_payments", **TASK_OPTIONS)
def advance_payments() -> int:
    """Move every payment on by whatever steps are due now; returns how many steps were taken."""
    count = lifecycle.advance_all()
    log.info("advance_payments: took %d payment step(s)", count)
    return count


@shared_task(name="payments.tasks.advance_booking_payment", **TASK_OPTIONS)
def advance_booking_payment(booking_id: str) -> list[str]:
    """Take the steps one booking's payment is due for now (a booking just changed)."""
    payment_id = lifecycle.payment_of(booking_id)
    if payment_id is None:
        return []
    try:
        return lifecycle.advance_payment(payment_id)
    except Exception:  # logged for staff; the beat sweep tries again within a minute
        log.exception("payment %s: could not advance", payment_id)
        return []
