"""Forms of the payments pages. They parse input only; payments.services does the work."""

from django import forms

from instructors.models import LocationType

from .models import SavedCard
from .selectors import preselected_card

TEST_CARD_HINTS = (
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 3220", "asks you to confirm with your bank"),
    ("4000 0000 0000 0341", "saves, then every payment is declined"),
    ("4000 0025 0000 3155", "asks you to confirm with your bank when you're not there"),
    ("4000 0000 0000 0002", "is declined when you save it"),
    ("4000 0000 0000 9995", "is declined for insufficient funds when you save it"),
)
LOCATION_HELP = {
    LocationType.STUDENT_LOCATION: "Your instructor comes to you: add the address below.",
    LocationType.INSTRUCTOR_LOCATION: "You go to your instructor; they will tell you where.",
    LocationType.ONLINE: "A video lesson; no address needed.",
    LocationType.NEUTRAL_LOCATION: "A place you agree on, such as a library or a park; suggest one below.",
}
ADDRESS_PLACES = {LocationType.STUDENT_LOCATION, LocationType.NEUTRAL_LOCATION}


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
        """Offer `cards`, preselecting the default unless its last authorization failed."""
        self.cards = {card.payment_method_id: card for card in cards}
        self.choices = [(card.payment_method_id, card_label(card)) for card in cards]
        chosen = preselected_card(list(cards))
        self.initial = chosen.payment_method_id if chosen else None


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


class CheckoutForm(forms.Form):
    location_type = forms.ChoiceField(
        label="Where should the lesson happen?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the lesson happens.", "invalid_choice": "Choose one of the places."},
    )
    address = forms.CharField(
        label="Address",
        required=False,
        max_length=300,
        help_text="Needed when the lesson is at your place. Only your instructor sees it.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    note = forms.CharField(
        label="Note for your instructor",
        required=False,
        max_length=1000,
        help_text="Your level, what you would like to work on, how to find the door…",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    payment_method = CardChoiceField(label="Pay with")  # optional: empty means the preselected card

    def __init__(self, *args, location_types: list[str], chosen: str = "", cards=(), card_needed=True, **kwargs):
        super().__init__(*args, **kwargs)
        if card_needed:
            self.fields["payment_method"].set_cards(cards)
        else:
            del self.fields["payment_method"]  # platform credit covers the lesson
        labels = dict(LocationType.choices)
        self.fields["location_type"].choices = [(value, labels[value]) for value in location_types]
        self.fields["location_type"].initial = chosen if chosen in location_types else location_types[0]
        if not ADDRESS_PLACES.intersection(location_types):
            del self.fields["address"]  # online or at the instructor's: nothing to ask
        elif LocationType.STUDENT_LOCATION not in location_types:
            self.fields["address"].label = "Where to meet"
            self.fields["address"].help_text = "Suggest a place, such as a library or a park (optional)."

    def location_options(self):
        """The radio options with a line of help each, for the template's fieldset."""
        for option in self["location_type"]:
            yield option, LOCATION_HELP.get(option.data["value"], "")

    def card_options(self):
        """The saved cards as radio options, each with its SavedCard (payments/_card_choices.html)."""
        return list(card_options(self["payment_method"])) if "payment_method" in self.fields else []
