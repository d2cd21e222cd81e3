from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import egress
from core.api.fields import StrictCharField
from core.jobs import JobStatus
from downloads import services
from downloads.models import Download, TrackState


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 100, "minLength": 1}, {"type": "integer"}]})
class TrackIdField(serializers.Field):
    """SoundCloud's id of the track: text or a whole number (the old front end sent both); kept as text."""

    default_error_messages = {"invalid": "An id is text or a whole number.", "max_length": "At most 100 characters."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text:
            self.fail("invalid")
        if len(text) > 100:
            self.fail("max_length")
        return text

    def to_representation(self, value):
        return value


class TrackInputSerializer(serializers.Serializer):
    id = TrackIdField()
    url = StrictCharField(
        max_length=2000,
        help_text="The track's page: http or https on a host of DOWNLOADS_ALLOWED_HOSTS, else a 400 naming the host.",
    )
    title = StrictCharField(max_length=300)
    artist = StrictCharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_url(self, value: str) -> str:
        # The job's own rules (downloads.fetch checks them again before any request): refused here, a
        # URL the job could never fetch is a 400 naming its track, not a failed track after a wait.
        try:
            egress.check_url(value, services.allowed_hosts())
        except egress.EgressRefused as refused:
            raise serializers.ValidationError(str(refused)) from None
        return value


class DownloadInputSerializer(serializers.Serializer):
    tracks = serializers.ListField(
        child=TrackInputSerializer(),
        min_length=1,
        max_length=settings.DOWNLOADS_MAX_TRACKS,
        help_text=f"1 to DOWNLOADS_MAX_TRACKS ({settings.DOWNLOADS_MAX_TRACKS}) tracks.",
    )


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Tracks finished, fetched or failed.")
    total = serializers.IntegerField()


class FailedTrackSerializer(serializers.Serializer):
    id = serializers.CharField(source="source_id")
    title = serializers.CharField()
    artist = serializers.CharField()
    error = serializers.CharField()


class DownloadedTrackSerializer(serializers.Serializer):
    id = serializers.CharField(source="source_id")
    title = serializers.CharField()
    artist = serializers.CharField()
    file_name = serializers.CharField(help_text="Its name in the zip.")


class TrackStateSerializer(serializers.Serializer):
    id = serializers.CharField(source="source_id")
    title = serializers.CharField()
    artist = serializers.CharField()
    state = serializers.ChoiceField(choices=TrackState.choices)
    error = serializers.CharField()
    file_name = serializers.CharField()
    reused = serializers.BooleanField(help_text="Copied from your recent download of the same URL.")


class DownloadListSerializer(serializers.ModelSerializer):
    """A download in a list: its state and counts, without its tracks or link."""

    status = serializers.ChoiceField(choices=Download.status_choices())
    progress = serializers.SerializerMethodField()
    successful = serializers.SerializerMethodField()
    failed_count = serializers.SerializerMethodField()

    class Meta:
        model = Download
        fields = (
            "id",
            "status",
            "error",
            "progress",
            "total",
            "successful",
            "failed_count",
            "created_at",
            "finished_at",
            "expires_at",
        )
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer())
    def get_progress(self, download) -> dict:
        return {"done": download.finished_count, "total": download.total}

    def get_successful(self, download) -> int:
        return download.successful_count

    def get_failed_count(self, download) -> int:
        return download.failed_tracks_count


class DownloadDetailSerializer(DownloadListSerializer):
    """A download as the old backend answered it, plus its status, progress and each track's state."""

    download_url = serializers.SerializerMethodField(help_text="The zip (a presigned URL); null until done.")
    expires_in = serializers.SerializerMethodField(help_text="Seconds the download_url is valid.")
    failed = serializers.SerializerMethodField()
    tracks_downloaded = serializers.SerializerMethodField()
    tracks = TrackStateSerializer(many=True, read_only=True)

    class Meta(DownloadListSerializer.Meta):
        fields = (
            *DownloadListSerializer.Meta.fields,
            "download_url",
            "expires_in",
            "failed",
            "tracks_downloaded",
            "tracks",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, download) -> str | None:
        return services.download_url(download)

    def get_expires_in(self, download) -> int | None:
        return settings.DOWNLOADS_URL_TTL if download.status == JobStatus.DONE and download.zip_key else None

    @extend_schema_field(FailedTrackSerializer(many=True))
    def get_failed(self, download) -> list:
        rows = [t for t in download.tracks.all() if t.state == TrackState.FAILED]
        return FailedTrackSerializer(rows, many=True).data

    @extend_schema_field(DownloadedTrackSerializer(many=True))
    def get_tracks_downloaded(self, download) -> list:
        rows = [t for t in download.tracks.all() if t.state == TrackState.DONE and t.file_name]
        return DownloadedTrackSerializer(rows, many=True).data
