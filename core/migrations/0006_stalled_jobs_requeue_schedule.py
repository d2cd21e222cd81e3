from django.db import migrations

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_expired_tokens_flush_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_schedule(
            name="core: re-queue stalled jobs",
            task="core.tasks.stalled_jobs_requeue",
            every=1,
            period="minutes",
            description="Jobs whose worker died (no heartbeat for JOB_STALLED_AFTER_SECONDS) go back to their task.",
        )
    ]
