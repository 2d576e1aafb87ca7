from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    """Finance staff get the payments permissions."""

    dependencies = [("payments", "0001_initial"), ("messaging", "0002_roles_and_schedule")]

    operations = [migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop)]
