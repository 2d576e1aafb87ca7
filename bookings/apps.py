from django.apps import AppConfig

from availability import overlays


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self):
        from . import selectors  # models are loaded by now

        overlays.register(selectors.calendar_claims)  # lessons drawn over the week editor's grid
