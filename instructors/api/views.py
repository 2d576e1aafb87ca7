from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from instructors import selectors
from instructors.filters import InstructorFilter
from instructors.models import Category

from .serializers import CategorySerializer, InstructorDetailSerializer, InstructorListSerializer, ServiceSerializer


class CategoryList(generics.ListAPIView):
    """The whole catalog: categories with their services and live instructor counts."""

    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None
    queryset = Category.objects.none()  # for the schema; the real list comes cached from the selector

    def get_queryset(self):
        return selectors.categories_with_services()


class ServiceList(generics.ListAPIView):
    """Catalog services; `q` searches names and keywords, `category` narrows to one category."""

    permission_classes = [AllowAny]
    serializer_class = ServiceSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words to find in service names and keywords."),
            OpenApiParameter("category", str, description="Category slug."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        services = selectors.services_with_counts().order_by("category__position", "position", "name")
        query = self.request.query_params.get("q", "").strip()
        if query:
            services = selectors.search_services_queryset(query)
        category = self.request.query_params.get("category")
        if category:
            services = services.filter(category__slug=category)
        return services


class InstructorList(generics.ListAPIView):
    """Live instructors, filtered exactly like the service listing page."""

    permission_classes = [AllowAny]
    serializer_class = InstructorListSerializer
    filterset_class = InstructorFilter

    def get_queryset(self):
        return selectors.live_profiles()

    def filter_queryset(self, queryset):
        return selectors.with_listing_details(super().filter_queryset(queryset))


class InstructorDetail(generics.RetrieveAPIView):
    """One live instructor's public profile."""

    permission_classes = [AllowAny]
    serializer_class = InstructorDetailSerializer

    def get_object(self):
        profile = selectors.public_profile(self.kwargs["profile_id"])
        if profile is None:
            raise NotFound("No such instructor.")
        return profile
