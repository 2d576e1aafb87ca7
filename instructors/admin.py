"""The catalog, areas, profiles and offerings in the operations console.

Staff changes go through instructors.services, never straight to the tables: a catalog entry is
validated and a service's search text rebuilt; a profile or an offering obeys the rules the
instructor's own pages obey (then goes live or offline as its checklist says); the listings cache
is refreshed after each; and every change leaves an audit row. Offerings are added by instructors;
booking rules are changed by the instructor on their own page.
"""

from django.contrib import admin
from django.db.models import Count

from . import services
from .models import Borough, Category, InstructorProfile, InstructorService, Neighborhood, Service


class CatalogAdminMixin:
    """Saves and deletes a catalog entry, and the entries of its inlines, through the services."""

    def save_model(self, request, obj, form, change):
        services.save_catalog_entry(obj, actor=request.user)

    def delete_model(self, request, obj):
        services.delete_catalog_entry(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.delete_catalog_entry(entry, actor=request.user)

    def save_formset(self, request, form, formset, change):
        entries = formset.save(commit=False)
        for entry in formset.deleted_objects:
            services.delete_catalog_entry(entry, actor=request.user)
        for entry in entries:
            services.save_catalog_entry(entry, actor=request.user)


class ServiceInline(admin.TabularInline):
    model = Service
    fields = ("name", "slug", "position")
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "position", "service_count")
    search_fields = ("name", "slug")
    inlines = [ServiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_services=Count("services"))

    @admin.display(description="Services", ordering="n_services")
    def service_count(self, category):
        return category.n_services


@admin.register(Service)
class ServiceAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "category", "position")
    list_filter = ("category",)
    search_fields = ("name", "slug", "search_text")
    list_select_related = ("category",)
    readonly_fields = ("search_text",)


class NeighborhoodInline(admin.TabularInline):
    model = Neighborhood
    fields = ("name", "slug")
    extra = 0


@admin.register(Borough)
class BoroughAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    inlines = [NeighborhoodInline]


@admin.register(Neighborhood)
class NeighborhoodAdmin(CatalogAdminMixin, admin.ModelAdmin):
    list_display = ("name", "borough", "slug")
    list_filter = ("borough",)
    search_fields = ("name", "slug")
    list_select_related = ("borough",)


class OfferingInline(admin.TabularInline):
    model = InstructorService
    fields = ("service", "hourly_rate_cents", "durations", "location_types", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InstructorProfile)
class InstructorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "headline", "years_experience", "is_live", "went_live_at", "created_at")
    list_filter = ("is_live", "service_areas__borough")
    search_fields = ("user__email", "user__first_name", "user__last_name", "headline")
    list_select_related = ("user",)
    filter_horizontal = ("service_areas",)
    fields = (
        "user",
        "headline",
        "bio",
        "years_experience",
        "service_areas",
        ("min_notice_minutes", "booking_horizon_days", "buffer_minutes", "max_lessons_per_day"),
        "requires_confirmation",
        ("is_live", "went_live_at"),
        ("created_at", "updated_at"),
    )
    readonly_fields = (
        "user",
        "min_notice_minutes",
        "booking_horizon_days",
        "buffer_minutes",
        "max_lessons_per_day",
        "requires_confirmation",
        "is_live",
        "went_live_at",
        "created_at",
        "updated_at",
    )
    inlines = [OfferingInline]
    actions = ["recheck_listing_status"]

    def has_add_permission(self, request):
        return False  # a profile comes with an instructor's account

    def has_delete_permission(self, request, obj=None):
        return False  # instructors leave by closing their account

    def save_model(self, request, obj, form, change):
        """Nothing is written here: save_related hands the whole edit to the service."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        services.staff_update_profile(
            profile=form.instance,
            actor=request.user,
            headline=data["headline"],
            bio=data["bio"],
            years_experience=data["years_experience"],
            neighborhood_ids=[area.pk for area in data["service_areas"]],
        )

    @admin.action(description="Re-check whether these profiles are complete enough to be live")
    def recheck_listing_status(self, request, queryset):
        live = sum(services.refresh_listing_status(profile) for profile in queryset)
        self.message_user(request, f"{live} of {queryset.count()} profile(s) are live.")


@admin.register(InstructorService)
class InstructorServiceAdmin(admin.ModelAdmin):
    list_display = ("service", "instructor", "hourly_rate_cents", "durations", "location_types", "is_active")
    list_filter = ("is_active", "service__category")
    search_fields = ("service__name", "instructor__user__email", "instructor__user__first_name")
    list_select_related = ("service", "instructor__user")
    fields = ("instructor", "service", "hourly_rate_cents", "durations", "location_types", "description", "is_active")
    readonly_fields = ("instructor", "service", "is_active")

    def has_add_permission(self, request):
        return False  # instructors add their own offerings

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.staff_update_offering(
            offering=obj,
            actor=request.user,
            hourly_rate_cents=data["hourly_rate_cents"],
            durations=data["durations"],
            location_types=data["location_types"],
            description=data.get("description", ""),
        )

    def delete_model(self, request, obj):
        services.staff_remove_offering(offering=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for offering in queryset:
            services.staff_remove_offering(offering=offering, actor=request.user)
