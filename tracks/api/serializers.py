import uuid

from rest_framework import serializers

from core.api.fields import StrictCharField
from core.api.params import UUID_PATTERN
from tracks.models import Track, TrackDetails

MAX_FILES = 100
# A desktop sync confirms a whole batch of uploads at once.
MAX_CONFIRMATIONS = 500
# `?ids=` of download-urls: track ids separated by commas, spaces allowed around them. (It may also be
# empty, allow_blank: spectacular declares that as oneOf this pattern or "", so the pattern must not match "".)
IDS_PATTERN = rf"^ *{UUID_PATTERN} *(?:, *{UUID_PATTERN} *)*\Z"


class UploadFileInputSerializer(serializers.Serializer):
    file_name = StrictCharField(max_length=255)
    content_type = StrictCharField(max_length=100)
    size = serializers.IntegerField(min_value=0, required=False)


def _unique_names(files: list[dict]) -> list[dict]:
    names = [item["file_name"] for item in files]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise serializers.ValidationError(f"Each file may appear once; repeated: {', '.join(repeated)}.")
    return files


class UploadInputSerializer(serializers.Serializer):
    # A ListField, not many=True: spectacular then declares minItems and maxItems.
    files = serializers.ListField(child=UploadFileInputSerializer(), min_length=1, max_length=MAX_FILES)

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


class ConfirmFileInputSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = StrictCharField(max_length=255)
    key = StrictCharField(max_length=500)


class ConfirmInputSerializer(serializers.Serializer):
    files = serializers.ListField(child=ConfirmFileInputSerializer(), min_length=1, max_length=MAX_CONFIRMATIONS)

    def validate_files(self, files):
        ids = [item["track_id"] for item in files]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each track may appear once.")
        return files


DUPLICATE_OF_HELP = "The track of your library that already holds the same bytes, when that failed this one."


class ConfirmResultSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = serializers.CharField()
    status = serializers.ChoiceField(choices=Track.status_choices())
    error = serializers.CharField(allow_blank=True)
    duplicate_of = serializers.UUIDField(allow_null=True, help_text=DUPLICATE_OF_HELP)


class ConfirmResultsSerializer(serializers.Serializer):
    tracks = ConfirmResultSerializer(many=True)


class DirectUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    name = StrictCharField(max_length=500, required=False, allow_blank=True)
    artist = StrictCharField(max_length=500, required=False, allow_blank=True)


class TrackMp3Serializer(serializers.Serializer):
    """The MP3 a track is played and downloaded as: the original itself when it is an MP3, else its transcode."""

    format = serializers.CharField(help_text='Always "mp3".')
    bitrate = serializers.IntegerField(
        source="mp3_bitrate", allow_null=True, help_text="In kbps: 320 for a transcode, as its check measured it."
    )
    sample_rate = serializers.IntegerField(source="mp3_sample_rate", allow_null=True, help_text="In Hz.")
    channels = serializers.IntegerField(source="mp3_channels", allow_null=True)

    def to_representation(self, track: Track) -> dict | None:
        if not track.mp3_key:
            return None
        return {
            "format": "mp3",
            "bitrate": track.mp3_bitrate,
            "sample_rate": track.mp3_sample_rate,
            "channels": track.mp3_channels,
        }


class TrackSerializer(serializers.ModelSerializer):
    """A track. `format`, `bitrate`, `sample_rate` and `channels` are the original's; `mp3` is what is served."""

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
            "mp3",
            "file_name",
            "size",
            "status",
            "error",
            "duplicate_of",
            "has_artwork",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    has_artwork = serializers.SerializerMethodField()
    duplicate_of = serializers.UUIDField(
        source="duplicate_of_id", allow_null=True, read_only=True, help_text=DUPLICATE_OF_HELP
    )
    mp3 = TrackMp3Serializer(
        source="*", allow_null=True, read_only=True, help_text="The MP3 served; null while there is none."
    )

    def get_has_artwork(self, track: Track) -> bool:
        return bool(track.artwork_key)


class TrackDetailsSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackDetails
        exclude = ("track",)


class TrackDetailSerializer(TrackSerializer):
    details = TrackDetailsSerializer(allow_null=True, read_only=True)

    class Meta(TrackSerializer.Meta):
        fields = (*TrackSerializer.Meta.fields, "sha256", "details")
        read_only_fields = fields


class TrackUpdateInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=500, allow_blank=True)
    artist = StrictCharField(max_length=500, allow_blank=True, required=False)


class TrackItemInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=500)
    artist = StrictCharField(max_length=500, required=False, allow_blank=True)


class LookupQuerySerializer(serializers.Serializer):
    file_name = serializers.CharField(max_length=255, trim_whitespace=False)


class LookupSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()


class DownloadUrlsQuerySerializer(serializers.Serializer):
    ids = serializers.RegexField(
        IDS_PATTERN,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Comma-separated track ids to limit the answer to.",
        error_messages={"invalid": "Give track ids (UUIDs) separated by commas."},
    )

    def validate_ids(self, value: str) -> list[str]:
        return [str(uuid.UUID(part.strip())) for part in value.split(",")] if value else []

    def to_internal_value(self, data):
        return {"ids": [], **super().to_internal_value(data)}


class DownloadUrlSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    file_name = serializers.CharField()
    mp3_url = serializers.URLField()
    original_url = serializers.URLField(
        allow_null=True,
        help_text="The file as it was uploaded, byte for byte: served as an attachment named `file_name`, with the "
        "audio type its check found (the MP3 itself for an MP3 upload); null while the track has no original.",
    )
    artwork_url = serializers.URLField(allow_null=True)
    expires_in = serializers.IntegerField()


class DownloadUrlPageSerializer(serializers.Serializer):
    """A page of download URLs: the paginator's fields, with the items under `tracks`."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    tracks = DownloadUrlSerializer(many=True)
