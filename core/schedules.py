"""Periodic jobs as django-celery-beat rows, created by data migrations so the admin shows and edits them.

`interval_schedule` for "every N minutes/hours/days"; `crontab_schedule` for a wall-clock time in
UTC ("the 1st of each month at 00:00", "Sundays at 00:00").

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


def crontab_schedule(
    *,
    name: str,
    task: str,
    description: str,
    minute: str = "0",
    hour: str = "0",
    day_of_week: str = "*",
    day_of_month: str = "*",
    month_of_year: str = "*",
) -> migrations.RunPython:
    """A RunPython operation that adds the beat entry `name` running `task` at a crontab time in UTC."""

    def create(apps, schema_editor):
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
