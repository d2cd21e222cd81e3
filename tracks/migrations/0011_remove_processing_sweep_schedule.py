from django.db import migrations

NAME = "tracks: fail transcodes unfinished after a day"
DESCRIPTION = (
    "Tracks still processing a day after their transcode was queued end failed; "
    "stalled transcodes are re-queued every minute by core: re-queue stalled jobs."
)


def remove(apps, schema_editor):
    # core.jobs gives up on any job after JOB_MAX_ATTEMPTS lost workers: no per-app deadline.
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task="tracks.tasks.tracks_processing_sweep"
    ).delete()


def restore(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "tracks.tasks.tracks_processing_sweep", "interval": interval, "description": DESCRIPTION},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracks", "0010_job_attempts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(remove, restore)]
