import os

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chants.models import AssetKind, AssetUpload, Song
from core import storage


class SongInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    artist = serializers.CharField(max_length=300, required=False, allow_blank=True)
    album = serializers.CharField(max_length=300, required=False, allow_blank=True)
    genre = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.CharField(max_length=64, required=False, allow_blank=True)
    duration_seconds = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=24 * 3600
    )
    lyrics = serializers.CharField(required=False, allow_blank=True, max_length=100_000, trim_whitespace=False)


class SongListSerializer(serializers.ModelSerializer):
    has_audio = serializers.SerializerMethodField()
    has_artwork = serializers.SerializerMethodField()

    class Meta:
        model = Song
        fields = (
            "id",
            "title",
            "artist",
            "album",
            "genre",
            "language",
            "duration_seconds",
            "has_audio",
            "has_artwork",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_has_audio(self, song: Song) -> bool:
        return bool(song.audio.name)

    def get_has_artwork(self, song: Song) -> bool:
        return bool(song.artwork.name)


def _download_url(field) -> str | None:
    if not field.name:
        return None
    base = os.path.basename(field.name)
    # Keys are "<hex>-<file name>": offer the file under the name it was uploaded with.
    file_name = base.split("-", 1)[1] if "-" in base else base
    return storage.presigned_download(field.name, filename=file_name)


class SongDetailSerializer(SongListSerializer):
    audio_url = serializers.SerializerMethodField()
    artwork_url = serializers.SerializerMethodField()

    class Meta(SongListSerializer.Meta):
        fields = SongListSerializer.Meta.fields + ("lyrics", "audio_url", "artwork_url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_audio_url(self, song: Song) -> str | None:
        return _download_url(song.audio)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_artwork_url(self, song: Song) -> str | None:
        return _download_url(song.artwork)


class AssetUploadInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    file_name = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100)


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
            "completed_at",
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
