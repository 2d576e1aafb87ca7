from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.Me.as_view(), name="api-me"),
    path("me/sessions/", views.SignedInBrowsers.as_view(), name="api-me-sessions"),
    path("me/sessions/others/end/", views.EndOtherBrowsers.as_view(), name="api-me-sessions-end-others"),
    path("me/sessions/<str:session_id>/", views.EndSignedInBrowser.as_view(), name="api-me-session"),
]
