from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require_permission
from accounts.views import signup_page
from core.forms import form_data, submit
from core.money import cents_to_dollars
from core.timeutil import now as current_time

from . import selectors, services, signals, student_home
from .filters import InstructorFilter
from .forms import OfferingForm, ProfileForm, ServiceAreasForm
from .models import InstructorProfile, Service

LISTING_PAGE_SIZE = 12
TEACH = "instructors.teach"
BOOK_LESSONS = "accounts.book_lessons"
BOOK_AGAIN_LIMIT = 4
RECENT_SEARCH_LIMIT = 6
MATCHES_LIMIT = 4


# --- Public pages ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request):
    """Instructor sign-up: the account and its (not yet public) teaching profile."""
    return signup_page(
        request,
        template="accounts/signup_instructor.html",
        register=services.register_instructor,
        next_url="instructors:dashboard",
    )


@require_GET
def home(request):
    """The marketing home; a signed-in student gets their own instead (same address)."""
    if request.user.has_perm(BOOK_LESSONS):
        return _student_home(request)
    categories = selectors.categories_with_services()
    return render(
        request,
        "instructors/home.html",
        {
            "categories": categories,
            "popular": selectors.most_offered_services(categories),
            "featured": selectors.featured_instructors(),
        },
    )


def _student_home(request):
    """Next lesson, instructors to book again, recent searches and who matches the latest one:
    a fixed number of queries however many lessons and searches the student has."""
    student, now = request.user, current_time()
    readers = student_home.readers
    next_lesson = readers.next_lesson(student, now=now)
    book_again = readers.last_lessons_by_instructor(student, limit=BOOK_AGAIN_LIMIT)
    searches = readers.recent_searches(user=student, limit=RECENT_SEARCH_LIMIT)
    matches = []
    if searches:  # the latest search only: one search's cost, whatever the history holds
        matches = readers.instructors_for_query(
            searches[0].query, timezone=student.timezone, now=now, limit=MATCHES_LIMIT
        )
    first_timer = next_lesson is None and not book_again
    # Someone with nothing booked and nothing searched gets a start: what others book most, and
    # the instructors the marketing home features (both cached).
    popular = selectors.most_offered_services(selectors.categories_with_services()) if first_timer else []
    featured = selectors.featured_instructors() if first_timer and not searches else []
    return render(
        request,
        "instructors/student_home.html",
        {
            "next_lesson": next_lesson,
            "book_again": book_again,
            "searches": searches,
            "latest_search": searches[0] if searches else None,
            "matches": matches,
            "first_timer": first_timer,
            "popular": popular,
            "featured": featured,
        },
    )


@require_GET
def all_services(request):
    # The rendered catalog is cached under the listings version; `catalog` is passed uncalled
    # so the template only loads it when that cache misses.
    return render(
        request,
        "instructors/all_services.html",
        {"catalog": selectors.catalog_by_instructors, "listings_version": selectors.listings_version()},
    )


@require_GET
def service_listing(request, slug):
    service = get_object_or_404(Service.objects.select_related("category"), slug=slug)
    params = request.GET.copy()
    params["service"] = service.slug  # the page's service is fixed by the URL
    listing = InstructorFilter(params, queryset=selectors.live_profiles())
    page = None
    if listing.is_valid():
        page = _paginate(request, selectors.with_listing_details(listing.qs))
    return render(
        request,
        "instructors/service_listing.html",
        {"service": service, "filter": listing, "page": page, "querystring": _querystring_without_page(request)},
    )


