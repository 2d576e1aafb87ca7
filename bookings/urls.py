from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("instructors/<str:profile_id>/book/", views.book, name="book"),
    path("lessons/", views.my_lessons, name="my_lessons"),
    path("teach/bookings/", views.instructor_bookings, name="instructor_bookings"),
    path("bookings/<str:booking_id>/", views.detail, name="detail"),
    path("bookings/<str:booking_id>/cancel/", views.cancel, name="cancel"),
    path("bookings/<str:booking_id>/reschedule/", views.reschedule, name="reschedule"),
    path("bookings/<str:booking_id>/reschedule/confirm/", views.reschedule_confirm, name="reschedule_confirm"),
    path("bookings/<str:booking_id>/no-show/", views.report_no_show, name="report_no_show"),
    path("bookings/<str:booking_id>/no-show/dispute/", views.dispute_no_show, name="dispute_no_show"),
    path("bookings/<str:booking_id>/accept/", views.accept, name="accept"),
    path("bookings/<str:booking_id>/decline/", views.decline, name="decline"),
]
