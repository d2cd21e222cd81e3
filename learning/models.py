import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from learning.sm2 import INITIAL_EASINESS


class Scheduler(models.TextChoices):
    SM2 = "sm2", "SM-2"
    FSRS = "fsrs", "FSRS"


class LearningSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="learning_settings"
    )
    scheduler = models.CharField(max_length=8, choices=Scheduler.choices, default=Scheduler.SM2)
    desired_retention = models.FloatField(default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.99)])

    class Meta:
        verbose_name = "learning settings"
        verbose_name_plural = "learning settings"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.scheduler}"


class Card(models.Model):
    """A user's review card for one of their ready tracks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards")
    track = models.OneToOneField("tracks.Track", on_delete=models.CASCADE, related_name="card")
    # SM-2
    easiness_factor = models.FloatField(default=INITIAL_EASINESS)
    repetitions = models.PositiveIntegerField(default=0)
    interval_days = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    drill_day = models.DateField(null=True, blank=True)
    # FSRS (fsrs.Card)
    fsrs_state = models.PositiveSmallIntegerField(null=True, blank=True)
    fsrs_step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "due_at"], name="card_user_due_idx"),
            models.Index(fields=["user", "drill_day"], name="card_user_drill_idx"),
        ]

    def __str__(self) -> str:
        return f"card of track {self.track_id}"


class ReviewLog(models.Model):
    """One grade given to a card: written once, never changed, gone only with its card."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    # Denormalised from the card so a user's statistics read one index.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    grade = models.PositiveSmallIntegerField(validators=[MaxValueValidator(5)])
    reviewed_at = models.DateTimeField()
    drill = models.BooleanField(default=False)
    scheduler = models.CharField(max_length=8, choices=Scheduler.choices)
    state_before = models.JSONField()
    state_after = models.JSONField()

    class Meta:
        ordering = ("reviewed_at", "id")
        indexes = [
            models.Index(fields=["card", "reviewed_at"], name="review_card_time_idx"),
            models.Index(fields=["user", "reviewed_at"], name="review_user_time_idx"),
        ]

    def __str__(self) -> str:
        return f"grade {self.grade} at {self.reviewed_at:%Y-%m-%d %H:%M}"
