from rest_framework import serializers

from chants.models import AssetKind, AssetUpload
from core import storage
from core.api.fields import StrictCharField, StrictFloatField
from core.formats import iso_datetime


class SongInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=300)
    artist = StrictCharField(max_length=300, required=False, allow_blank=True)
    album = StrictCharField(max_length=300, required=False, allow_blank=True)
    genre = StrictCharField(max_length=100, required=False, allow_blank=True)
    language = StrictCharField(max_length=64, required=False, allow_blank=True)
    duration_seconds = StrictFloatField(required=False, allow_null=True, min_value=0, max_value=24 * 3600)
    lyrics = StrictCharField(required=False, allow_blank=True, max_length=100_000, trim_whitespace=False)


class SongListSerializer(serializers.Serializer):
    """A song in list pages.

    The fields declare the API (schema, browsable API); the output is built by hand
    from the row that selectors.song_list() shapes, because DRF's per-field machinery
    cost more than the SQL on the catalogue's hottest page. tests/chants/test_serializers.py
    checks the output against the declared fields.
    """

    id = serializers.UUIDField(read_only=True)
    title = serializers.CharField(read_only=True)
    artist = serializers.CharField(read_only=True)
    album = serializers.CharField(read_only=True)
    genre = serializers.CharField(read_only=True)
    language = serializers.CharField(read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    has_audio = serializers.BooleanField(read_only=True)
    has_artwork = serializers.BooleanField(read_only=True)
    created_by = serializers.UUIDField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, row: dict) -> dict:
        created_by = row["created_by"]
        return {
            "id": str(row["id"]),
            "title": row["title"],
            "artist": row["artist"],
            "album": row["album"],
            "genre": row["genre"],
            "language": row["language"],
            "duration_seconds": row["duration_seconds"],
            "has_audio": bool(row["audio"]),
            "has_artwork": bool(row["artwork"]),
            "created_by": str(created_by) if created_by else None,
            "created_at": iso_datetime(row["created_at"]),
            "updated_at": iso_datetime(row["updated_at"]),
        }


def _download_url(key: str) -> str | None:
    # Audio and artwork are served inline (players and <img> use them); the type comes from the key.
    return storage.shared_download_url(key) if key else None


class SongDetailSerializer(SongListSerializer):
    """A song with its lyrics and short-lived download URLs for its assets."""

    lyrics = serializers.CharField(read_only=True)
    audio_url = serializers.URLField(read_only=True, allow_null=True)
    artwork_url = serializers.URLField(read_only=True, allow_null=True)

    def to_representation(self, row: dict) -> dict:
        """From selectors.song_detail()'s row (or selectors.song_row(song))."""
        return {
            **super().to_representation(row),
            "lyrics": row["lyrics"],
            "audio_url": _download_url(row["audio"]),
            "artwork_url": _download_url(row["artwork"]),
        }


class AssetUploadInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    file_name = StrictCharField(max_length=255)
    content_type = StrictCharField(max_length=100)


class AssetUploadSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetUpload
        fields = (
            "id",
            "song",
            "kind",
            "file_name",
            "content_type",
            "key",
            "size",
            "status",
            "error",
            "created_at",
            "queued_at",
            "finished_at",
        )
        read_only_fields = fields


class AssetUploadStartedSerializer(AssetUploadSerializer):
    upload_url = serializers.URLField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    expires_in = serializers.IntegerField()

    class Meta(AssetUploadSerializer.Meta):
        fields = AssetUploadSerializer.Meta.fields + ("upload_url", "method", "headers", "expires_in")
        read_only_fields = fields

    def to_representation(self, started) -> dict:
        """From services.asset_upload_start()'s (upload, presigned upload) pair."""
        upload, presigned = started
        return {
            **AssetUploadSerializer(upload).data,
            "upload_url": presigned.url,
            "method": presigned.method,
            "headers": presigned.headers,
            "expires_in": presigned.expires_in,
        }
