"""Search's part of the signed-in student's home (instructors.student_home): their recent
searches, and the best few instructors for the words of one of them. Registered in
SearchConfig.ready."""

import datetime as dt

from instructors import student_home
from instructors.models import InstructorProfile

from . import history, parser, vocabulary
from .selectors import instructors_for_query


def instructors_for_words(words: str, *, timezone: str, now: dt.datetime, limit: int = 4) -> list[InstructorProfile]:
    """The best few matches of a search as typed, read the way the search page reads it."""
    query = parser.parse_query(words, vocabulary=vocabulary.current_vocabulary(), now=now, timezone=timezone)
    return [hit.profile for hit in instructors_for_query(query, timezone=timezone, now=now, limit=limit)]


def register() -> None:
    student_home.register(recent_searches=history.recent_searches, instructors_for_query=instructors_for_words)
