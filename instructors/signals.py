"""Instructor signals for decoupled listeners.

- `profile_viewed` (`request`, `profile_id`): a public profile page was shown; search analytics
  counts it (and a result click, when the link carried one). Listeners must not raise.
"""

from django.dispatch import Signal

profile_viewed = Signal()
