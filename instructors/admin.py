from django.contrib import admin
from django.db.models import Count

from . import services
from .models import Borough, Category, InstructorProfile, InstructorService, Neighborhood, Service


class ServiceInline(admin.TabularInline):
    model = Service
    fields = ("name", "slug", "position")
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position", "service_count")
    search_fields = ("name", "slug")
    inlines = [ServiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_services=Count("services"))

    @admin.display(description="Services", ordering="n_services")
    def service_count(self, category):
        return category.n_services


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "category", "position")
    list_filter = ("category",)
    search_fields = ("name", "slug", "search_text")
    list_select_related = ("category",)

    def save_model(self, request, obj, form, change):
        obj.search_text = obj.build_search_text()
        super().save_model(request, obj, form, change)


class NeighborhoodInline(admin.TabularInline):
    model = Neighborhood
    fields = ("name", "slug")
    extra = 0


@admin.register(Borough)
class BoroughAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    inlines = [NeighborhoodInline]


@admin.register(Neighborhood)
class NeighborhoodAdmin(admin.ModelAdmin):
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


@admin.register(InstructorProfile)
class InstructorProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "headline", "years_experience", "is_live", "went_live_at", "created_at")
    list_filter = ("is_live", "service_areas__borough")
    search_fields = ("user__email", "user__first_name", "user__last_name", "headline")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    filter_horizontal = ("service_areas",)
    readonly_fields = ("is_live", "went_live_at", "created_at", "updated_at")
    inlines = [OfferingInline]
    actions = ["recheck_listing_status"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.refresh_listing_status(form.instance)

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
    raw_id_fields = ("instructor", "service")
