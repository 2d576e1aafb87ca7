"""Emails about bookings that only the system decides (each person is addressed by first name;
the other person only ever by their public name)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Booking


def email_unpaid_cancellation(booking_id: str) -> None:
    """Both people hear that an unpaid lesson was cancelled automatically at its deadline."""
    booking = Booking.objects.select_related("student", "instructor__user").get(pk=booking_id)
    book_again = settings.SITE_URL.rstrip("/") + reverse("bookings:book", args=[booking.instructor_id])
    for recipient, other in ((booking.student, booking.instructor.user), (booking.instructor.user, booking.student)):
        send_mail(
            subject=f"Cancelled automatically: {booking.service_name} (the payment didn't go through)",
            message=render_to_string(
                "bookings/email/unpaid_cancelled.txt",
                {"booking": booking, "recipient": recipient, "other_name": other.public_name, "book_again": book_again},
            ),
            from_email=None,
            recipient_list=[recipient.email],
        )
