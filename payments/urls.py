from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("account/cards/", views.cards, name="cards"),
    path("account/cards/add/", views.add_card, name="add_card"),
    path("account/cards/<str:card_id>/default/", views.set_default_card, name="set_default_card"),
    path("account/cards/<str:card_id>/remove/", views.remove_card, name="remove_card"),
    path("account/credits/", views.credit_ledger, name="credits"),
    path("bookings/<str:booking_id>/checkout/", views.checkout, name="checkout"),
    path("bookings/<str:booking_id>/receipt/", views.receipt, name="receipt"),
    path("bookings/<str:booking_id>/payment/", views.fix_payment, name="fix_payment"),
    path("teach/earnings/", views.earnings, name="earnings"),
    path("teach/payouts/connect/", views.connect, name="connect"),
    path("teach/payouts/return/", views.connect_return, name="connect_return"),
    path("teach/payouts/refresh/", views.connect_refresh, name="connect_refresh"),
    path("payments/test-mode/onboarding/<str:account_id>/", views.test_mode_onboarding, name="test_mode_onboarding"),
]
