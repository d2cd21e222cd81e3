from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0005: PostgreSQL does not alter a table in the transaction that updated its rows.
    dependencies = [("chants", "0005_assetupload_staging")]

    operations = [
        migrations.AlterField(
            model_name="assetupload",
            name="upload_key",
            field=models.CharField(
                help_text="The staging key the upload URL writes to; never served.", max_length=500, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="assetupload",
            name="content_type",
            field=models.CharField(
                help_text="As declared when the upload started; once ready, as the check found it.", max_length=100
            ),
        ),
        migrations.AddConstraint(
            model_name="assetupload",
            constraint=models.UniqueConstraint(
                condition=models.Q(("key", ""), _negated=True), fields=("key",), name="asset_upload_key_unique"
            ),
        ),
    ]
