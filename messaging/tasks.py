import logging

from celery import shared_task

from . import services

log = logging.getLogger("messaging")


@shared_task(name="messaging.tasks.send_unread_notices", acks_late=True, soft_time_limit=50, time_limit=60)
def send_unread_notices() -> int:
    """Email people whose messages waited unread past the delay; one email per unread batch."""
    sent = services.send_unread_notices()
    log.info("unread notices sent: %s", sent)
    return sent
