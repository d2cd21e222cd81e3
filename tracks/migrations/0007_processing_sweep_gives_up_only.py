from django.db import migrations

NAME = "tracks: queue lost transcodes again"
RENAMED = "tracks: fail transcodes unfinished after a day"


def rename(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).update(
        name=RENAMED,
        description="Tracks still processing a day after their transcode was queued end failed; "
        "stalled transcodes are re-queued every minute by core: re-queue stalled jobs.",
    )


def rename_back(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=RENAMED).update(name=NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("tracks", "0006_job_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
