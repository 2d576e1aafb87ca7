"""Booking domain errors (core.exceptions hierarchy): a code, a message, extra data."""

from core.exceptions import Conflict, DomainError, InvalidInput, NotFound


class BookingError(DomainError):
    code = "booking_error"
    status = 400


class SlotUnavailable(BookingError, Conflict):
    code = "slot_unavailable"
    status = 409
    default_message = "Sorry, that time was just taken. Please pick another."


class StudentBusy(BookingError, Conflict):
    code = "student_busy"
    status = 409
    default_message = "You already have a lesson at that time."


class OutsideAvailability(BookingError, Conflict):
    code = "outside_availability"
    status = 409
    default_message = "The instructor is not available at that time."


class OutsideBookingWindow(BookingError, InvalidInput):
    code = "outside_booking_window"
    status = 400


class InvalidOption(BookingError, InvalidInput):
    code = "invalid_option"
    status = 400


class DayFull(BookingError, Conflict):
    code = "day_full"
    status = 409
    default_message = "The instructor has no more lessons free that day."


class PolicyViolation(BookingError, Conflict):
    code = "policy_violation"
    status = 409


class InvalidTransition(BookingError, Conflict):
    code = "invalid_transition"
    status = 409
    default_message = "This booking can no longer be changed that way."


class HoldExpired(BookingError, Conflict):
    code = "hold_expired"
    status = 409
    default_message = "Your hold on this time ran out. Please pick the time again."


class BookingNotFound(BookingError, NotFound):
    code = "not_found"
    status = 404
    default_message = "No such booking."


class PaymentNotSecured(BookingError, Conflict):
    code = "payment_not_secured"
    status = 409
    default_message = "The payment for this lesson isn't secured yet: choose a card that goes through."
