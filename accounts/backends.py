from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend with case-insensitive email lookup (the manager's natural key)."""
