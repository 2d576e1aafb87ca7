"""Public instructor output: other people see 'FirstName L.' and never an email or phone."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from instructors.models import Category, InstructorProfile, InstructorService, Neighborhood, Service


class ServiceSummarySerializer(serializers.ModelSerializer):
    instructor_count = serializers.IntegerField(read_only=True, help_text="Live instructors offering it.")

    class Meta:
        model = Service
        fields = ["id", "slug", "name", "instructor_count"]


class CategorySerializer(serializers.ModelSerializer):
    services = ServiceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "description", "services"]


class ServiceSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    instructor_count = serializers.IntegerField(read_only=True, help_text="Live instructors offering it.")

    class Meta:
        model = Service
        fields = ["id", "slug", "name", "description", "keywords", "category", "instructor_count"]


class OfferingSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)

    class Meta:
        model = InstructorService
        fields = [
            "id",
            "service",
            "service_name",
            "hourly_rate_cents",
            "durations",
            "location_types",
            "age_groups",
            "levels",
            "description",
        ]
        extra_kwargs = {
            "age_groups": {"read_only": True, "help_text": "Who the lessons are for."},
            "levels": {"read_only": True, "help_text": "The levels the instructor teaches."},
        }


class AreaSerializer(serializers.ModelSerializer):
    borough = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Neighborhood
        fields = ["slug", "name", "borough"]


class InstructorListSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.public_name", read_only=True, help_text="First name and last initial.")
    rate_cents = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Lowest hourly rate among the offerings that match the filters."
    )
    services = OfferingSerializer(source="active_offerings", many=True, read_only=True)
    boroughs = serializers.SerializerMethodField()

    class Meta:
        model = InstructorProfile
        fields = ["id", "name", "headline", "years_experience", "rate_cents", "services", "boroughs"]

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_boroughs(self, profile) -> list[str]:
        return sorted({area.borough.slug for area in profile.areas})


class InstructorDetailSerializer(InstructorListSerializer):
    areas = AreaSerializer(many=True, read_only=True)

    class Meta(InstructorListSerializer.Meta):
        fields = [f for f in InstructorListSerializer.Meta.fields if f != "rate_cents"] + ["bio", "areas"]
