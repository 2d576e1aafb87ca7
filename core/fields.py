"""The ULID primary key every InstaInstru model uses: 26-character, time-sortable strings."""

from django.db import models
from ulid import ULID


def new_ulid() -> str:
    return str(ULID())


class ULIDField(models.CharField):
    description = "ULID (26-character, time-sortable identifier)"

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 26
        if kwargs.get("primary_key"):
            kwargs.setdefault("default", new_ulid)
            kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs
