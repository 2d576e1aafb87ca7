from django.urls import path

from . import views

urlpatterns = [
    path(
        "public/instructors/<str:profile_id>/availability",
        views.PublicAvailability.as_view(),
        name="api-public-availability",
    ),
    path(
        "public/instructors/<str:profile_id>/next-available",
        views.NextAvailable.as_view(),
        name="api-public-next-available",
    ),
]
