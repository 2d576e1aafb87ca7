"""Forms of the payments pages. They parse input only; payments.services does the work."""

from django import forms

from .models import SavedCard

TEST_CARD_HINTS = (
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0025 0000 3155", "asks you to confirm with your bank"),
    ("4000 0000 0000 9995", "is declined for insufficient funds"),
)


def card_label(card: SavedCard) -> str:
    """ "Visa ending 4242, expires 12/2029"."""
    return f"{card.brand.title()} ending {card.last4}, expires {card.exp_month:02d}/{card.exp_year}"


class CardChoiceField(forms.ChoiceField):
    """A radio list of the user's saved cards, by their Stripe payment method id. Optional: an
    empty answer means "my default card", and the service has the last word."""

    widget = forms.RadioSelect

    def __init__(self, *, cards=(), **kwargs):
        kwargs.setdefault("label", "Pay with")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.set_cards(cards)

    def set_cards(self, cards) -> None:
        self.cards = {card.payment_method_id: card for card in cards}
        self.choices = [(card.payment_method_id, card_label(card)) for card in cards]
        default = next((card for card in cards if card.is_default), None)
        self.initial = default.payment_method_id if default else None


def card_options(bound_field):
    """The radio options of a CardChoiceField with their SavedCard, for templates."""
    cards = bound_field.field.cards
    for option in bound_field:
        yield option, cards.get(option.data["value"])


class AddTestCardForm(forms.Form):
    """Test mode only: Stripe's test card numbers typed in (real card numbers never reach us:
    with real keys the card is entered into Stripe's own field)."""

    number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "4242 4242 4242 4242"}
        ),
        error_messages={"required": "Type one of the test card numbers below."},
    )
    make_default = forms.BooleanField(label="Use this card for my next bookings", required=False)


class AddCardForm(forms.Form):
    """With real keys: Stripe.js confirmed the SetupIntent in the browser; we get its id."""

    setup_intent = forms.CharField(max_length=255)
    make_default = forms.BooleanField(label="Use this card for my next bookings", required=False)


class ChooseCardForm(forms.Form):
    """The re-authentication page: pay with another saved card."""

    payment_method = CardChoiceField(label="Pay with", required=True, error_messages={"required": "Choose a card."})

    def __init__(self, *args, cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].set_cards(cards)
