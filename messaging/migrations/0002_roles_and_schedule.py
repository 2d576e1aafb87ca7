from django.db import migrations

from accounts.roles import create_roles_migration_step

TASK = "messaging.tasks.send_unread_notices"


def add_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.get_or_create(
        name="Email unread-message notices",
        defaults={"task": TASK, "interval": every_minute, "expire_seconds": 60},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    interval_model.objects.filter(every=1, period="minutes", periodictask__isnull=True).delete()


class Migration(migrations.Migration):
    """Support staff may read conversations (each view is audited); the notice email runs every minute."""

    dependencies = [
        ("messaging", "0001_initial"),
        ("core", "0002_audit_log"),
        ("bookings", "0003_beat_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_roles_migration_step, migrations.RunPython.noop),
        migrations.RunPython(add_schedule, remove_schedule),
    ]
