"""Celery tasks for search analytics: thin wrappers around search.tracking, safe to run twice.

Queued by search.tracking after the request (or the booking's transaction) commits; each takes
plain values (instants as ISO 8601 strings) and writes at most once: the search event by its
id, an interaction by (search, kind, instructor).

tracking imports this module to queue tasks and this module calls tracking: each only uses the
other at call time, so either may be imported first.
"""

import datetime as dt
import logging

from celery import shared_task

from . import tracking

log = logging.getLogger("search")

TASK_OPTIONS = {"acks_late": True, "ignore_result": True, "soft_time_limit": 30, "time_limit": 60}
LATE_SEARCH_RETRIES = 3
LATE_SEARCH_RETRY_SECONDS = 20


@shared_task(name="search.tasks.record_search", **TASK_OPTIONS)
def record_search(*, at: str, **event) -> None:
    """Insert one search event and count it in the searcher's history."""
    tracking.save_search(at=dt.datetime.fromisoformat(at), **event)


@shared_task(
    bind=True,
    name="search.tasks.record_interaction",
    max_retries=LATE_SEARCH_RETRIES,
    default_retry_delay=LATE_SEARCH_RETRY_SECONDS,
    **TASK_OPTIONS,
)
def record_interaction(self, *, search_id: str, at: str, **step) -> None:
    """Record one step taken after a search. Its search may not be written yet (both are tasks):
    a recent one is waited for a little; a forged or long-missing one is skipped quietly."""
    try:
        tracking.save_interaction(search_id=search_id, at=dt.datetime.fromisoformat(at), **step)
    except tracking.SearchNotRecorded:
        if self.request.retries < LATE_SEARCH_RETRIES and tracking.may_still_arrive(search_id):
            raise self.retry() from None
        log.info("interaction for unknown search %s skipped", search_id)


@shared_task(name="search.tasks.record_booked", **TASK_OPTIONS)
def record_booked(*, booking_id: str) -> None:
    """Credit a confirmed booking to the search that started it (nothing when none did)."""
    tracking.save_booked(booking_id=booking_id)
