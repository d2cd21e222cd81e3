from django.db import migrations

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("downloads", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_schedule(
            name="downloads: delete expired zips",
            task="downloads.tasks.downloads_expire",
            every=10,
            period="minutes",
            description="Zips and MP3s past DOWNLOADS_RETENTION_HOURS are deleted; their downloads become expired.",
        )
    ]
