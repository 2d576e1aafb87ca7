from django.urls import path

from . import checkout, views

urlpatterns = [
    path("bookings/<str:booking_id>/confirm/", checkout.ConfirmBooking.as_view(), name="api-booking-confirm"),
    path("payments/webhooks/stripe/", views.StripeWebhook.as_view(), name="api-stripe-webhook"),
]
