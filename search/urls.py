from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/history/", views.history_page, name="history"),
    path("search/history/clear/", views.clear_history, name="clear_history"),
    path("search/history/<str:entry_id>/delete/", views.delete_history_entry, name="delete_history"),
]
