"""The header's Messages link: `unread_messages`, all unread messages of the signed-in user
whatever inbox folder they are in, and `messages_nav_current` (the page is a messaging page).
Lazy: the one query runs only when a template shows the number, never for anonymous visitors."""

from urllib.parse import urlsplit

from django.utils.functional import SimpleLazyObject

from . import selectors

MESSAGES_PREFIX = "/messages/"


def unread_messages(request):
    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return selectors.unread_count(user)

    # The badge endpoint answers htmx requests: the page the person is on is in HX-Current-URL.
    htmx = getattr(request, "htmx", None)
    path = urlsplit(htmx.current_url).path if htmx and htmx.current_url else request.path
    return {
        "unread_messages": SimpleLazyObject(count),
        "messages_nav_current": path.startswith(MESSAGES_PREFIX),
    }
