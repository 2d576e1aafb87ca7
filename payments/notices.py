"""Emails about payments. Addressed to the person themselves, so first names are fine; the
other person is only ever their public name."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from bookings.models import Booking


def _link(name: str, *args) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=args)
    except NoReverseMatch:  # the page lands with the payments pages
        return settings.SITE_URL + reverse("bookings:detail", args=args)


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


def email_unpaid_cancellation(booking_id: str) -> None:
    """Both sides hear that an unpaid lesson was cancelled at the deadline."""
    booking = Booking.objects.select_related("student", "instructor__user").get(pk=booking_id)
    for recipient, other in ((booking.student, booking.instructor.user), (booking.instructor.user, booking.student)):
        send_mail(
            subject=f"Cancelled: {booking.service_name} (payment not completed)",
            message=render_to_string(
                "payments/email/unpaid_cancelled.txt",
                {"booking": booking, "recipient": recipient, "other_name": other.public_name},
            ),
            from_email=None,
            recipient_list=[recipient.email],
        )
