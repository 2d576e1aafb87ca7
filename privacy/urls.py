from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("account/data/", views.your_data, name="your_data"),
    path("account/data/status/", views.export_status, name="export_status"),
    path("account/data/download/<str:token>/", views.download, name="download"),
    path("account/delete/", views.delete_account, name="delete_account"),
    path("account/deleted/", views.account_deleted, name="account_deleted"),
]
