from django.db import migrations, models

from core.schedules import interval_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_user_username_unique_any_case"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="StagedObject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=500, unique=True)),
                (
                    "expires_at",
                    models.DateTimeField(
                        db_index=True, help_text="When the last URL that can write to the key expires."
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        interval_schedule(
            name="core: sweep expired staged uploads",
            task="core.tasks.staged_objects_sweep",
            every=1,
            period="hours",
            description="Deletes bytes PUT to upload URLs that were never completed, or came after completion "
            "or deletion, once the URL has expired and the retention has passed.",
        ),
    ]
