from django.db import migrations, models


class Migration(migrations.Migration):
    """AssetUpload uses core.jobs.Job: completed_at becomes finished_at."""

    dependencies = [("chants", "0007_job_heartbeat")]

    operations = [
        migrations.RenameField("assetupload", "completed_at", "finished_at"),
        migrations.AlterField(
            model_name="assetupload",
            name="error",
            field=models.TextField(blank=True, help_text="Why the job failed, in words its user can act on."),
        ),
        migrations.AlterField(
            model_name="assetupload",
            name="finished_at",
            field=models.DateTimeField(blank=True, help_text="When the job ended, ready or failed.", null=True),
        ),
        migrations.AlterField(
            model_name="assetupload",
            name="queued_at",
            field=models.DateTimeField(blank=True, help_text="When the job was last handed to a worker.", null=True),
        ),
    ]
