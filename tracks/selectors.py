"""Reads of a DJ's own library, shaped for the API."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from core import storage
from core.errors import NotFound
from tracks import files
from tracks.models import Track


def tracks_of(*, owner) -> QuerySet[Track]:
    """The owner's tracks; nobody else's exist as far as the API is concerned."""
    return Track.objects.filter(owner=owner)


def track_with_details(*, owner) -> QuerySet[Track]:
    return tracks_of(owner=owner).select_related("details")


def track_id_named(*, owner, file_name: str) -> uuid.UUID:
    """The id of the owner's track with this file name; NotFound when there is none."""
    track_id = tracks_of(owner=owner).filter(file_name=file_name).values_list("pk", flat=True).first()
    if track_id is None:
        raise NotFound(f"No track of yours has the file name {file_name!r}.")
    return track_id


def ready_tracks_of(*, owner, ids=None) -> QuerySet[Track]:
    tracks = tracks_of(owner=owner).filter(status=Track.Status.READY)
    if ids:
        tracks = tracks.filter(pk__in=ids)
    return tracks.order_by("file_name", "id")


@dataclass(frozen=True)
class DownloadUrls:
    track_id: uuid.UUID
    file_name: str
    mp3_url: str
    original_url: str | None
    artwork_url: str | None
    expires_in: int


def original_url(track: Track) -> str | None:
    """A presigned URL of the uploaded original, saved under the track's own file name; None without one.

    Served with the type its check found (the key's extension, core.media) and as an attachment.
    The project serves audio inline when no name is asked for, so a player can stream it; this
    link exists to get the file back, so it is a download, under the name the user uploaded.
    """
    if not track.original_key:
        return None
    name = track.file_name or track.original_key.rsplit("/", 1)[-1]  # a ready track always has a file name
    return storage.presigned_download(track.original_key, filename=name)


def download_urls_of(tracks) -> list[DownloadUrls]:
    """Presigned MP3 (named `<original name>.mp3`), original and artwork URLs of ready tracks."""
    return [
        DownloadUrls(
            track_id=track.pk,
            file_name=track.file_name,
            mp3_url=storage.presigned_download(
                track.mp3_key, filename=files.download_name(track.file_name, track.name)
            ),
            original_url=original_url(track),
            artwork_url=storage.presigned_download(track.artwork_key) if track.artwork_key else None,
            expires_in=settings.PRESIGNED_URL_EXPIRES,
        )
        for track in tracks
    ]
