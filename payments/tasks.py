"""Celery beat task for payments: a thin wrapper around `payments.services.advance_all`.

One sweep every minute takes every due step of every unfinished payment: authorize cards at T-24h,
capture 24 hours after the lesson, transfer captured lessons' payouts, chase and cancel unpaid
lessons at their deadline, and resolve late-reschedule locks. The service locks each payment row
(`select_for_update`) and derives every Stripe idempotency key from the booking and the step, so
the task is safe to run twice, late, or concurrently with itself.

The schedule lives in the database (django-celery-beat), created by the data migration
`payments/0003_beat_schedules`.
"""

import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)

# Acknowledge after running (a worker lost mid-sweep lets another run it again; every step is
# idempotent). Longer limits than the bookings sweeps: one payment step may wait on Stripe for a
# timeout plus the SDK's retry, and a sweep cut short at the soft limit would redo the same first
# payments every minute. A run cut short loses nothing: each step commits on its own.
TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 240, "time_limit": 270}


@shared_task(name="payments.tasks.advance_payments", **TASK_OPTIONS)
def advance_payments() -> int:
    """Move every payment on by whatever steps are due now; returns how many steps were taken."""
    count = services.advance_all()
    log.info("advance_payments: took %d payment step(s)", count)
    return count
