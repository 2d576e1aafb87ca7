"""The search page (instructors for the words a student types) and the search history page."""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.timeutil import now as current_time
from core.timeutil import to_local
from instructors import selectors as instructor_selectors

from . import history, tracking, vocabulary
from .filters import PARAM_KINDS, WHEN_CHOICES, SearchFilter, when_dates
from .parser import query_without
from .query import DAY_PARTS, ParsedQuery, TimeWindow
from .selectors import search_instructors
from .visitor import claim_visitor_id, ensure_visitor_id, visitor_id


def searcher_timezone(request) -> str:
    """The zone a searcher's "tomorrow evening" means: theirs, or the site's default."""
    if request.user.is_authenticated:
        return request.user.timezone
    return settings.DEFAULT_USER_TIMEZONE


def history_owner(request) -> dict:
    """Whose history this browser sees: the account's when signed in, else the visitor cookie's."""
    if request.user.is_authenticated:
        return {"user": request.user}
    return {"visitor_id": visitor_id(request)}


@require_GET
def search_page(request):
    search = SearchFilter(request.GET)
    context = {"filter": search, "results": None, "chips": []}
    now, timezone = current_time(), searcher_timezone(request)
    if search.is_valid():
        criteria = search.criteria(now=now, timezone=timezone)
        context["criteria"] = criteria
        if not criteria.is_blank:
            claim_visitor_id(request)  # an anonymous first search starts this browser's history
            results = search_instructors(
                criteria.query, timezone=timezone, now=now, sort=criteria.sort, page=criteria.page
            )
            search_id = tracking.new_search_id()
            tracking.track_search(
                request, search_id=search_id, parsed=criteria.query, result_count=results.total, channel="page"
            )
            chips = _chips_with_links(request, criteria.query)
            context.update(
                results=results,
                cards=[
                    (hit, _time_labels(hit.next_starts, timezone), _result_link(hit, search_id)) for hit in results.hits
                ],
                search_id=search_id,
                chips=chips,
                widen=[{"label": f"Without “{item['chip'].label}”", "url": item["remove_url"]} for item in chips],
                **_refine_context(criteria.query, criteria.sort, to_local(now, timezone).date()),
                pages=_page_links(request, results),
            )
    if context["results"] is None:
        context["popular"] = instructor_selectors.most_offered_services(instructor_selectors.categories_with_services())
    context["recent"] = history.recent_searches(**history_owner(request), limit=6)
    response = render(request, "search/search.html", context)
    ensure_visitor_id(request, response)
    return response


def _result_link(hit, search_id: str) -> str:
    """The profile address a result opens, carrying the search and rank for analytics (built
    once per card: a number printed by a template goes through localization, 0.15 ms a time)."""
    profile_url = reverse("instructors:profile", args=[hit.profile.pk])
    return f"{profile_url}?{tracking.result_link_query(search_id, hit.position)}"


def _time_labels(starts, timezone: str) -> list[tuple[str, str]]:
    """(ISO instant, "Fri 4 Dec, 5:15 p.m.") of each start in the searcher's zone: formatted here,
    as Django's date filter costs a fifth of a millisecond a time and a page shows 36."""
    labels = []
    for start in starts:
        local = to_local(start.start_at, timezone)
        hour = local.hour % 12 or 12
        meridiem = "a.m." if local.hour < 12 else "p.m."
        labels.append((local.isoformat(), f"{local:%a} {local.day} {local:%b}, {hour}:{local.minute:02d} {meridiem}"))
    return labels


def _chips_with_links(request, query: ParsedQuery) -> list[dict]:
    """Each chip with the address of the same search without it: its words taken out of `q`
    and the explicit filters of its kind dropped."""
    chips = []
    for chip in query.chips:
        words = query.normalized
        for other in query.chips:
            if other.kind == chip.kind and other.phrase:
                words = query_without(words, other.phrase)
        params = request.GET.copy()
        for name, kind in PARAM_KINDS.items():
            if kind == chip.kind:
                params.pop(name, None)
        params.pop("page", None)
        params["q"] = " ".join(words.split())
        chips.append({"chip": chip, "remove_url": "?" + params.urlencode()})
    return chips


def _refine_context(query: ParsedQuery, sort: str, today: dt.date) -> dict:
    """The Refine panel starts from what was understood, so editing one chip keeps the rest. Its
    rendered fields are cached by those values (`refine_key`) and the catalog's version; the
    form and the subject list are only read when that cache misses."""
    initial = _refine_initial(query, sort, today)
    form = SearchFilter(None).form
    form.initial = initial
    return {
        "refine_form": form,
        "refine_key": urlencode(sorted(initial.items())),
        "listings_version": instructor_selectors.listings_version(),
        "subject_groups": subject_groups,
    }


def subject_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalog as (category, [(slug, name)]) for the Refine panel's subject list, from the
    vocabulary the parser already holds: 217 options without a query or a widget per option."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for term in vocabulary.current_vocabulary().services:
        groups.setdefault(term.category, []).append((term.slug, term.name))
    return list(groups.items())


def _refine_initial(query: ParsedQuery, sort: str, today: dt.date) -> dict:
    initial = {"sort": sort}
    if len(query.services) == 1:
        initial["service"] = query.services[0]
    for name in ("borough", "location_type", "age_group", "level"):
        if getattr(query, name):
            initial[name] = getattr(query, name)
    if query.price_min_cents is not None:
        initial["price_min"] = query.price_min_cents // 100
    if query.price_max_cents is not None:
        initial["price_max"] = query.price_max_cents // 100
    if query.window is not None:
        initial.update(_window_initial(query.window, today))
    return initial


def _window_initial(window: TimeWindow, today: dt.date) -> dict:
    """The When / Time of day choices that say the same as the understood window, where some do
    (a window they cannot say, like "Saturday after 5pm", stays in the words)."""
    initial = {}
    for when, _ in WHEN_CHOICES:
        if when_dates(when, today) == (window.first, window.last) and window.weekdays is None:
            initial["when"] = when
    for part, minutes in DAY_PARTS.items():
        if minutes == (window.start_minute, window.end_minute):
            initial["time_of_day"] = part
    return initial


def _page_links(request, results) -> dict:
    params = request.GET.copy()

    def page_url(number: int) -> str:
        params["page"] = str(number)
        return "?" + params.urlencode()

    return {
        "previous": page_url(results.page - 1) if results.has_previous else "",
        "next": page_url(results.page + 1) if results.has_next else "",
    }


@require_GET
def history_page(request):
    entries = history.recent_searches(**history_owner(request), limit=50)
    links = [(entry, "?" + urlencode({"q": entry.query})) for entry in entries]
    return render(request, "search/history.html", {"entries": links})


@require_POST
def delete_history_entry(request, entry_id):
    if history.delete_history_entry(**history_owner(request), entry_id=entry_id):
        messages.success(request, "Search removed from your history.")
    return redirect("search:history")


@require_POST
def clear_history(request):
    removed = history.clear_history(**history_owner(request))
    messages.success(request, f"Search history cleared ({removed} removed).")
    return redirect("search:history")
