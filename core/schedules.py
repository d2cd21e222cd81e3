"""Periodic jobs as django-celery-beat rows, created by data migrations so the admin shows and edits them.

    operations = [interval_schedule(name="app: what it does", task="app.tasks.x", every=1, period="hours",
                                    description="...")]

The migration must depend on ("django_celery_beat", "0019_alter_periodictasks_options"). An entry
an operator already changed keeps its changes (get_or_create), and unapplying removes it.
"""

from django.db import migrations


def interval_schedule(*, name: str, task: str, every: int, period: str, description: str) -> migrations.RunPython:
    """A RunPython operation that adds the beat entry `name` running `task` every `every` `period`."""

    def create(apps, schema_editor):
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "description": description}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
