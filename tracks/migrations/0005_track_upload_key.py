from django.db import migrations, models


def stage_unconfirmed(apps, schema_editor):
    """Tracks still waiting for their bytes were given URLs to their original key: that is their upload key now."""
    Track = apps.get_model("tracks", "Track")
    waiting = Track.objects.filter(status="awaiting_upload").exclude(original_key="")
    waiting.update(upload_key=models.F("original_key"))
    Track.objects.filter(status="awaiting_upload").update(original_key="")


def unstage(apps, schema_editor):
    Track = apps.get_model("tracks", "Track")
    Track.objects.filter(status="awaiting_upload").exclude(upload_key="").update(original_key=models.F("upload_key"))


class Migration(migrations.Migration):
    dependencies = [("tracks", "0004_processing_sweep_schedule")]

    operations = [
        migrations.AddField(
            model_name="track",
            name="upload_key",
            field=models.CharField(
                blank=True, help_text="The staging key the upload URL writes to; never served.", max_length=500
            ),
        ),
        migrations.AlterField(
            model_name="track",
            name="original_key",
            field=models.CharField(blank=True, help_text="The checked original, once accepted.", max_length=500),
        ),
        migrations.RunPython(stage_unconfirmed, unstage),
    ]
