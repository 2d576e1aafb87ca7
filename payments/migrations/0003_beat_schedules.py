"""The payments beat schedule (django-celery-beat's DatabaseScheduler reads it).

Idempotent: the task is found by name (get_or_create) and the interval schedule by value (the
1-minute one the bookings and messaging schedules already use), so running it again, or on a
database where ops already made or tuned the row, creates nothing twice and leaves their changes
alone. Reversing removes the task, and the interval if nothing else uses it.
"""

from django.db import migrations
from django.utils import timezone

# PeriodicTask name -> (task, every N minutes). A frozen copy: migrations never import app code.
SCHEDULES = {
    "payments: advance payments": ("payments.tasks.advance_payments", 1),
}
DESCRIPTION = (
    "Created by the payments/0003_beat_schedules migration: authorize, capture, transfer, chase unpaid "
    "lessons and resolve reschedule locks. The task is idempotent."
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
        ("payments", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
