from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self):
        from . import home, receivers  # noqa: F401 - receivers merge history at sign-in, credit searches for bookings

        home.register()  # recent searches and matching instructors on the signed-in student's home
