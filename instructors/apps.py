from django.apps import AppConfig


class InstructorsConfig(AppConfig):
    name = "instructors"
    verbose_name = "Instructors and catalog"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the two_factor_changed listener
