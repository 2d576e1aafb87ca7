from django.core.management.base import BaseCommand

from accounts.services import current_code
from instructors.demo import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    requires_system_checks = []  # it only computes a code
    help = "Print the code an authenticator app shows now for the demo instructors' and staff's key."

    def handle(self, *args, **options):
        self.stdout.write(current_code(DEMO_TOTP_KEY_HEX))
