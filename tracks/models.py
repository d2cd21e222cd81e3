import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.jobs import Job, JobStatus, job_status_field


class Track(Job):
    """A track of a DJ's library: the original file, its MP3 for playback, its cover art.

    Its job (queued_at: when it went to processing) is the confirmed upload's: the staged file
    copied, hashed and read, then, in a second run of the same task, its transcode to MP3.
    """

    Status = JobStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=500, blank=True)
    artist = models.CharField(max_length=500, blank=True)
    album = models.CharField(max_length=500, blank=True)
    genre = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    bpm = models.FloatField(null=True, blank=True)
    musical_key = models.CharField(max_length=16, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    bitrate = models.PositiveIntegerField(null=True, blank=True, help_text="Of the original, in kbps.")
    sample_rate = models.PositiveIntegerField(null=True, blank=True, help_text="Of the original, in Hz.")
    channels = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Of the original.")
    format = models.CharField(max_length=16, blank=True, help_text="Of the original (mp3, flac, wav, ...).")
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    upload_key = models.CharField(
        max_length=500, blank=True, help_text="The staging key the upload URL writes to; never served."
    )
    original_key = models.CharField(max_length=500, blank=True, help_text="The checked original, once accepted.")
    mp3_key = models.CharField(max_length=500, blank=True)
    # The MP3 served (mp3_key): the original itself when it is an MP3, else the transcode as its check measured it.
    mp3_bitrate = models.PositiveIntegerField(null=True, blank=True, help_text="Of the MP3 served, in kbps.")
    mp3_sample_rate = models.PositiveIntegerField(null=True, blank=True, help_text="Of the MP3 served, in Hz.")
    mp3_channels = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Of the MP3 served.")
    artwork_key = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The track of the library that already holds these bytes, when that failed this upload.",
    )
    status = job_status_field(
        Status.AWAITING_UPLOAD, Status.PROCESSING, Status.READY, Status.FAILED, default=Status.AWAITING_UPLOAD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [
            # Placeholder items have no file yet, so only real file names are unique.
            models.UniqueConstraint(
                fields=["owner", "file_name"], condition=~Q(file_name=""), name="track_file_name_unique_per_owner"
            ),
            # The same bytes are kept once per owner, even when two uploads of them are confirmed at once.
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=Q(status__in=["processing", "ready"]) & ~Q(sha256=""),
                name="track_sha256_unique_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="track_owner_status_idx"),
            models.Index(fields=["owner", "sha256"], name="track_owner_sha256_idx"),
            models.Index(fields=["owner", "-created_at", "id"], name="track_owner_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.artist} - {self.name}" if self.artist else (self.name or self.file_name)


class TrackDetails(models.Model):
    """The full tag set read from the original file, field for field (see tracks.tags.TagSet)."""

    track = models.OneToOneField(Track, on_delete=models.CASCADE, primary_key=True, related_name="details")
    title = models.CharField(max_length=500, blank=True)
    artist = models.CharField(max_length=500, blank=True)
    album_artist = models.CharField(max_length=500, blank=True)
    album = models.CharField(max_length=500, blank=True)
    date = models.CharField(max_length=32, blank=True)
    track_number = models.PositiveIntegerField(null=True, blank=True)
    track_total = models.PositiveIntegerField(null=True, blank=True)
    disc_number = models.PositiveIntegerField(null=True, blank=True)
    disc_total = models.PositiveIntegerField(null=True, blank=True)
    genre = models.CharField(max_length=200, blank=True)
    bpm = models.FloatField(null=True, blank=True)
    initial_key = models.CharField(max_length=16, blank=True)
    isrc = models.CharField(max_length=32, blank=True)
    label = models.CharField(max_length=300, blank=True)
    comment = models.TextField(blank=True)
    musicbrainz_track_id = models.CharField(max_length=64, blank=True)
    musicbrainz_album_id = models.CharField(max_length=64, blank=True)
    musicbrainz_artist_id = models.CharField(max_length=300, blank=True)
    musicbrainz_album_artist_id = models.CharField(max_length=300, blank=True)
    musicbrainz_release_group_id = models.CharField(max_length=64, blank=True)
    replaygain_track_gain_db = models.FloatField(null=True, blank=True)
    replaygain_track_peak = models.FloatField(null=True, blank=True)
    replaygain_album_gain_db = models.FloatField(null=True, blank=True)
    replaygain_album_peak = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "track details"

    def __str__(self) -> str:
        return f"tags of {self.track_id}"
