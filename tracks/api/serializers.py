from rest_framework import serializers

from tracks.models import Track, TrackDetails

MAX_FILES = 100
# A desktop sync confirms a whole batch of uploads at once.
MAX_CONFIRMATIONS = 500


class UploadRequestFileSerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=100)
    size = serializers.IntegerField(min_value=0, required=False)


def _unique_names(files: list[dict]) -> list[dict]:
    names = [item["file_name"] for item in files]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise serializers.ValidationError(f"Each file may appear once; repeated: {', '.join(repeated)}.")
    return files


class UploadRequestSerializer(serializers.Serializer):
    files = UploadRequestFileSerializer(many=True, allow_empty=False, max_length=MAX_FILES)

    def validate_files(self, files):
        return _unique_names(files)


class UploadSlotSerializer(serializers.Serializer):
    track_id = serializers.UUIDField(source="track.pk")
    file_name = serializers.CharField(source="track.file_name")
    key = serializers.CharField(
        source="track.upload_key", help_text="The staging key the upload URL writes to; confirm with it."
    )
    upload_url = serializers.URLField(source="upload.url")
    method = serializers.CharField(source="upload.method")
    headers = serializers.DictField(child=serializers.CharField(), source="upload.headers")
    expires_in = serializers.IntegerField(source="upload.expires_in")


class UploadSlotsSerializer(serializers.Serializer):
    uploads = UploadSlotSerializer(many=True)


class ConfirmFileSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = serializers.CharField(max_length=255)
    key = serializers.CharField(max_length=500)


class ConfirmRequestSerializer(serializers.Serializer):
    files = ConfirmFileSerializer(many=True, allow_empty=False, max_length=MAX_CONFIRMATIONS)

    def validate_files(self, files):
        ids = [item["track_id"] for item in files]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each track may appear once.")
        return files


class ConfirmResultSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = serializers.CharField()
    status = serializers.ChoiceField(choices=[*Track.Status.values, "duplicate"])
    error = serializers.CharField(allow_blank=True)
    duplicate_of = serializers.UUIDField(allow_null=True)


class ConfirmResultsSerializer(serializers.Serializer):
    tracks = ConfirmResultSerializer(many=True)


class DirectUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    name = serializers.CharField(max_length=500, required=False, allow_blank=True)
    artist = serializers.CharField(max_length=500, required=False, allow_blank=True)


class TrackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Track
        fields = (
            "id",
            "name",
            "artist",
            "album",
            "genre",
            "year",
            "bpm",
            "musical_key",
            "duration_seconds",
            "bitrate",
            "sample_rate",
            "channels",
            "format",
            "file_name",
            "size",
            "status",
            "error",
            "has_artwork",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    has_artwork = serializers.SerializerMethodField()

    def get_has_artwork(self, track: Track) -> bool:
        return bool(track.artwork_key)


class TrackDetailsSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackDetails
        exclude = ("track",)


class TrackDetailSerializer(TrackSerializer):
    details = TrackDetailsSerializer(read_only=True, allow_null=True)
    sha256 = serializers.CharField(read_only=True)

    class Meta(TrackSerializer.Meta):
        fields = (*TrackSerializer.Meta.fields, "sha256", "details")
        read_only_fields = fields


class TrackUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500, allow_blank=True)
    artist = serializers.CharField(max_length=500, allow_blank=True, required=False)


class TrackItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    artist = serializers.CharField(max_length=500, required=False, allow_blank=True)


class LookupQuerySerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=255, trim_whitespace=False)


class LookupSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()


class DownloadUrlSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = serializers.CharField()
    mp3_url = serializers.URLField()
    artwork_url = serializers.URLField(allow_null=True)
    expires_in = serializers.IntegerField()
