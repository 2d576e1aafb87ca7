"""Decoupled listeners, connected in SearchConfig.ready:

- sign-in (`user_logged_in`): the browser's anonymous search history becomes the account's, and
  its searches of the last day are claimed for the funnel (search.history, search.tracking);
- a profile page shown or a time held (`instructors.signals.profile_viewed`,
  `bookings.signals.booking_started`, a time held): a step of the search that led there;
- a confirmed booking (`bookings.signals.booking_event`, sent after its transaction commits):
  queue the task that credits the search which led to it.

Neither may break the flow it listens to: a failure is logged, never raised.
"""

import logging

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from bookings.signals import booking_event, booking_started
from instructors.signals import profile_viewed

from . import history, tracking
from .visitor import visitor_id

log = logging.getLogger("search")

# "booked": confirmed at checkout; "confirmed": a request the instructor accepted.
CONFIRMED_EVENTS = frozenset({"booked", "confirmed"})


@receiver(user_logged_in, dispatch_uid="search.merge_visitor_history")
def merge_visitor_searches(sender, request, user, **kwargs) -> None:
    visitor = visitor_id(request) if request is not None else ""
    if not visitor:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the sign-in's transaction usable
            history.merge_visitor_history(visitor_id=visitor, user=user)
            tracking.claim_visitor_searches(visitor_id=visitor, user=user)
    except Exception:  # the person is signed in either way; their old searches just stay anonymous
        log.exception("could not merge visitor %s's searches at sign-in", visitor)


@receiver(booking_event, dispatch_uid="search.booking_event")
def credit_search_for_booking(sender, *, booking_id: str, event: str, **kwargs) -> None:
    if event in CONFIRMED_EVENTS:
        tracking.track_booking(booking_id)


@receiver(profile_viewed, dispatch_uid="search.profile_viewed")
def note_profile_view(sender, *, request, profile_id: str, **kwargs) -> None:
    tracking.note_profile_view(request, profile_id)


@receiver(booking_started, dispatch_uid="search.booking_started")
def note_booking_started(sender, *, request, profile_id: str, **kwargs) -> None:
    tracking.note_booking_started(request, profile_id)
