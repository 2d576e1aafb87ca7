"""Decoupled listener: booking events become system messages in the pair's conversation.
Connected in MessagingConfig.ready; runs after the booking's transaction commits."""

import logging

from django.dispatch import receiver

from bookings.models import Booking
from bookings.signals import booking_event

from .services import post_system_message
from .system_text import describe_booking_event

log = logging.getLogger("messaging")


@receiver(booking_event, dispatch_uid="messaging.booking_event")
def post_booking_event(sender, *, booking_id: str, event: str, **kwargs) -> None:
    booking = Booking.objects.select_related("student", "instructor__user").filter(pk=booking_id).first()
    if booking is None:
        return
    try:
        post_system_message(booking=booking, text=describe_booking_event(booking, event))
    except Exception:  # the booking already happened; a failed note must not break its flow
        log.exception("could not post the %s message for booking %s", event, booking_id)
