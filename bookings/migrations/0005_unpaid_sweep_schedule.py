"""The bookings sweep that cancels unpaid lessons at their deadline (it was a step of the payments
sweep: bookings decide, payments move money).

Idempotent: tasks are found by name (get_or_create) and interval schedules by value, so running
it again, or on a database where ops already made or tuned these rows, creates nothing twice
and leaves their changes alone. Reversing removes the tasks, and the interval schedules they
used if nothing else uses them.
"""

from django.db import migrations
from django.utils import timezone

# PeriodicTask name -> (task, every N minutes). A frozen copy: migrations never import app code.
SCHEDULES = {
    "bookings: cancel unpaid lessons": ("bookings.tasks.cancel_unpaid_lessons", 1),
}
DESCRIPTION = "Created by the bookings/0005_unpaid_sweep_schedule migration. The task is idempotent."


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
        interval = _interval(apps, minutes)
        periodic_task_model.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": interval,
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
        ("bookings", "0004_payment_details"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
