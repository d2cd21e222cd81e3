from django.db import migrations, models


class Migration(migrations.Migration):
    """Track's transcode uses core.jobs.Job: processing_since becomes queued_at, and finished_at is new."""

    dependencies = [("tracks", "0007_processing_sweep_gives_up_only")]

    operations = [
        migrations.RenameField("track", "processing_since", "queued_at"),
        migrations.AddField(
            model_name="track",
            name="finished_at",
            field=models.DateTimeField(blank=True, help_text="When the job ended, ready or failed.", null=True),
        ),
        migrations.AlterField(
            model_name="track",
            name="error",
            field=models.TextField(blank=True, help_text="Why the job failed, in words its user can act on."),
        ),
        migrations.AlterField(
            model_name="track",
            name="queued_at",
            field=models.DateTimeField(blank=True, help_text="When the job was last handed to a worker.", null=True),
        ),
    ]
