"""Reads of the song catalogue, shaped for the API."""

from django.db.models import QuerySet

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


def song_list() -> QuerySet[Song]:
    """Songs for list pages: lyrics stay in the database until a detail asks for them."""
    return Song.objects.only(*LIST_FIELDS)


def song_detail() -> QuerySet[Song]:
    return Song.objects.all()


def asset_uploads_of(*, song_id, user) -> QuerySet[AssetUpload]:
    """A user's own uploads for a song; other people's uploads are invisible."""
    return AssetUpload.objects.filter(song_id=song_id, created_by=user)
