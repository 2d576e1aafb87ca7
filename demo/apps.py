from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data across every app (`manage.py seed_demo`): the top of the dependency graph, so it
    may use any app's services and no app depends on it."""

    name = "demo"
    verbose_name = "Demo data"
