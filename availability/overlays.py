"""Lessons drawn over the week editor's grid, without availability reading bookings.

Availability never looks at bookings (layer independence, DESIGN.md §3), and the two apps
depend on each other one way only: bookings imports availability. The editor still shows an
instructor where their lessons are: the bookings app registers a reader here in its
AppConfig.ready, and the editor asks for a week's claims through `claims_between`.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """Time taken on the instructor's calendar, as the week editor labels it."""

    start_at: dt.datetime
    end_at: dt.datetime
    service: str
    student: str
    status: str
    status_label: str


Reader = Callable[[object, dt.datetime, dt.datetime], Iterable[Claim]]
_readers: list[Reader] = []


def register(reader: Reader) -> None:
    """Add a reader of claims on [first, last) for an instructor profile (once)."""
    if reader not in _readers:
        _readers.append(reader)


def claims_between(profile, first: dt.datetime, last: dt.datetime) -> list[Claim]:
    return sorted((claim for read in _readers for claim in read(profile, first, last)), key=lambda c: c.start_at)
