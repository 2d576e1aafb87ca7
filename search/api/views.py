from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.openapi import ApiAutoSchema
from core.timeutil import now as current_time
from instructors.models import InstructorProfile
from search import tracking
from search.filters import SearchFilter
from search.selectors import search_instructors

from .serializers import SearchResponseSerializer


class SearchSchema(ApiAutoSchema):
    """One object (a page of results with what was understood) whose query parameters are the
    shared filterset's."""

    def get_filter_backends(self):
        return self.view.filter_backends


class Search(generics.GenericAPIView):
    """Instructors for the words a student types (`q`), with the same explicit filters as the
    search page's Refine panel; explicit filters replace what the words said about the same thing.
    Times are understood in the signed-in user's time zone (anonymous: the site's default)."""

    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = SearchFilter
    queryset = InstructorProfile.objects.none()  # for the schema; the search runs in search.selectors
    pagination_class = None
    schema = SearchSchema()

    @extend_schema(responses=SearchResponseSerializer)
    def get(self, request):
        search = SearchFilter(request.query_params)
        if not search.is_valid():
            raise translate_validation(search.errors)
        timezone = request.user.timezone if request.user.is_authenticated else settings.DEFAULT_USER_TIMEZONE
        criteria = search.criteria(now=current_time(), timezone=timezone)
        results = search_instructors(
            criteria.query, timezone=timezone, now=current_time(), sort=criteria.sort, page=criteria.page
        )
        search_id = tracking.new_search_id()
        tracking.track_search(
            request, search_id=search_id, parsed=criteria.query, result_count=results.total, channel="api"
        )
        return Response(SearchResponseSerializer(results, context={"search_id": search_id}).data)
