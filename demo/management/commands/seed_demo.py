import time
from base64 import b32encode
from binascii import unhexlify

from django.core.management.base import BaseCommand

from core.tiers import refuse_on_production
from demo.calendars import seed_demo_calendars
from instructors.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_STUDENT, DEMO_TOTP_KEY_HEX, seed_demo_data

SITE_URL = "http://127.0.0.1:8000/"
ADMIN_URL = "http://127.0.0.1:8000/admin/"


class Command(BaseCommand):
    help = (
        "Load demo data: the catalog and NYC areas, 60 live instructors, students and three demo logins. "
        "Safe to run again; never runs on PROD."
    )

    def handle(self, *args, **options):
        refuse_on_production("load demo data")
        started = time.monotonic()
        summary = seed_demo_data()
        painted, booked = seed_demo_calendars(student_email=DEMO_STUDENT.email)
        elapsed = time.monotonic() - started

        if summary.created_people:
            self.stdout.write(self.style.SUCCESS(f"Demo data created ({summary.accounts_created} accounts)."))
        else:
            self.stdout.write("Demo people already exist; catalog and areas refreshed, nobody new created.")
        self.stdout.write(
            f"Catalog: {summary.categories} categories, {summary.services} services. "
            f"Areas: {summary.boroughs} boroughs, {summary.neighborhoods} neighborhoods.\n"
            f"Live instructors: {summary.live_instructors}. Students: {summary.students}. "
            f"Calendars painted: {painted}. Demo lessons booked: {booked}. ({elapsed:.1f} s)"
        )
        self.stdout.write(self.logins_block())

    def logins_block(self) -> str:
        width = max(len(login.label) for login in DEMO_LOGINS)
        lines = [
            "",
            "=" * 64,
            "  Demo logins",
            "-" * 64,
            *(f"  {login.label:<{width}}  {login.email}" for login in DEMO_LOGINS),
            f"  {'Password':<{width}}  {DEMO_PASSWORD}  (all demo accounts)",
            f"  {'2FA key':<{width}}  {b32encode(unhexlify(DEMO_TOTP_KEY_HEX)).decode()}  (instructors and staff:"
            " add it to an authenticator app,",
            f"  {'':<{width}}  or `make demo-code` prints the code for now)",
            "-" * 64,
            f"  {'Site':<{width}}  {SITE_URL}",
            f"  {'Admin':<{width}}  {ADMIN_URL}  (staff login)",
            "=" * 64,
        ]
        return "\n".join(lines)
