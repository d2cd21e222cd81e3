from django.db import migrations, models


def split_keys(apps, schema_editor):
    """Uploads so far PUT straight to their key: that key is their upload key, and their final key only once checked."""
    AssetUpload = apps.get_model("chants", "AssetUpload")
    AssetUpload.objects.update(upload_key=models.F("key"))
    AssetUpload.objects.exclude(status__in=["ready", "replaced"]).update(key="")


def join_keys(apps, schema_editor):
    AssetUpload = apps.get_model("chants", "AssetUpload")
    AssetUpload.objects.filter(key="").update(key=models.F("upload_key"))


class Migration(migrations.Migration):
    dependencies = [("chants", "0004_assetupload_queued_at")]

    operations = [
        migrations.AddField(
            model_name="assetupload",
            name="upload_key",
            field=models.CharField(default="", max_length=500),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="assetupload",
            name="key",
            field=models.CharField(blank=True, help_text="The checked object's key, once ready.", max_length=500),
        ),
        migrations.RunPython(split_keys, join_keys),
    ]
