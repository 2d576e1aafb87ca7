"""Django's flush behind the tier guard: never on PROD, a typed confirmation on STG."""

from django.core.management.commands import flush

from core.tiers import current_tier, guard_destructive


class Command(flush.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--confirm-tier", help="On STG: the tier's name, to confirm without a prompt.")

    def handle(self, **options):
        confirmation = options.get("confirm_tier")
        if confirmation is None and current_tier() == "STG" and options["interactive"]:
            confirmation = input("This deletes every row on the STG tier. Type STG to go on: ").strip()
        guard_destructive("flush the database", confirmation=confirmation)
        return super().handle(**options)
