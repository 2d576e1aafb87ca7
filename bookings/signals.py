"""Booking signals for decoupled listeners, each sent after the transaction that changed the
booking commits. Listeners must not raise into the booking flow.

- `booking_event` (`booking_id`, `event`, one of EVENTS): what the two people should hear
  about; messaging posts it into their conversation.
- `booking_changed` (`booking_id`): any transition, or a decision recorded on the booking's
  payment; the payments app moves the money in a Celery task (its beat sweep is the guarantee,
  this only makes it prompt).
- `booking_page_viewed` (`request`, `profile_id`): a person opened the page to book this
  instructor (not its htmx partials); search analytics counts it as "booking started".
"""

from django.dispatch import Signal

EVENTS = ("booked", "requested", "confirmed", "declined", "expired", "cancelled", "rescheduled", "completed")

booking_event = Signal()
booking_changed = Signal()
booking_page_viewed = Signal()
