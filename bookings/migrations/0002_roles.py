from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    """Give the staff roles the booking permissions."""

    dependencies = [
        ("bookings", "0001_initial"),
        ("availability", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop)]
