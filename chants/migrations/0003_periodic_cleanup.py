from django.db import migrations

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("chants", "0002_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_schedule(
            name="chants: expire unfinished song asset uploads",
            task="chants.tasks.asset_uploads_expire",
            every=1,
            period="hours",
            description="Uploads never finished fail after a day.",
        )
    ]
