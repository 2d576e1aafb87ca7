"""Retention: personal data is kept no longer than its purpose needs. One nightly sweep (a beat
task) applies the periods in settings.RETENTION_DAYS; docs/decisions.md has the table of what
is kept how long, and why. Each step is a service of the app that owns the data, safe to rerun."""

import datetime as dt
import logging

from django.conf import settings

from accounts import services as account_services
from core.timeutil import now as current_time
from payments import services as payment_services
from search import history as search_history
from search import tracking as search_tracking

log = logging.getLogger("privacy.retention")


def apply_retention(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every retention step; returns how many rows each touched (logged for operations)."""
    moment = now or current_time()
    days = settings.RETENTION_DAYS
    done = {
        "webhook_payloads_scrubbed": payment_services.scrub_webhook_payloads(
            received_before=moment - dt.timedelta(days=days["webhook_payloads"]), moment=moment
        ),
        "ended_sessions_forgotten": account_services.forget_ended_sessions(),
        "search_history_deleted": search_history.delete_stale_history(
            searched_before=moment - dt.timedelta(days=days["search_history"])
        ),
        "search_events_deleted": search_tracking.delete_old_searches(
            made_before=moment - dt.timedelta(days=days["search_events"])
        ),
    }
    log.info("retention applied: %s", done)
    return done
