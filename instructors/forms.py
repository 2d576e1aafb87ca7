from django import forms

from core.money import dollars_to_cents

from .models import (
    LESSON_DURATIONS,
    MAX_YEARS_EXPERIENCE,
    AgeGroup,
    InstructorProfile,
    LocationType,
    Service,
    SkillLevel,
    all_age_groups,
    all_levels,
)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = InstructorProfile
        fields = ["headline", "bio", "years_experience"]
        labels = {"years_experience": "Years of teaching experience"}
        help_texts = {
            "headline": "One line students see first, e.g. “Jazz pianist teaching all ages in Brooklyn”.",
            "bio": "Your background, how you teach and who you love teaching.",
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 7})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["headline"].required = True
        self.fields["bio"].required = True
        self.fields["years_experience"].widget.attrs.update(min=0, max=MAX_YEARS_EXPERIENCE)


class ServiceAreasForm(forms.Form):
    neighborhoods = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=True,
        error_messages={"required": "Choose at least one neighborhood."},
    )

    def __init__(self, *args, boroughs, **kwargs):
        super().__init__(*args, **kwargs)
        self.boroughs = boroughs
        self.fields["neighborhoods"].choices = [(n.pk, n.name) for b in boroughs for n in b.neighborhoods.all()]


class OfferingForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.select_related("category"),
        to_field_name="slug",
        empty_label="Choose a service…",
    )
    hourly_rate = forms.DecimalField(
        label="Hourly rate (USD)",
        min_value=10,
        max_value=1000,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "1", "inputmode": "decimal"}),
        help_text="What a 60-minute lesson costs; other lengths are priced pro rata.",
    )
    durations = forms.TypedMultipleChoiceField(
        label="Lesson lengths",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        choices=[(minutes, f"{minutes} min") for minutes in LESSON_DURATIONS],
        error_messages={"required": "Choose at least one lesson length."},
    )
    location_types = forms.MultipleChoiceField(
        label="Where lessons happen",
        widget=forms.CheckboxSelectMultiple,
        choices=LocationType.choices,
        error_messages={"required": "Choose at least one place where lessons happen."},
    )
    # Both start fully ticked (the model's default): most instructors teach everyone, and an
    # instructor who doesn't unticks who they don't teach.
    age_groups = forms.MultipleChoiceField(
        label="Who is it for?",
        widget=forms.CheckboxSelectMultiple,
        choices=AgeGroup.choices,
        initial=all_age_groups,
        help_text="Untick the ages you don't teach: families search by age.",
        error_messages={"required": "Choose at least one age group."},
    )
    levels = forms.MultipleChoiceField(
        label="Levels you teach",
        widget=forms.CheckboxSelectMultiple,
        choices=SkillLevel.choices,
        initial=all_levels,
        help_text="Untick the levels you don't teach.",
        error_messages={"required": "Choose at least one level."},
    )
    description = forms.CharField(
        label="About this service (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["service"]  # an offering's service is fixed; remove it and add another instead
        else:
            self.fields["service"].choices = _services_grouped_by_category()

    def offering_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "hourly_rate_cents": dollars_to_cents(data["hourly_rate"]),
            "durations": data["durations"],
            "location_types": data["location_types"],
            "age_groups": data["age_groups"],
            "levels": data["levels"],
            "description": data["description"],
        }


def _services_grouped_by_category() -> list:
    groups: dict[str, list] = {}
    for service in Service.objects.select_related("category").order_by("category__position", "name"):
        groups.setdefault(service.category.name, []).append((service.slug, service.name))
    return [("", "Choose a service…"), *groups.items()]
