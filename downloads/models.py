"""A user's batch of SoundCloud tracks, fetched, converted to MP3 and zipped by a worker.

A `Download` is a job (core.jobs.Job: pending -> running -> done | failed, then expired when its
zip is deleted). Each of its tracks is a `DownloadTrack` row with its own state, so the progress
a client polls is the rows' states, and a job that is run again (a lost worker, a retry) skips
the tracks that are done: their MP3 is in storage under the user's prefix.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models

from core.jobs import Job, JobStatus, job_status_field


class TrackState(models.TextChoices):
    QUEUED = "queued", "Queued"
    DOWNLOADING = "downloading", "Downloading"
    CONVERTING = "converting", "Converting"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.DONE, cls.FAILED)


class Download(Job):
    """One request's tracks, and the zip of those that could be fetched."""

    status = job_status_field(
        JobStatus.PENDING,
        JobStatus.RUNNING,
        JobStatus.DONE,
        JobStatus.FAILED,
        JobStatus.EXPIRED,
        default=JobStatus.PENDING,
    )
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="downloads")
    total = models.PositiveSmallIntegerField(help_text="Tracks asked for.")
    zip_key = models.CharField(max_length=500, blank=True, help_text="The zip in storage; empty before and after.")
    zip_size = models.PositiveBigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the zip and the tracks' MP3s are deleted (DOWNLOADS_RETENTION_HOURS)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="download_owner_created_idx"),
            models.Index(fields=["status", "expires_at"], name="download_status_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.total} tracks ({self.status})"

    def mark_finished(self, status: JobStatus, *, error: str = "", now=None) -> list[str]:
        """Ended, however it ended (core.jobs' give-up included): what it made is kept DOWNLOADS_RETENTION_HOURS."""
        fields = super().mark_finished(status, error=error, now=now)
        if status in (JobStatus.DONE, JobStatus.FAILED):
            self.expires_at = self.finished_at + timedelta(hours=settings.DOWNLOADS_RETENTION_HOURS)
            fields.append("expires_at")
        return fields


class DownloadTrack(models.Model):
    """One track of a download: where it comes from, how far it got, and its MP3."""

    download = models.ForeignKey(Download, on_delete=models.CASCADE, related_name="tracks")
    position = models.PositiveSmallIntegerField(help_text="Its place in the request, from 0.")
    source_id = models.CharField(max_length=100, help_text="The client's id of the track (SoundCloud's).")
    url = models.CharField(max_length=2000, help_text="As the client sent it; checked by the job before any request.")
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=16, choices=TrackState.choices, default=TrackState.QUEUED)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=255, blank=True, help_text="Its name in the zip.")
    mp3_key = models.CharField(max_length=500, blank=True, help_text="The tagged MP3 in storage.")
    mp3_size = models.PositiveBigIntegerField(null=True, blank=True)
    source_format = models.CharField(max_length=16, blank=True, help_text="What was fetched (mp3, flac, m4a...).")
    reused = models.BooleanField(default=False, help_text="Copied from the user's recent download of the same URL.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("download", "position")
        constraints = [models.UniqueConstraint(fields=["download", "position"], name="download_track_position_uniq")]

    def __str__(self) -> str:
        return f"{self.artist} - {self.title}" if self.artist else self.title
