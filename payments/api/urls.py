from django.urls import path

from . import views

urlpatterns = [
    path("payments/webhooks/stripe/", views.StripeWebhook.as_view(), name="api-stripe-webhook"),
]