def _paginate(request, queryset):
    return Paginator(queryset, LISTING_PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def instructor_profile(request, profile_id):
    profile = selectors.public_profile(profile_id)
    if profile is None:
        owner_profile = selectors.profile_for_owner(request.user) if request.user.is_authenticated else None
        if owner_profile is None or owner_profile.pk != profile_id:
            raise Http404("No such instructor")
        profile = owner_profile  # instructors may preview their own profile before it is live
    signals.profile_viewed.send(sender=InstructorProfile, request=request, profile_id=profile.pk)
    areas_by_borough = {}
    for area in profile.areas:
        areas_by_borough.setdefault(area.borough.name, []).append(area.name)
    return render(
        request,
        "instructors/profile.html",
        {"profile": profile, "areas_by_borough": areas_by_borough, "is_preview": not profile.is_live},
    )


# --- Instructor's own pages -----------------------------------------------------------


def _own_profile(request):
    return services.ensure_profile(request.user)


@require_permission(TEACH)
@require_GET
def dashboard(request):
    _own_profile(request)  # created on first visit if staff granted the role
    profile = selectors.profile_for_owner(request.user)
    steps = selectors.onboarding_steps(profile)
    return render(
        request,
        "instructors/dashboard.html",
        {"profile": profile, "steps": steps, "steps_done": sum(step.done for step in steps)},
    )


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def edit_profile(request):
    profile = _own_profile(request)
    form = ProfileForm(form_data(request), instance=profile)
    if request.method == "POST" and form.is_valid():
        done = submit(form, partial(services.update_profile, profile=profile, **form.cleaned_data))
        if done.ok:
            messages.success(request, "Profile saved.")
            return redirect("instructors:dashboard")
    return render(request, "instructors/edit_profile.html", {"form": form})


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def edit_areas(request):
    profile = _own_profile(request)
    boroughs = selectors.boroughs_with_neighborhoods()
    initial = {"neighborhoods": list(profile.service_areas.values_list("pk", flat=True))}
    form = ServiceAreasForm(form_data(request), initial=initial, boroughs=boroughs)
    if request.method == "POST" and form.is_valid():
        services.set_service_areas(profile=profile, neighborhood_ids=form.cleaned_data["neighborhoods"])
        messages.success(request, "Service areas saved.")
        return redirect("instructors:dashboard")
    selected = set(form["neighborhoods"].value() or [])
    return render(request, "instructors/edit_areas.html", {"form": form, "boroughs": boroughs, "selected": selected})


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def add_offering(request):
    profile = _own_profile(request)
    form = OfferingForm(form_data(request), initial={"durations": [60], "service": request.GET.get("service")})
    if request.method == "POST" and form.is_valid():
        done = submit(
            form,
            lambda: services.add_offering(
                profile=profile, service=form.cleaned_data["service"], **form.offering_fields()
            ),
        )
        if done.ok:
            messages.success(request, f"{done.value.service.name} added to your services.")
            return redirect("instructors:dashboard")
    return render(request, "instructors/offering_form.html", {"form": form, "editing": False})


def _owned_offering_or_404(request, offering_id):
    offering = selectors.owned_offering(request.user, offering_id)
    if offering is None:
        raise Http404("No such service")  # someone else's offering looks exactly like a missing one
    return offering


@require_permission(TEACH)
@require_http_methods(["GET", "POST"])
def edit_offering(request, offering_id):
    offering = _owned_offering_or_404(request, offering_id)
    initial = {
        "hourly_rate": cents_to_dollars(offering.hourly_rate_cents),
        "durations": offering.durations,
        "location_types": offering.location_types,
        "age_groups": offering.age_groups,
        "levels": offering.levels,
        "description": offering.description,
    }
    form = OfferingForm(form_data(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        done = submit(form, partial(services.update_offering, offering=offering, **form.offering_fields()))
        if done.ok:
            messages.success(request, f"{offering.service.name} updated.")
            return redirect("instructors:dashboard")
    return render(request, "instructors/offering_form.html", {"form": form, "editing": True, "offering": offering})


@require_permission(TEACH)
@require_POST
def remove_offering(request, offering_id):
    offering = _owned_offering_or_404(request, offering_id)
    name = offering.service.name
    outcome = services.remove_offering(offering=offering)
    if outcome == "deactivated":
        messages.success(request, f"{name} is no longer offered. Past bookings keep their details.")
    else:
        messages.success(request, f"{name} removed.")
    return redirect("instructors:dashboard")
