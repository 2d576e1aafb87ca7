from django.contrib import admin

from . import services
from .models import RateLimitRule


@admin.register(RateLimitRule)
class RateLimitRuleAdmin(admin.ModelAdmin):
    list_display = ("bucket", "limit", "period_seconds", "burst", "shadow", "enabled", "updated_at")
    list_filter = ("shadow", "enabled")
    search_fields = ("bucket",)

    def save_model(self, request, obj, form, change):
        services.save_rate_limit_rule(obj)

    def delete_model(self, request, obj):
        services.delete_rate_limit_rule(obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.delete_rate_limit_rule(rule)
