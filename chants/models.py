import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Upper

from core import media
from core.jobs import Job, JobStatus, job_status_field
from core.storage import new_object_key


def asset_key(owner_id, song_id, kind: str, content_type: str) -> str:
    """A fresh key for a checked asset of a song; its extension comes from the checked type."""
    extension = media.extension_for(content_type)
    return new_object_key(owner_id or "catalogue", "chants", str(song_id), kind, extension=extension)


def _asset_key(kind: str):
    # For files saved through the admin's FileFields: SongAdminForm has checked the file and
    # named it "<kind><checked extension>", so the extension here is the checked one.
    def upload_to(song: "Song", file_name: str) -> str:
        return asset_key(song.created_by_id, song.pk, kind, media.served_type(file_name).content_type)

    upload_to.__name__ = f"{kind}_upload_to"
    upload_to.__qualname__ = upload_to.__name__
    return upload_to


audio_upload_to = _asset_key("audio")
artwork_upload_to = _asset_key("artwork")


class AssetKind(models.TextChoices):
    AUDIO = "audio", "Audio"
    ARTWORK = "artwork", "Artwork"


class Song(models.Model):
    """A song of the public catalogue, with optional audio and artwork objects in storage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300, blank=True)
    album = models.CharField(max_length=300, blank=True)
    genre = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=64, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    lyrics = models.TextField(blank=True)
    audio = models.FileField(upload_to=audio_upload_to, max_length=500, blank=True)
    artwork = models.FileField(upload_to=artwork_upload_to, max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="songs",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("title", "id")
        indexes = [
            models.Index(fields=["title", "id"], name="song_title_idx"),
            models.Index(Upper("artist"), name="song_artist_upper_idx"),
            models.Index(Upper("album"), name="song_album_upper_idx"),
            models.Index(Upper("genre"), name="song_genre_upper_idx"),
            models.Index(Upper("language"), name="song_language_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_seconds__isnull=True) | models.Q(duration_seconds__gte=0),
                name="song_duration_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist} - {self.title}" if self.artist else self.title


class AssetUpload(Job):
    """One upload of an audio or artwork file for a song, from presigned URL to checked object.

    The song keeps its current asset until an upload is checked and promoted, so an
    abandoned or bad upload never costs the song the file it had.
    """

    Status = JobStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="asset_uploads")
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(
        max_length=100, help_text="As declared when the upload started; once ready, as the check found it."
    )
    upload_key = models.CharField(
        max_length=500, unique=True, help_text="The staging key the upload URL writes to; never served."
    )
    key = models.CharField(max_length=500, blank=True, help_text="The checked object's key, once ready.")
    size = models.BigIntegerField(null=True, blank=True)
    status = job_status_field(
        Status.AWAITING_UPLOAD,
        Status.PROCESSING,
        Status.READY,
        Status.FAILED,
        Status.REPLACED,
        default=Status.AWAITING_UPLOAD,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="song_asset_uploads"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["song", "created_by", "-created_at"], name="upload_song_owner_idx")]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="asset_upload_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} upload {self.file_name} ({self.status})"
