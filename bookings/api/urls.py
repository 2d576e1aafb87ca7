from django.urls import path

from . import public_views, views

urlpatterns = [
    path(
        "public/instructors/<str:profile_id>/availability",
        public_views.PublicAvailability.as_view(),
        name="api-public-availability",
    ),
    path(
        "public/instructors/<str:profile_id>/next-available",
        public_views.NextAvailable.as_view(),
        name="api-public-next-available",
    ),
    path("bookings/", views.BookingListCreate.as_view(), name="api-bookings"),
    path("bookings/<str:booking_id>/", views.BookingDetail.as_view(), name="api-booking"),
    path(
        "bookings/<str:booking_id>/cancellation-preview/",
        views.CancellationPreview.as_view(),
        name="api-booking-cancellation-preview",
    ),
    path("bookings/<str:booking_id>/cancel/", views.CancelBooking.as_view(), name="api-booking-cancel"),
    path(
        "bookings/<str:booking_id>/reschedule-preview/",
        views.ReschedulePreview.as_view(),
        name="api-booking-reschedule-preview",
    ),
    path("bookings/<str:booking_id>/reschedule/", views.RescheduleBooking.as_view(), name="api-booking-reschedule"),
    path("bookings/<str:booking_id>/no-show/", views.ReportNoShow.as_view(), name="api-booking-no-show"),
    path(
        "bookings/<str:booking_id>/no-show/dispute/", views.DisputeNoShow.as_view(), name="api-booking-no-show-dispute"
    ),
    path("instructor/bookings/", views.InstructorBookingList.as_view(), name="api-instructor-bookings"),
    path(
        "instructor/bookings/<str:booking_id>/accept/",
        views.AcceptRequest.as_view(),
        name="api-instructor-booking-accept",
    ),
    path(
        "instructor/bookings/<str:booking_id>/decline/",
        views.DeclineRequest.as_view(),
        name="api-instructor-booking-decline",
    ),
]
