from django.urls import path

from . import views

app_name = "instructors"

urlpatterns = [
    path("accounts/signup/instructor/", views.signup, name="signup"),
    path("services/", views.all_services, name="all_services"),
    path("services/<slug:slug>/", views.service_listing, name="service_listing"),
    path("instructors/<str:profile_id>/", views.instructor_profile, name="profile"),
    path("teach/", views.dashboard, name="dashboard"),
    path("teach/profile/", views.edit_profile, name="edit_profile"),
    path("teach/areas/", views.edit_areas, name="edit_areas"),
    path("teach/services/add/", views.add_offering, name="add_offering"),
    path("teach/services/<str:offering_id>/", views.edit_offering, name="edit_offering"),
    path("teach/services/<str:offering_id>/remove/", views.remove_offering, name="remove_offering"),
]
