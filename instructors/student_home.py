"""What a signed-in student's home shows around the search box: their next lesson, the
instructors to book again, their recent searches and instructors matching the latest one.

Lessons and searches belong to apps that depend on instructors (bookings, search), and
instructors never imports them (tests/test_architecture.py). So, like availability.overlays,
those apps register their readers here in AppConfig.ready and the home view asks through
`readers`. A reader nobody registered reads as nothing: its part of the page shows its empty state.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields


def _no_lesson(*args, **kwargs) -> None:
    return None


def _no_rows(*args, **kwargs) -> list:
    return []


@dataclass
class Readers:
    # (student, *, now) -> their next lesson (a bookings Booking) or None
    next_lesson: Callable = _no_lesson
    # (student, *, limit) -> their latest completed lesson with each instructor they can book
    # again, most recent first
    last_lessons_by_instructor: Callable = _no_rows
    # (*, user, limit) -> their search history rows (`.query`), newest first
    recent_searches: Callable = _no_rows
    # (words, *, timezone, now, limit) -> live InstructorProfiles matching a search, with listing
    # details and `rate_cents`
    instructors_for_query: Callable = _no_rows


readers = Readers()


def register(**found: Callable) -> None:
    """Plug in readers by name (each app its own, once, at start-up)."""
    known = {field.name for field in fields(Readers)}
    for name, reader in found.items():
        if name not in known:
            raise TypeError(f"The student home has no reader called {name!r}.")
        setattr(readers, name, reader)
