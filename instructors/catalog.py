"""Loading the committed catalog and NYC area data files into the database."""

import json
from pathlib import Path

from django.db import transaction

from .models import Borough, Category, Neighborhood, Service

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_data_file(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@transaction.atomic
def load_catalog(data: dict | None = None) -> tuple[int, int]:
    """Upsert categories and services by slug. Returns (categories, services) counts."""
    data = data or read_data_file("catalog.json")
    services = 0
    for category_position, entry in enumerate(data["categories"]):
        category, _ = Category.objects.update_or_create(
            slug=entry["slug"],
            defaults={"name": entry["name"], "description": entry["description"], "position": category_position},
        )
        for position, item in enumerate(entry["services"]):
            service = Service(
                category=category,
                slug=item["slug"],
                name=item["name"],
                description=item["description"],
                keywords=item["keywords"],
                position=position,
            )
            Service.objects.update_or_create(
                slug=item["slug"],
                defaults={
                    "category": category,
                    "name": service.name,
                    "description": service.description,
                    "keywords": service.keywords,
                    "position": position,
                    "search_text": service.build_search_text(),
                },
            )
            services += 1
    return len(data["categories"]), services


@transaction.atomic
def load_areas(data: dict | None = None) -> tuple[int, int]:
    """Upsert boroughs and neighborhoods by slug. Returns (boroughs, neighborhoods) counts."""
    data = data or read_data_file("nyc_areas.json")
    neighborhoods = 0
    for position, entry in enumerate(data["boroughs"]):
        borough, _ = Borough.objects.update_or_create(
            slug=entry["slug"], defaults={"name": entry["name"], "position": position}
        )
        for item in entry["neighborhoods"]:
            Neighborhood.objects.update_or_create(
                slug=item["slug"], defaults={"borough": borough, "name": item["name"]}
            )
            neighborhoods += 1
    return len(data["boroughs"]), neighborhoods
