"""What `/api/v1/search/` answers: what was understood, and a page of instructors with their next
open times. Other people's names are "FirstName L." as everywhere."""

from rest_framework import serializers

from instructors.api.serializers import InstructorListSerializer


class ChipSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="subject, learner, level, place, price, time, sort or name.")
    label = serializers.CharField(help_text="How the page shows it, e.g. 'Under $80/hr'.")
    matched = serializers.BooleanField(help_text="False: understood, but nothing can match it (the search is empty).")
    from_filter = serializers.SerializerMethodField(help_text="Set by an explicit filter rather than by the words.")

    def get_from_filter(self, chip) -> bool:
        return bool(chip.param)


class OpenStartSerializer(serializers.Serializer):
    start_at = serializers.DateTimeField(help_text="UTC.")
    local_date = serializers.DateField(help_text="The instructor's local date.")


class HitSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="Rank across pages, from 1.")
    instructor = InstructorListSerializer(source="profile")
    durations = serializers.ListField(child=serializers.IntegerField(), help_text="Lesson lengths offered, minutes.")
    next_starts = OpenStartSerializer(many=True, help_text="The first open starts inside the time asked for.")


class SearchResponseSerializer(serializers.Serializer):
    search_id = serializers.SerializerMethodField(help_text="This search's id, for search analytics.")
    understood = ChipSerializer(source="query.chips", many=True)
    sort = serializers.CharField()
    count = serializers.IntegerField(source="total")
    more = serializers.BooleanField(
        help_text="True when a time search stopped checking calendars at its limit: `count` is then a minimum."
    )
    page = serializers.IntegerField()
    page_count = serializers.IntegerField()
    results = HitSerializer(source="hits", many=True)

    def get_search_id(self, results) -> str:
        return self.context["search_id"]
