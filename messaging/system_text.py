"""The words of booking system messages. Times are in the instructor's zone with its name,
since both people read the same message."""

from zoneinfo import ZoneInfo

from django.utils import timezone

from bookings.models import Booking

TEMPLATES = {
    "booked": "{student} booked {service} on {when}.",
    "requested": "{student} asked to book {service} on {when}. {instructor} can accept or decline.",
    "confirmed": "{service} on {when} is confirmed.",
    "declined": "{instructor} couldn't take {service} on {when}.",
    "expired": "The request for {service} on {when} expired without an answer.",
    "cancelled": "{service} on {when} was cancelled.",
    "rescheduled": "{service} moved to {when}.",
    "completed": "{service} on {when} is complete.",
}


def describe_booking_event(booking: Booking, event: str) -> str:
    local = timezone.localtime(booking.start_at, timezone=ZoneInfo(booking.instructor_timezone))
    when = f"{local:%a %b} {local.day}, {local:%I:%M %p} ({booking.instructor_timezone})".replace(" 0", " ")
    return TEMPLATES.get(event, "{service} on {when}: " + event + ".").format(
        student=booking.student.public_name,
        instructor=booking.instructor.user.public_name,
        service=booking.service_name,
        when=when,
    )
