"""Search in the operations console: people's search history and the search events (read-only:
the site writes them), and three analytics pages linked from the search events list (their
reads are in search.analytics):

- top queries (last 7 or 30 days): searches, distinct searchers, average results;
- zero-result queries: what people look for and the catalog does not have;
- conversion by day (last 30 days): searches, then how many of them led to a result click, a
  profile view, a booking started and a booking; each step counted once per search.

Every page is one aggregate query in the database (bots left out), whatever the number of
events. They are read-only and show no person, so opening them is not audited; they need
`search.view_searchevent`.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from core.timeutil import now as current_time

from .analytics import CONVERSION_DAYS, conversion_by_day, top_queries, zero_result_queries
from .models import SearchEvent, SearchHistory, SearchInteraction

VIEW_ANALYTICS = "search.view_searchevent"
PRIVATE_DETAILS = "accounts.view_private_details"
WINDOWS_DAYS = (7, 30)


def owner(row: SearchHistory | SearchEvent, *, private: bool) -> str:
    """Who a history row or a search belongs to: "FirstName L." (and the email for staff who may
    see private details), or an anonymous visitor."""
    if row.user is None:
        return "Visitor (not signed in)" if row.visitor_id else "—"
    if private:
        return format_html('{}<br><span class="quiet">{}</span>', row.user.public_name, row.user.email)
    return row.user.public_name


def owner_column(request) -> str:
    return "owner_private" if request.user.has_perm(PRIVATE_DETAILS) else "owner_public"


# --- the console -----------------------------------------------------------------------------------


@admin.register(SearchHistory)
class SearchHistoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """People's past searches (one row per person and query, counted). Read-only."""

    list_select_related = ("user",)
    search_fields = ("normalized_query", "user__email", "=visitor_id")
    search_help_text = "Words of the query, part of the person's email, or a visitor id (exact)."
    date_hierarchy = "last_searched_at"
    list_per_page = 100
    show_full_result_count = False

    def get_list_display(self, request):
        return ("query", owner_column(request), "search_count", "last_searched_at")

    def get_fields(self, request, obj=None):
        return ("query", "normalized_query", owner_column(request), "search_count", "last_searched_at", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="Whose")
    def owner_public(self, entry):
        return owner(entry, private=False)

    @admin.display(description="Whose")
    def owner_private(self, entry):
        return owner(entry, private=True)


class InteractionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SearchInteraction
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "instructor_name", "position")
    readonly_fields = fields
    verbose_name_plural = "what the searcher did next"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instructor__user")

    @admin.display(description="Instructor")
    def instructor_name(self, interaction):
        return interaction.instructor.user.public_name


class ResultsFilter(admin.SimpleListFilter):
    title = "results"
    parameter_name = "results"

    def lookups(self, request, model_admin):
        return [("none", "None found"), ("some", "Some found")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(result_count=0)
        if self.value() == "some":
            return queryset.filter(result_count__gt=0)
        return queryset


@admin.register(SearchEvent)
class SearchEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every search run on the site. Read-only; the analytics pages are linked above the list."""

    change_list_template = "admin/search/event_change_list.html"
    list_filter = (ResultsFilter, "channel", "device_type", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("normalized_query", "=id")
    search_help_text = "Words of the query, or a search id (exact)."
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    inlines = [InteractionInline]

    def get_list_display(self, request):
        return ("created_at", "query", "result_count", "device_type", "channel", owner_column(request))

    def get_fields(self, request, obj=None):
        return (
            "id",
            "created_at",
            "query",
            "normalized_query",
            "understood",
            "result_count",
            "channel",
            "device_type",
            owner_column(request),
            "visitor_id",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="Searcher")
    def owner_public(self, event):
        return owner(event, private=False)

    @admin.display(description="Searcher")
    def owner_private(self, event):
        return owner(event, private=True)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("top-queries/", view(self.top_queries_view), name="search_searchevent_top_queries"),
            path("zero-results/", view(self.zero_results_view), name="search_searchevent_zero_results"),
            path("conversion/", view(self.conversion_view), name="search_searchevent_conversion"),
            *super().get_urls(),
        ]

    def _analytics_page(self, request, template: str, title: str, **context):
        if not request.user.has_perm(VIEW_ANALYTICS):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.opts, **context}
        return TemplateResponse(request, template, context)

    @staticmethod
    def _window(request) -> int:
        """The page's window in days: ?days=7 or ?days=30 (anything else: 7)."""
        asked = request.GET.get("days", "")
        return int(asked) if asked in {str(days) for days in WINDOWS_DAYS} else WINDOWS_DAYS[0]

    def top_queries_view(self, request):
        days = self._window(request)
        rows = top_queries(days=days, now=current_time())
        return self._analytics_page(
            request, "admin/search/top_queries.html", "Top search queries", rows=rows, days=days, windows=WINDOWS_DAYS
        )

    def zero_results_view(self, request):
        days = self._window(request)
        rows = zero_result_queries(days=days, now=current_time())
        return self._analytics_page(
            request,
            "admin/search/zero_results.html",
            "Searches that found nobody",
            rows=rows,
            days=days,
            windows=WINDOWS_DAYS,
        )

    def conversion_view(self, request):
        rows = conversion_by_day(now=current_time())
        return self._analytics_page(
            request, "admin/search/conversion.html", "Search conversion by day", rows=rows, days=CONVERSION_DAYS
        )
