from django.db import migrations

from core.schedules import crontab_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("wrapped", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        crontab_schedule(
            name="wrapped: monthly Wrapped",
            task="wrapped.tasks.wrapped_monthly",
            day_of_month="1",
            description="The 1st at 00:00 UTC: every enrolled account's Wrapped of the month that ended.",
        ),
        crontab_schedule(
            name="wrapped: weekly release radar",
            task="wrapped.tasks.release_radar_weekly",
            day_of_week="0",
            description="Sundays at 00:00 UTC: every enrolled account's new releases of the 7 days before.",
        ),
    ]
