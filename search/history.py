"""A person's search history: one row per (owner, normalized query), counted by an UPSERT.

The owner is a signed-in user or, before sign-in, an anonymous visitor's cookie id
(search.visitor). Each write is one SQL statement whose ON CONFLICT clause names the partial
unique index it relies on, so simultaneous searches never lose a count and never make a second
row. At sign-in the visitor's rows become the user's (`merge_visitor_history`).

Writes come from the search-tracking task (search.tasks), never from the page itself; reads and
deletions are for the person's own "recent searches" list.
"""

import datetime as dt

from django.db import connection, transaction
from django.db.models import QuerySet

from core.fields import new_ulid
from core.timeutil import now as current_time

from .models import QUERY_MAX_LENGTH, SearchHistory

RECENT_LIMIT = 8

# Each UPSERT keeps the words as last typed: with tasks running out of order, an older search
# arriving late adds to the count but does not overwrite a newer query or time.
RECORD_FOR_USER = """
    INSERT INTO search_searchhistory AS h
        (id, user_id, visitor_id, query, normalized_query, search_count, last_searched_at, created_at, updated_at)
    VALUES (%(id)s, %(user_id)s, '', %(query)s, %(normalized)s, 1, %(at)s, %(now)s, %(now)s)
    ON CONFLICT (user_id, normalized_query) WHERE user_id IS NOT NULL
    DO UPDATE SET
        search_count = h.search_count + 1,
        query = CASE WHEN EXCLUDED.last_searched_at >= h.last_searched_at THEN EXCLUDED.query ELSE h.query END,
        last_searched_at = GREATEST(h.last_searched_at, EXCLUDED.last_searched_at),
        updated_at = EXCLUDED.updated_at
"""

RECORD_FOR_VISITOR = """
    INSERT INTO search_searchhistory AS h
        (id, user_id, visitor_id, query, normalized_query, search_count, last_searched_at, created_at, updated_at)
    VALUES (%(id)s, NULL, %(visitor_id)s, %(query)s, %(normalized)s, 1, %(at)s, %(now)s, %(now)s)
    ON CONFLICT (visitor_id, normalized_query) WHERE user_id IS NULL
    DO UPDATE SET
        search_count = h.search_count + 1,
        query = CASE WHEN EXCLUDED.last_searched_at >= h.last_searched_at THEN EXCLUDED.query ELSE h.query END,
        last_searched_at = GREATEST(h.last_searched_at, EXCLUDED.last_searched_at),
        updated_at = EXCLUDED.updated_at
"""

# Moving the visitor's rows is a DELETE ... RETURNING feeding an INSERT ... ON CONFLICT in one
# statement: a second (or simultaneous) merge finds the rows already gone and adds nothing, and a
# row the user has too gets the counts summed. A moved row keeps its id.
MERGE_VISITOR_INTO_USER = """
    WITH moved AS (
        DELETE FROM search_searchhistory
        WHERE user_id IS NULL AND visitor_id = %(visitor_id)s
        RETURNING id, query, normalized_query, search_count, last_searched_at, created_at
    )
    INSERT INTO search_searchhistory AS h
        (id, user_id, visitor_id, query, normalized_query, search_count, last_searched_at, created_at, updated_at)
    SELECT id, %(user_id)s, '', query, normalized_query, search_count, last_searched_at, created_at, %(now)s
    FROM moved
    ON CONFLICT (user_id, normalized_query) WHERE user_id IS NOT NULL
    DO UPDATE SET
        search_count = h.search_count + EXCLUDED.search_count,
        query = CASE WHEN EXCLUDED.last_searched_at >= h.last_searched_at THEN EXCLUDED.query ELSE h.query END,
        last_searched_at = GREATEST(h.last_searched_at, EXCLUDED.last_searched_at),
        created_at = LEAST(h.created_at, EXCLUDED.created_at),
        updated_at = EXCLUDED.updated_at
"""


def record_search(*, user_id: str | None, visitor_id: str, query: str, normalized: str, at: dt.datetime) -> None:
    """Count one search in its owner's history: the user's when signed in, else the visitor's.
    An empty query, or a search with no owner at all, is not recorded."""
    normalized = normalized[:QUERY_MAX_LENGTH]
    if not normalized or not (user_id or visitor_id):
        return
    params = {
        "id": new_ulid(),
        "user_id": user_id,
        "visitor_id": visitor_id,
        "query": (query.strip() or normalized)[:QUERY_MAX_LENGTH],
        "normalized": normalized,
        "at": at,
        "now": current_time(),
    }
    with connection.cursor() as cursor:
        cursor.execute(RECORD_FOR_USER if user_id else RECORD_FOR_VISITOR, params)


def merge_visitor_history(*, visitor_id: str, user) -> int:
    """At sign-in: the visitor's rows become the user's, counts summed where the user already
    searched the same words. Returns how many of the visitor's rows were merged (0 when run again)."""
    if not visitor_id:
        return 0
    params = {"visitor_id": visitor_id, "user_id": user.pk, "now": current_time()}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(MERGE_VISITOR_INTO_USER, params)
        return cursor.rowcount


def _rows_of(user, visitor_id: str) -> QuerySet[SearchHistory]:
    """The history rows one person owns: the signed-in user's, else the visitor's, else none."""
    if user is not None and user.is_authenticated:
        return SearchHistory.objects.filter(user=user)
    if visitor_id:
        return SearchHistory.objects.filter(user__isnull=True, visitor_id=visitor_id)
    return SearchHistory.objects.none()


def recent_searches(*, user=None, visitor_id: str = "", limit: int = RECENT_LIMIT) -> list[SearchHistory]:
    """The person's most recent searches, newest first."""
    return list(_rows_of(user, visitor_id).order_by("-last_searched_at", "-pk")[:limit])


def delete_history_entry(*, user=None, visitor_id: str = "", entry_id: str) -> bool:
    """Delete one of the person's own entries; anyone else's id deletes nothing."""
    deleted, _ = _rows_of(user, visitor_id).filter(pk=entry_id).delete()
    return deleted > 0


def clear_history(*, user=None, visitor_id: str = "") -> int:
    """Delete all of the person's entries; returns how many went."""
    deleted, _ = _rows_of(user, visitor_id).delete()
    return deleted


def delete_stale_history(*, searched_before: dt.datetime) -> int:
    """Retention: history nobody has searched again since `searched_before` goes."""
    deleted, _ = SearchHistory.objects.filter(last_searched_at__lt=searched_before).delete()
    return deleted
