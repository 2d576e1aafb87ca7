"""Payment domain errors (core.exceptions hierarchy): what pages and the API tell the student."""

from core.exceptions import Conflict, DomainError, InvalidInput


class PaymentError(DomainError):
    code = "payment_error"
    status = 400


class CardRequired(PaymentError, InvalidInput):
    code = "card_required"
    default_message = "Add a card to book: it is authorized the day before the lesson and charged after it."


class CardNotSaved(PaymentError, InvalidInput):
    """The bank refused the card when it was set up (`decline_code` in extra)."""

    code = "card_declined"
    status = 402
    default_message = "Your bank declined this card. Try another card."


class PaymentDeclined(PaymentError, Conflict):
    """An authorization was declined (`decline_code` in extra): choose or add another card."""

    code = "payment_declined"
    status = 402
    default_message = "Your card was declined. Try another card."


class AuthenticationNeeded(PaymentError, Conflict):
    """The bank wants the cardholder to confirm the payment (3-D Secure). With real Stripe keys
    `client_secret` (in extra) lets Stripe.js show the bank's check; then ask again."""

    code = "authentication_required"
    status = 402
    default_message = "Your bank wants you to confirm this payment."


class PaymentProviderUnavailable(PaymentError):
    code = "payment_provider_unavailable"
    status = 503
    default_message = "Card payments are not available right now. Please try again in a few minutes."


class NotEnoughCredit(PaymentError, Conflict):
    code = "not_enough_credit"
    status = 409
    default_message = "There is not enough credit for that."


class RefundTooLarge(PaymentError, InvalidInput):
    code = "refund_too_large"
    default_message = "That is more than was charged."


class CardInUse(PaymentError, Conflict):
    code = "card_in_use"
    status = 409
    default_message = "This card still pays for upcoming lessons, so it can't be removed yet."
