from django.urls import path

from . import views

urlpatterns = [
    path("privacy/export/", views.Export.as_view(), name="api-privacy-export"),
    path("privacy/account/", views.AccountErasure.as_view(), name="api-privacy-account"),
    path(
        "privacy/export/<str:export_id>/download/", views.ExportDownload.as_view(), name="api-privacy-export-download"
    ),
]
