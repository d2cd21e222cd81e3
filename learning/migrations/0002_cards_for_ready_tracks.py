from django.db import migrations
from django.utils import timezone


def create_cards(apps, schema_editor):
    """Cards for the tracks that were ready before Guess The Track shipped: due at once."""
    Track = apps.get_model("tracks", "Track")
    Card = apps.get_model("learning", "Card")
    now = timezone.now()
    ready = Track.objects.filter(status="ready", card__isnull=True).values_list("pk", "owner_id")
    batch = [Card(track_id=track_id, user_id=owner_id, due_at=now) for track_id, owner_id in ready.iterator()]
    Card.objects.bulk_create(batch, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_initial"),
        ("tracks", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_cards, migrations.RunPython.noop)]
