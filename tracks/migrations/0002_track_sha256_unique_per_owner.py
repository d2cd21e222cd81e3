from django.conf import settings
from django.db import migrations, models


def fail_later_twins(apps, schema_editor):
    """Before the constraint: when an owner kept the same bytes twice (two confirms at once), the oldest
    track keeps them and the later ones are marked failed, saying where the bytes are. Nothing is deleted."""
    Track = apps.get_model("tracks", "Track")
    kept = Track.objects.filter(status__in=["processing", "ready"]).exclude(sha256="")
    twins = kept.values("owner_id", "sha256").annotate(count=models.Count("id")).filter(count__gt=1)
    for group in twins:
        first, *later = kept.filter(owner_id=group["owner_id"], sha256=group["sha256"]).order_by("created_at", "id")
        for track in later:
            track.status = "failed"
            track.error = f"These bytes are already in your library as {first.file_name!r} (track {first.pk})."
            track.save(update_fields=["status", "error"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracks", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(fail_later_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="track",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["processing", "ready"]), models.Q(("sha256", ""), _negated=True)),
                fields=("owner", "sha256"),
                name="track_sha256_unique_per_owner",
            ),
        ),
    ]
