"""Students' Stripe customers and saved cards.

A card is verified by the bank when it is saved (a confirmed SetupIntent, or the bank's check when
Stripe attaches it), so a card that can never pay is refused at the form with the bank's reason.
One row per card: Stripe gives each save a new payment method, but the card's fingerprint stays the
same, so saving a card again updates its row (and the lessons waiting to be paid with it).
"""

import logging
import secrets

from django.db import transaction

from accounts.models import User
from bookings.models import BookingPayment, BookingStatus, PaymentStatus
from core import ratelimit
from core.exceptions import InvalidInput

from .. import simulated
from ..errors import CardInUse, CardNotSaved, PaymentProviderUnavailable
from ..gateway import CardDeclined, GatewayError, TransientGatewayError, get_gateway, idempotency_key
from ..models import SavedCard, StripeCustomer
from ..selectors import lessons_waiting_on_card

log = logging.getLogger("payments")

# Payments that will still be authorized with the card they name.
WAITING = (PaymentStatus.PENDING, PaymentStatus.ACTION_REQUIRED, PaymentStatus.FAILED)


def ensure_customer(user: User) -> str:
    existing = StripeCustomer.objects.filter(user=user).values_list("customer_id", flat=True).first()
    if existing:
        return existing
    try:
        customer = get_gateway().create_customer(
            email=user.email,
            name=user.get_full_name(),
            user_id=user.pk,
            idempotency_key=idempotency_key("customer", user.pk),
        )
    except TransientGatewayError as error:
        raise PaymentProviderUnavailable() from error
    StripeCustomer.objects.get_or_create(user=user, defaults={"customer_id": customer.id})
    return StripeCustomer.objects.get(user=user).customer_id


def save_card(*, user: User, payment_method_id: str, make_default: bool = False) -> SavedCard:
    """Attach a card (set up for off-session use) to the user's customer and keep it: the bank
    checks it now (CardNotSaved with its reason when it refuses)."""
    try:
        customer_id = ensure_customer(user)
        details = get_gateway().attach_payment_method(customer_id=customer_id, payment_method_id=payment_method_id)
    except CardDeclined as error:
        raise _not_saved(error) from error
    except TransientGatewayError as error:
        raise PaymentProviderUnavailable() from error
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one card change per user at a time
        card = (
            SavedCard.objects.filter(user=user, fingerprint=details.fingerprint).first()
            if details.fingerprint
            else None
        )
        if card is None:
            card = SavedCard.objects.create(
                user=user,
                payment_method_id=details.payment_method_id,
                fingerprint=details.fingerprint,
                brand=details.brand,
                last4=details.last4,
                exp_month=details.exp_month,
                exp_year=details.exp_year,
                is_default=not SavedCard.objects.filter(user=user).exists(),
            )
        elif card.payment_method_id != details.payment_method_id:
            _replace_payment_method(card, details)
        if make_default and not card.is_default:
            set_default_card(user=user, card=card)
            card.refresh_from_db()
    return card


def _not_saved(error: CardDeclined) -> CardNotSaved:
    """The bank's reason, on the form's card number field where there is one."""
    message = f"Your bank declined this card: {error.message}" if error.message else None
    return CardNotSaved(message, decline_code=error.decline_code or error.code, fields={"number": message})


def _replace_payment_method(card: SavedCard, details) -> None:
    """The same card saved again: the newest payment method (new expiry, a bank's fresh check)
    replaces the old one, also on lessons still to be authorized with it."""
    old = card.payment_method_id
    card.payment_method_id = details.payment_method_id
    card.brand, card.last4, card.exp_month, card.exp_year = (
        details.brand,
        details.last4,
        details.exp_month,
        details.exp_year,
    )
    card.last_failed_at, card.last_failure = None, ""
    card.save(
        update_fields=[
            "payment_method_id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "last_failed_at",
            "last_failure",
            "updated_at",
        ]
    )
    BookingPayment.objects.filter(
        booking__student_id=card.user_id,
        payment_method_id=old,
        status__in=WAITING,
        booking__status__in=[BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED],
    ).update(payment_method_id=details.payment_method_id)
    transaction.on_commit(lambda: _detach_quietly(old))


def _detach_quietly(payment_method_id: str) -> None:
    try:
        get_gateway().detach_payment_method(payment_method_id=payment_method_id)
    except GatewayError:  # Stripe keeps an unused payment method: harmless, nothing pays with it
        log.warning("could not detach replaced payment method %s", payment_method_id)


def start_card_setup(*, user: User) -> tuple[str, str]:
    """A SetupIntent (usage=off_session) for Stripe.js to confirm in the browser: (id, client secret).
    Each one is a card attempt (the bank checks the card when Stripe.js confirms it)."""
    ratelimit.enforce_money_path("card_save", user)
    try:
        setup = get_gateway().create_setup_intent(
            customer_id=ensure_customer(user),
            idempotency_key=idempotency_key("setup_intent", user.pk, secrets.token_urlsafe(12)),
        )
    except GatewayError as error:
        raise PaymentProviderUnavailable() from error
    return setup.id, setup.client_secret


def save_card_from_setup(*, user: User, setup_intent_id: str, make_default: bool = False) -> SavedCard:
    """Stripe.js confirmed a SetupIntent (the bank checked the card): keep the card it set up."""
    try:
        result = get_gateway().retrieve_setup_intent(setup_intent_id=setup_intent_id)
    except GatewayError as error:
        raise PaymentProviderUnavailable() from error
    if result.status != "succeeded" or not result.payment_method_id:
        raise CardNotSaved("Your bank did not confirm the card. Try again, or use another card.")
    return save_card(user=user, payment_method_id=result.payment_method_id, make_default=make_default)


def save_test_card(*, user: User, number: str, make_default: bool = False) -> SavedCard:
    """Test mode: the card form takes Stripe's test numbers; a SetupIntent is confirmed the way
    Stripe.js would, so the bank's check happens here just as with real keys."""
    ratelimit.enforce_money_path("card_save", user)
    try:
        payment_method_id = simulated.payment_method_for_card_number(number)
    except GatewayError as error:  # not one of Stripe's test numbers
        raise InvalidInput(error.message, fields={"number": error.message}) from error
    try:
        setup = get_gateway().create_setup_intent(
            customer_id=ensure_customer(user),
            idempotency_key=idempotency_key("setup_intent", user.pk, secrets.token_urlsafe(12)),
        )
        result = simulated.confirm_setup_intent(setup.id, payment_method_id)
    except CardDeclined as error:
        raise _not_saved(error) from error
    except TransientGatewayError as error:
        raise PaymentProviderUnavailable() from error
    return save_card(user=user, payment_method_id=result.payment_method_id, make_default=make_default)


@transaction.atomic
def set_default_card(*, user: User, card: SavedCard) -> None:
    SavedCard.objects.filter(user=user, is_default=True).exclude(pk=card.pk).update(is_default=False)
    SavedCard.objects.filter(pk=card.pk, user=user).update(is_default=True)


@transaction.atomic
def remove_card(*, user: User, card: SavedCard) -> None:
    """Detach a card; one that upcoming lessons will be authorized on stays until they are."""
    if lessons_waiting_on_card(card):
        raise CardInUse(f"{card} still pays for upcoming lessons, so it can't be removed yet.")
    try:
        get_gateway().detach_payment_method(payment_method_id=card.payment_method_id)
    except GatewayError as error:
        raise PaymentProviderUnavailable() from error
    was_default = card.is_default
    card.delete()
    newest = SavedCard.objects.filter(user=user).order_by("-created_at").first()
    if was_default and newest is not None:
        set_default_card(user=user, card=newest)
