"""A producer's analyses, the reference masters they are compared with, and their settings.

An analysis and a reference are both jobs (core.jobs.Job: pending -> running -> done | failed):
the uploaded file is checked and stored by the request, measured by a worker on the `audio`
queue. What the engine measured is kept as it returned it (mastering.analysis: `overall`,
`bands`, `platforms`, the loudness series), and the 128-dimensional vector as float32 bytes,
the form the similarity search stacks into one matrix.
"""

import uuid

from django.conf import settings
from django.db import models

from core.jobs import Job, JobStatus, job_status_field


class RecommendationLevel(models.TextChoices):
    GENTLE = "gentle", "Gentle: only clear problems"
    SUGGESTIVE = "suggestive", "Suggestive: notable deviations"
    AGGRESSIVE = "aggressive", "Aggressive: every deviation worth a look"


class Measured(Job):
    """What an analysis and a reference share: the stored file, what the engine measured, the job."""

    status = job_status_field(
        JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED, default=JobStatus.PENDING
    )
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file_name = models.CharField(max_length=255, help_text="As the client named it; used only for display.")
    audio_key = models.CharField(max_length=500, blank=True, help_text="The checked file in storage.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    genre = models.CharField(max_length=100, db_index=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    format = models.CharField(max_length=16, blank=True)
    overall = models.JSONField(null=True, blank=True, help_text="The engine's overall metrics.")
    bands = models.JSONField(null=True, blank=True, help_text="The engine's per-band metrics, low to high.")
    vector = models.BinaryField(null=True, blank=True, help_text="128 float32 features, for similarity search.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Analysis(Measured):
    """A producer's mix, measured, compared with its genre, and told what to change."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastering_analyses")
    recommendation_level = models.CharField(
        max_length=16, choices=RecommendationLevel.choices, default=RecommendationLevel.SUGGESTIVE
    )
    target_source = models.CharField(
        max_length=16, blank=True, help_text="`references` of the genre, or the `general` targets when it has none."
    )
    recommendations = models.JSONField(null=True, blank=True)
    platforms = models.JSONField(null=True, blank=True, help_text="Streaming normalisation preview.")
    loudness_series = models.JSONField(null=True, blank=True, help_text="Momentary and short-term LUFS over time.")

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [models.Index(fields=["owner", "-created_at"], name="analysis_owner_created_idx")]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.genre}, {self.status})"


class Reference(Measured):
    """A reference master of a genre: built in (owner empty, everyone sees it) or a user's private one."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mastering_references",
        help_text="Empty for a built-in reference.",
    )
    name = models.CharField(max_length=200)
    artist = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    built_in = models.BooleanField(default=False, db_index=True)
    generated = models.BooleanField(
        default=False, help_text="Rendered by mastering.generator from a genre profile: no real recording."
    )

    class Meta:
        ordering = ("genre", "name", "id")
        indexes = [models.Index(fields=["genre", "status"], name="reference_genre_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "genre"], condition=models.Q(built_in=True), name="reference_builtin_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(built_in=False) | models.Q(owner__isnull=True), name="reference_builtin_has_no_owner"
            ),
        ]

    def __str__(self) -> str:
        label = " (generated profile)" if self.generated else ""
        return f"{self.genre}: {self.name}{label}"


class MasteringSettings(models.Model):
    """A producer's defaults: the genre and recommendation level an upload uses when it names none."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastering_settings")
    default_genre = models.CharField(max_length=100, blank=True)
    default_recommendation_level = models.CharField(
        max_length=16, choices=RecommendationLevel.choices, default=RecommendationLevel.SUGGESTIVE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "mastering settings"

    def __str__(self) -> str:
        return f"mastering settings of {self.user}"
