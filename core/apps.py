from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core plumbing"

    def ready(self):
        from . import checks, lookups  # noqa: F401 - register the deployment checks and `__any`
