"""Reads of a DJ's own library, shaped for the API."""

from django.db.models import QuerySet

from tracks.models import Track


def tracks_of(*, owner) -> QuerySet[Track]:
    """The owner's tracks; nobody else's exist as far as the API is concerned."""
    return Track.objects.filter(owner=owner)


def track_with_details(*, owner) -> QuerySet[Track]:
    return tracks_of(owner=owner).select_related("details")


def ready_tracks_of(*, owner, ids=None) -> QuerySet[Track]:
    tracks = tracks_of(owner=owner).filter(status=Track.Status.READY)
    if ids:
        tracks = tracks.filter(pk__in=ids)
    return tracks.order_by("file_name", "id")
