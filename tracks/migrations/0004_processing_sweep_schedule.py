from django.db import migrations

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("tracks", "0003_track_processing_since"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_schedule(
            name="tracks: queue lost transcodes again",
            task="tracks.tasks.tracks_processing_sweep",
            every=1,
            period="hours",
            description="Tracks processing for over an hour get their transcode queued again; after a day they fail.",
        )
    ]
