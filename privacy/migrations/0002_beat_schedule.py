"""The privacy app's beat schedules: the data export sweep and the nightly retention sweep (django-celery-beat's DatabaseScheduler reads it).

Idempotent like payments/0003_beat_schedules: the task is found by name and the interval by
value, so running it again, or on a database where ops already tuned the row, creates nothing
twice and leaves their changes alone.
"""

from django.db import migrations
from django.utils import timezone

# PeriodicTask name -> (task, every N minutes). A frozen copy: migrations never import app code.
SCHEDULES = {
    "privacy: sweep data exports": ("privacy.tasks.sweep_exports", 5),
    "privacy: apply retention periods": ("privacy.tasks.apply_retention", 24 * 60),
}
DESCRIPTION = (
    "Created by the privacy/0002_beat_schedule migration: deletes expired data export files, builds "
    "requests whose task was lost, fails builds that died; once a day, applies the retention periods "
    "(settings.RETENTION_DAYS). The tasks are idempotent."
)


def _interval(apps, minutes: int):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    existing = interval_model.objects.filter(every=minutes, period="minutes").order_by("pk").first()
    return existing or interval_model.objects.create(every=minutes, period="minutes")


def _schedules_changed(apps) -> None:
    """Tell a running DatabaseScheduler to reload (the model's signal does not fire here)."""
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def create_schedules(apps, schema_editor) -> None:
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, minutes) in SCHEDULES.items():
        periodic_task_model.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": _interval(apps, minutes),
                # A missed run is useless once the next one is due: no backlog while workers are down.
                "expire_seconds": minutes * 60,
                "description": DESCRIPTION,
            },
        )
    _schedules_changed(apps)


def remove_schedules(apps, schema_editor) -> None:
    periodic_task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    periodic_task_model.objects.filter(name__in=SCHEDULES).delete()
    minutes = {every for _, every in SCHEDULES.values()}
    interval_model.objects.filter(period="minutes", every__in=minutes, periodictask__isnull=True).delete()
    _schedules_changed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
