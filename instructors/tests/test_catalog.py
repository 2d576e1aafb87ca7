import pytest
from django.core.management import call_command

from instructors.catalog import read_data_file
from instructors.models import Borough, Category, Neighborhood, Service

pytestmark = pytest.mark.django_db


def test_catalog_data_file_meets_the_catalog_promise():
    data = read_data_file("catalog.json")
    services = [s for c in data["categories"] for s in c["services"]]
    assert len(data["categories"]) >= 12 and len(services) >= 150
    assert len({s["slug"] for s in services}) == len(services)
    assert all(s["keywords"] for s in services)


def test_load_catalog_command_loads_everything_and_is_repeatable(capsys):
    call_command("load_catalog")
    call_command("load_catalog")
    data = read_data_file("catalog.json")
    areas = read_data_file("nyc_areas.json")
    assert Category.objects.count() == len(data["categories"])
    assert Service.objects.count() == sum(len(c["services"]) for c in data["categories"])
    assert Borough.objects.count() == 5
    assert Neighborhood.objects.count() == sum(len(b["neighborhoods"]) for b in areas["boroughs"])
    piano = Service.objects.get(slug="piano")
    assert piano.category.slug == "music" and "piano" in piano.search_text
    assert f"Catalog: {len(data['categories'])} categories" in capsys.readouterr().out
