from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    """The admin role holds every payments permission, the finance console's included."""

    dependencies = [("payments", "0004_finance_console")]

    operations = [migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop)]
