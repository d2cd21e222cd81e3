"""Reads of the song catalogue, shaped for the API."""

import uuid

from django.db.models import QuerySet

from chants import cache as song_cache
from chants.models import AssetUpload, Song

LIST_FIELDS = (
    "id",
    "title",
    "artist",
    "album",
    "genre",
    "language",
    "duration_seconds",
    "audio",
    "artwork",
    "created_by",
    "created_at",
    "updated_at",
)
DETAIL_FIELDS = (*LIST_FIELDS, "lyrics")


def song_list() -> QuerySet:
    """Rows (dicts) for list pages: no lyrics, no model instances, for speed."""
    return Song.objects.values(*LIST_FIELDS)


def songs() -> QuerySet[Song]:
    """Song instances, for the views that change them."""
    return Song.objects.all()


def song_row(song: Song) -> dict:
    """A song instance as the detail row that song_detail() returns."""
    row = {name: getattr(song, name) for name in DETAIL_FIELDS if name not in ("audio", "artwork", "created_by")}
    row.update(audio=song.audio.name, artwork=song.artwork.name, created_by=song.created_by_id)
    return row


def song_detail(*, song_id, allow_recent: bool = False) -> dict:
    """One song's detail row, from the caches when they have it. Song.DoesNotExist if none.

    allow_recent: a copy up to a second old from this process is good enough (anonymous reads).
    """
    try:
        song_id = str(uuid.UUID(str(song_id)))
    except ValueError as exc:
        raise Song.DoesNotExist(f"{song_id!r} is not a song id") from exc
    cached = song_cache.get_recent(song_id) if allow_recent else None
    if cached is None:
        cached = song_cache.get(song_id)
        if cached is None:
            cached = Song.objects.filter(pk=song_id).values(*DETAIL_FIELDS).first() or song_cache.GONE
            if cached != song_cache.GONE:
                song_cache.add(cached)
        song_cache.remember_locally(song_id, cached)
    if cached == song_cache.GONE:
        raise Song.DoesNotExist(f"song {song_id} does not exist")
    return cached


def asset_uploads_of(*, song_id, user) -> QuerySet[AssetUpload]:
    """A user's own uploads for a song; other people's uploads are invisible."""
    return AssetUpload.objects.filter(song_id=song_id, created_by=user)
