"""One filterset for instructor listings, shared by the HTML service page and the API."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.money import dollars_to_cents

from . import selectors
from .models import Borough, LocationType, Service

SORT_CHOICES = [
    ("recommended", "Recommended"),
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("experience", "Most experienced"),
]


@extend_schema_field(OpenApiTypes.STR)
class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    """A model chosen by its slug (documented as a plain string in the API schema)."""

    def __init__(self, **kwargs):
        super().__init__(to_field_name="slug", **kwargs)


class PriceRangeFilterSet(django_filters.FilterSet):
    """An hourly price range in whole dollars, min no more than max, whose other filters are all
    applied together elsewhere (`noop`): the base of the listing filter and the search filter."""

    price_min = django_filters.NumberFilter(
        method="noop", min_value=0, max_value=10_000, label="Min $/hr", help_text="Lowest hourly rate, whole dollars."
    )
    price_max = django_filters.NumberFilter(
        method="noop", min_value=0, max_value=10_000, label="Max $/hr", help_text="Highest hourly rate, whole dollars."
    )

    def noop(self, queryset, name, value):
        return queryset

    def is_valid(self):
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.form.add_error("price_max", forms.ValidationError("Max must be at least the min.", code="invalid"))
            return False
        return valid


class InstructorFilter(PriceRangeFilterSet):
    service = SlugChoiceFilter(
        queryset=Service.objects.all(),
        method="noop",
        label="Service",
        help_text="Service slug, e.g. piano.",
    )
    location_type = django_filters.ChoiceFilter(
        choices=LocationType.choices, method="noop", label="Lesson location", empty_label="Any location"
    )
    borough = SlugChoiceFilter(
        queryset=Borough.objects.all(), method="noop", label="Borough", empty_label="Any borough"
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="noop", label="Sort by", empty_label=None)

    class Meta:
        fields = ["service", "price_min", "price_max", "location_type", "borough", "sort"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        offerings = selectors.matching_offerings(
            service=data.get("service"),
            min_cents=_cents(data.get("price_min")),
            max_cents=_cents(data.get("price_max")),
            location_type=data.get("location_type") or None,
        )
        return selectors.filter_profiles(
            profiles=queryset, offerings=offerings, borough=data.get("borough"), sort=data.get("sort") or "recommended"
        )


def _cents(dollars) -> int | None:
    return None if dollars is None else dollars_to_cents(dollars)
