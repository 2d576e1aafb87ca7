"""Booking events for decoupled listeners (messaging posts them into the conversation).

`booking_event` is sent after the transaction that changed the booking commits, with
`booking_id` and `event` (one of EVENTS). Listeners must not raise into the booking flow.
"""

from django.dispatch import Signal

EVENTS = ("booked", "requested", "confirmed", "declined", "cancelled", "rescheduled", "completed")

booking_event = Signal()
