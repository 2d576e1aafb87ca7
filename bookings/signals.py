"""Booking signals for decoupled listeners, each sent after the transaction that changed the
booking commits. Listeners must not raise into the booking flow.

- `booking_event` (`booking_id`, `event`, one of EVENTS): what the two people should hear
  about; messaging posts it into their conversation.
- `booking_changed` (`booking_id`): any transition, or a decision recorded on the booking's
  payment; the payments app moves the money in a Celery task (its beat sweep is the guarantee,
  this only makes it prompt).
- `booking_started` (`request`, `profile_id`): a student held a time with this instructor and
  went to checkout (sent from the view, which has the request); search analytics counts it.
"""

from django.dispatch import Signal

EVENTS = ("booked", "requested", "confirmed", "declined", "expired", "cancelled", "rescheduled", "completed")

booking_event = Signal()
booking_changed = Signal()
booking_started = Signal()
