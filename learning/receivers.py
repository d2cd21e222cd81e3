from django.dispatch import receiver

from tracks.models import Track
from tracks.signals import track_ready


@receiver(track_ready, sender=Track)
def _card_for_ready_track(sender, track_id, **kwargs) -> None:
    from learning.services import card_create_for_track

    card_create_for_track(track_id=track_id)
