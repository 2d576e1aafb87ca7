from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    """The roles get the search permissions accounts.roles names (the analytics pages need
    search.view_searchevent)."""

    dependencies = [("search", "0001_initial"), ("accounts", "0007_erase_user_permission")]

    operations = [migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop)]
