from django.urls import path

from . import views

urlpatterns = [
    path("conversations/", views.ConversationListCreate.as_view(), name="api-conversations"),
    path(
        "conversations/<str:conversation_id>/messages/",
        views.ConversationMessages.as_view(),
        name="api-conversation-messages",
    ),
    path("conversations/<str:conversation_id>/read/", views.MarkRead.as_view(), name="api-conversation-read"),
    path("conversations/<str:conversation_id>/state/", views.SetInboxState.as_view(), name="api-conversation-state"),
    path("messages/unread-count/", views.UnreadCount.as_view(), name="api-messages-unread-count"),
]
