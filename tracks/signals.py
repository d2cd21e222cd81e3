"""Events other apps can follow without the track library knowing about them."""

from django.dispatch import Signal

# Sent after the commit that made a track `ready`, with `track_id`.
track_ready = Signal()
