from core.exceptions import Conflict, DomainError, InvalidInput


class PaymentError(DomainError):
    code = "payment_error"
    status = 400


class CardRequired(PaymentError, InvalidInput):
    code = "card_required"
    default_message = "Add a card to book: it is authorized the day before the lesson and charged after it."


class PaymentDeclined(PaymentError, Conflict):
    code = "payment_declined"
    status = 402
    default_message = "Your card was declined. Try another card."


class NotEnoughCredit(PaymentError, Conflict):
    code = "not_enough_credit"
    default_message = "There is not enough credit for that."


class RefundTooLarge(PaymentError, InvalidInput):
    code = "refund_too_large"
    default_message = "That is more than was charged."


class CardInUse(PaymentError, Conflict):
    code = "card_in_use"
    default_message = "This card still pays for upcoming lessons, so it can't be removed yet."
