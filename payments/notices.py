"""Emails about payments. Addressed to the person themselves, so first names are fine; the
other person is only ever their public name."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from bookings.models import Booking


def _link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def email_payment_problem(booking_id: str) -> None:
    """The card could not be authorized: ask the student to authenticate or change card by the deadline."""
    booking = Booking.objects.select_related("student", "instructor__user", "payment").get(pk=booking_id)
    context = {
        "booking": booking,
        "student": booking.student,
        "instructor_name": booking.instructor.user.public_name,
        "payment": booking.payment,
        "link": _link("payments:fix_payment", booking.pk),
    }
    send_mail(
        subject=f"Action needed: your {booking.service_name} lesson isn't paid yet",
        message=render_to_string("payments/email/payment_problem.txt", context),
        from_email=None,
        recipient_list=[booking.student.email],
    )
