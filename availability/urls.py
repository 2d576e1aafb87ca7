from django.urls import path

from . import views

app_name = "availability"

urlpatterns = [
    path("teach/calendar/", views.week, name="week"),
    path("teach/calendar/copy/", views.copy_week, name="copy_week"),
    path("teach/calendar/template/", views.save_template, name="save_template"),
    path("teach/calendar/template/apply/", views.apply_template, name="apply_template"),
    path("teach/calendar/block/", views.block, name="block_days"),
    path("teach/rules/", views.rules, name="rules"),
]
