from django.core.management.base import BaseCommand

from instructors.catalog import load_areas, load_catalog


class Command(BaseCommand):
    help = "Load (or update) the service catalog and NYC service areas from the committed data files."

    def handle(self, *args, **options):
        categories, services = load_catalog()
        boroughs, neighborhoods = load_areas()
        self.stdout.write(
            f"Catalog: {categories} categories, {services} services. "
            f"Areas: {boroughs} boroughs, {neighborhoods} neighborhoods."
        )
