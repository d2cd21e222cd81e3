from django.db import migrations, models
from django.db.models import Case, F, When

MP3_BITRATE_KBPS = 320


def _target_sample_rate(source_rate: int | None) -> int:
    """tracks.transcode.target_sample_rate as every transcode before this migration applied it (frozen here)."""
    if not source_rate or source_rate <= 0:
        return 44100
    if source_rate in (44100, 48000, 32000):
        return source_rate
    for family in (44100, 48000):
        if source_rate % family == 0 or family % source_rate == 0:
            return family
    return 44100


def describe_served_mp3s(apps, schema_editor):
    """Ready tracks made before the MP3 was described: what their MP3 is, as far as the row tells.

    An MP3 served as uploaded (mp3_key is the original's key) has the original's properties. A
    transcode was checked to be 320 kbps CBR at the rate the transcode targets, with the original's
    channels (more than two were downmixed to stereo). Rows already described are left alone.
    """
    Track = apps.get_model("tracks", "Track")
    undescribed = Track.objects.filter(status="ready", mp3_bitrate__isnull=True).exclude(mp3_key="")
    undescribed.filter(mp3_key=F("original_key")).update(
        mp3_bitrate=F("bitrate"), mp3_sample_rate=F("sample_rate"), mp3_channels=F("channels")
    )
    transcoded = undescribed.exclude(mp3_key=F("original_key"))
    for rate in list(transcoded.order_by().values_list("sample_rate", flat=True).distinct()):
        at_rate = {"sample_rate": rate} if rate is not None else {"sample_rate__isnull": True}
        transcoded.filter(**at_rate).update(
            mp3_bitrate=MP3_BITRATE_KBPS,
            mp3_sample_rate=_target_sample_rate(rate),
            mp3_channels=Case(
                When(channels__gt=2, then=2), default=F("channels"), output_field=models.PositiveSmallIntegerField()
            ),
        )


class Migration(migrations.Migration):
    """What the MP3 served is (mp3_bitrate, mp3_sample_rate, mp3_channels); format, bitrate,
    sample_rate and channels stay the original's."""

    dependencies = [("tracks", "0008_track_job_fields")]

    operations = [
        migrations.AddField(
            model_name="track",
            name="mp3_bitrate",
            field=models.PositiveIntegerField(blank=True, help_text="Of the MP3 served, in kbps.", null=True),
        ),
        migrations.AddField(
            model_name="track",
            name="mp3_channels",
            field=models.PositiveSmallIntegerField(blank=True, help_text="Of the MP3 served.", null=True),
        ),
        migrations.AddField(
            model_name="track",
            name="mp3_sample_rate",
            field=models.PositiveIntegerField(blank=True, help_text="Of the MP3 served, in Hz.", null=True),
        ),
        migrations.AlterField(
            model_name="track",
            name="channels",
            field=models.PositiveSmallIntegerField(blank=True, help_text="Of the original.", null=True),
        ),
        migrations.AlterField(
            model_name="track",
            name="format",
            field=models.CharField(blank=True, help_text="Of the original (mp3, flac, wav, ...).", max_length=16),
        ),
        migrations.AlterField(
            model_name="track",
            name="sample_rate",
            field=models.PositiveIntegerField(blank=True, help_text="Of the original, in Hz.", null=True),
        ),
        migrations.RunPython(describe_served_mp3s, migrations.RunPython.noop),
    ]
