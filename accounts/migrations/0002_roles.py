from django.db import migrations

from accounts.roles import create_roles_migration_step


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("instructors", "0001_initial"),
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop)]
