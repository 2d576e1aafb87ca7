"""Celery beat tasks for bookings: thin wrappers around the services.

Each task takes no arguments (it sweeps whatever is due "now"), calls one service and returns
how many bookings it changed. The services re-check every row under `select_for_update
(skip_locked=True)`, so a task is safe to run twice, late, or concurrently with itself: a
second run finds nothing left to do and returns 0.

The schedules live in the database (django-celery-beat), created by the data migration
`bookings/0003_beat_schedules` (holds every minute, requests and completion every 5 minutes) and
`bookings/0005_unpaid_sweep_schedule` (unpaid lessons every minute).
"""

import logging

from celery import shared_task

from . import services

log = logging.getLogger(__name__)

# Sweeps are cheap and idempotent: acknowledge after running (a worker lost mid-task lets
# another run it again) and never let one hang past the next beat.
TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 50, "time_limit": 60}


@shared_task(name="bookings.tasks.release_expired_holds", **TASK_OPTIONS)
def release_expired_holds() -> int:
    """Free checkout holds whose time ran out, so the slot is bookable again."""
    count = services.release_expired_holds()
    log.info("release_expired_holds: released %d expired hold(s)", count)
    return count


@shared_task(name="bookings.tasks.expire_unanswered_requests", **TASK_OPTIONS)
def expire_unanswered_requests() -> int:
    """Requests the instructor did not answer before their deadline lapse and free the time."""
    count = services.expire_unanswered_requests()
    log.info("expire_unanswered_requests: expired %d unanswered request(s)", count)
    return count


@shared_task(name="bookings.tasks.complete_finished_lessons", **TASK_OPTIONS)
def complete_finished_lessons() -> int:
    """Confirmed lessons whose end has passed become completed."""
    count = services.complete_finished_lessons()
    log.info("complete_finished_lessons: completed %d lesson(s)", count)
    return count


@shared_task(name="bookings.tasks.cancel_unpaid_lessons", **TASK_OPTIONS)
def cancel_unpaid_lessons() -> int:
    """Confirmed lessons whose failed payment was not fixed by its deadline are cancelled."""
    count = services.cancel_unpaid_lessons()
    log.info("cancel_unpaid_lessons: cancelled %d unpaid lesson(s)", count)
    return count
