"""Celery tasks for data exports: thin wrappers around privacy.services, safe to run twice.

`build_export` is queued when a request commits; `sweep_exports` (beat, every 5 minutes, from
the migration privacy/0002_beat_schedule) deletes expired files, builds requests whose task was
lost and fails builds that died half way; `apply_retention` (beat, daily) applies the retention
periods.

services imports this module to queue builds, and this module calls services: each only uses
the other at call time, so either may be imported first.
"""

import logging

from celery import shared_task

from . import retention, services

log = logging.getLogger("privacy")

TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 540, "time_limit": 600}


@shared_task(name="privacy.tasks.build_export", **TASK_OPTIONS)
def build_export(export_id: str) -> None:
    """Build one export's zip and email its link (nothing happens if it is already finished)."""
    services.build_export(export_id)


@shared_task(name="privacy.tasks.sweep_exports", **TASK_OPTIONS)
def sweep_exports() -> None:
    expired = services.expire_exports()
    built, failed = services.rescue_stale_exports()
    log.info("sweep_exports: %d expired, %d rescued, %d failed", expired, built, failed)


@shared_task(name="privacy.tasks.apply_retention", **TASK_OPTIONS)
def apply_retention() -> None:
    """Once a day: personal data past its retention period goes (privacy/retention.py)."""
    retention.apply_retention()
