from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/badge/", views.badge, name="badge"),
    path("messages/start/<str:instructor_profile_id>/", views.start, name="start"),
    path("messages/<str:conversation_id>/", views.conversation, name="conversation"),
    path("messages/<str:conversation_id>/send/", views.send, name="send"),
    path("messages/<str:conversation_id>/poll/", views.poll, name="poll"),
    path("messages/<str:conversation_id>/state/", views.set_state, name="set_state"),
]
