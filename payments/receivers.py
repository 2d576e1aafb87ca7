"""Decoupled listener: when a booking changes (bookings.signals.booking_changed, sent after its
transaction commits), queue a task that moves its money on. Connected in PaymentsConfig.ready.

The request that changed the booking never waits on Stripe: the task runs on a worker. If the
broker cannot take the task, nothing is lost: the beat sweep (every minute) takes the same steps.
"""

from django.dispatch import receiver

from bookings.signals import booking_changed
from core.circuit import CircuitBreaker

from .tasks import advance_booking_payment

# A dead broker costs one connection timeout per cool-down, not one per request.
broker_breaker = CircuitBreaker("celery broker", cooldown_seconds=30)


@receiver(booking_changed, dispatch_uid="payments.booking_changed")
def queue_payment_steps(sender, *, booking_id: str, **kwargs) -> None:
    if broker_breaker.is_open:
        return  # the beat sweep moves the money within a minute
    try:
        advance_booking_payment.apply_async(args=[booking_id], retry=False)
    except Exception as error:  # the broker is down: the beat sweep moves the money within a minute
        broker_breaker.record_failure(error)
