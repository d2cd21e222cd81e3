"""Writes of Guess The Track: cards, grades, settings."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict
from learning import scheduling
from learning.models import Card, LearningSettings, ReviewLog
from tracks.models import Track


def settings_of(user) -> LearningSettings:
    found, _ = LearningSettings.objects.get_or_create(user=user)
    return found


def card_create_for_track(*, track_id) -> Card | None:
    """A new card, due at once, for a ready track; nothing when it has one or is not ready."""
    track = Track.objects.filter(pk=track_id, status=Track.Status.READY).first()
    if track is None:
        return None
    try:
        with transaction.atomic():
            card, _ = Card.objects.get_or_create(
                track=track, defaults={"user_id": track.owner_id, "due_at": timezone.now()}
            )
    except IntegrityError:  # created by a concurrent call
        card = Card.objects.get(track=track)
    return card


@transaction.atomic
def card_grade(*, user, track_id, grade: int, now: datetime | None = None) -> Card:
    """Apply the user's scheduler to the card of one of their tracks, under a row lock.

    The review time is read once the lock is held, so the log's order is the order the grades were applied in
    (a replay of the log after a scheduler switch then gives the same card).
    """
    # The lock makes two grades of the same card apply one after the other, never over each other.
    locked = Card.objects.select_for_update(of=("self",)).select_related("track")
    card = locked.filter(track_id=track_id, track__owner=user).first()
    if card is None:
        track = Track.objects.get(pk=track_id, owner=user)  # someone else's track: DoesNotExist, 404
        _require_ready(track)
        card_create_for_track(track_id=track.pk)
        card = locked.get(track_id=track.pk)
    _require_ready(card.track)
    now = now or timezone.now()
    # Read under the lock too, in a statement of its own: a scheduler switch that committed while this grade
    # waited for the card (settings_update holds every card's lock) is seen, not the settings from before it.
    preferences = settings_of(user)
    before = scheduling.state_of(card)
    drill = scheduling.apply_grade(
        card, scheduler=preferences.scheduler, desired_retention=preferences.desired_retention, grade=grade, now=now
    )
    card.save(update_fields=[*scheduling.SM2_FIELDS, *scheduling.FSRS_FIELDS])
    ReviewLog.objects.create(
        card=card,
        user=user,
        grade=grade,
        reviewed_at=now,
        drill=drill,
        scheduler=preferences.scheduler,
        state_before=before,
        state_after=scheduling.state_of(card),
    )
    return card


def _require_ready(track: Track) -> None:
    if track.status != Track.Status.READY:
        raise Conflict(f"Track {track.pk} is {track.status.replace('_', ' ')}, not ready to be reviewed.")


@transaction.atomic
def settings_update(*, user, scheduler: str | None = None, desired_retention: float | None = None) -> LearningSettings:
    """Change scheduler or retention (None leaves one as it is); every card is then rebuilt from its history."""
    changes = {
        name: value
        for name, value in (("scheduler", scheduler), ("desired_retention", desired_retention))
        if value is not None
    }
    preferences = LearningSettings.objects.select_for_update().get_or_create(user=user)[0]
    changed = any(getattr(preferences, name) != value for name, value in changes.items())
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.full_clean()
    preferences.save()
    if changed:
        cards_reschedule(user=user, preferences=preferences)
    return preferences


def cards_reschedule(*, user, preferences: LearningSettings) -> int:
    cards = Card.objects.select_for_update().filter(user=user).prefetch_related("reviews")
    count = 0
    for card in cards:
        history = [(review.grade, review.reviewed_at) for review in card.reviews.all()]
        scheduling.rebuild(
            card, scheduler=preferences.scheduler, desired_retention=preferences.desired_retention, grades=history
        )
        card.save()
        count += 1
    return count
