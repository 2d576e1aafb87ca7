from django.urls import path

from . import views

urlpatterns = [
    path("catalog/categories/", views.CategoryList.as_view(), name="api-categories"),
    path("catalog/services/", views.ServiceList.as_view(), name="api-services"),
    path("instructors/", views.InstructorList.as_view(), name="api-instructors"),
    path("instructors/<str:profile_id>/", views.InstructorDetail.as_view(), name="api-instructor-detail"),
]
