from django.db import migrations

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_user_username_folded"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        interval_schedule(
            name="core: flush expired refresh tokens",
            task="core.tasks.expired_tokens_flush",
            every=1,
            period="days",
            description="Each refresh lists a new token and blacklists the old one; expired ones are removed.",
        )
    ]
