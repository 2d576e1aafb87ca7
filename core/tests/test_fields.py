import datetime as dt

import time_machine
from ulid import ULID

from core.fields import ULIDField, new_ulid
from core.models import RateLimitRule


def test_new_ulid_is_a_26_character_ulid():
    value = new_ulid()
    assert isinstance(value, str)
    assert len(value) == 26
    assert str(ULID.from_str(value)) == value


def test_ulids_are_unique_and_sort_by_time():
    made = []
    for day in range(1, 6):
        with time_machine.travel(dt.datetime(2025, 1, day, tzinfo=dt.UTC), tick=False):
            made.append(new_ulid())
    assert made == sorted(made)
    assert len({new_ulid() for _ in range(1000)}) == 1000


def test_models_get_a_ulid_primary_key_on_creation():
    rule = RateLimitRule(bucket="x", limit=1, burst=1)
    assert len(rule.pk) == 26
    assert RateLimitRule(bucket="y", limit=1, burst=1).pk != rule.pk
    field = RateLimitRule._meta.pk
    assert isinstance(field, ULIDField)
    assert field.max_length == 26
    assert not field.editable


def test_a_plain_ulid_field_has_no_default():
    field = ULIDField(null=True)
    assert field.max_length == 26
    assert not field.has_default()
    assert field.editable


def test_deconstruct_leaves_out_the_fixed_max_length():
    _name, path, _args, kwargs = ULIDField(primary_key=True).deconstruct()
    assert path == "core.fields.ULIDField"
    assert "max_length" not in kwargs
    assert kwargs["primary_key"] is True
