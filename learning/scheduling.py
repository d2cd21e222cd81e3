"""The two schedulers behind one interface: grade a card, or rebuild it from its history."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import fsrs

from learning import sm2
from learning.models import Card, Scheduler

# Grades 0-5 to FSRS ratings: 0-2 Again, 3 Hard, 4 Good, 5 Easy.
RATINGS = {
    0: fsrs.Rating.Again,
    1: fsrs.Rating.Again,
    2: fsrs.Rating.Again,
    3: fsrs.Rating.Hard,
    4: fsrs.Rating.Good,
    5: fsrs.Rating.Easy,
}
SM2_FIELDS = ("easiness_factor", "repetitions", "interval_days", "due_at", "last_reviewed_at", "drill_day")
FSRS_FIELDS = ("fsrs_state", "fsrs_step", "stability", "difficulty")


def state_of(card: Card) -> dict:
    """The card's scheduling state as JSON, for review logs."""
    values = {name: getattr(card, name) for name in (*SM2_FIELDS, *FSRS_FIELDS)}
    return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in values.items()}


def _fsrs_scheduler(desired_retention: float) -> fsrs.Scheduler:
    # No fuzzing: the same history always gives the same schedule (replays, tests).
    return fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def apply_grade(card: Card, *, scheduler: str, desired_retention: float, grade: int, now: datetime) -> bool:
    """Grade the card in place with the user's scheduler; True when it was an SM-2 drill."""
    sm2.check_grade(grade)
    if scheduler == Scheduler.FSRS:
        _apply_fsrs(card, _fsrs_scheduler(desired_retention), grade, now)
        return False
    state, drill = sm2.review(_sm2_state(card), grade, now)
    for name, value in asdict(state).items():
        setattr(card, name, value)
    return drill


def _sm2_state(card: Card) -> sm2.CardState:
    return sm2.CardState(**{name: getattr(card, name) for name in SM2_FIELDS})


def _fsrs_card(card: Card) -> fsrs.Card:
    if card.fsrs_state is None:
        return fsrs.Card(due=card.due_at)
    return fsrs.Card(
        state=fsrs.State(card.fsrs_state),
        step=card.fsrs_step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due_at,
        last_review=card.last_reviewed_at,
    )


def _apply_fsrs(card: Card, scheduler: fsrs.Scheduler, grade: int, now: datetime) -> None:
    reviewed, _ = scheduler.review_card(_fsrs_card(card), RATINGS[grade], review_datetime=now.astimezone(UTC))
    card.fsrs_state, card.fsrs_step = int(reviewed.state), reviewed.step
    card.stability, card.difficulty = reviewed.stability, reviewed.difficulty
    card.due_at, card.last_reviewed_at, card.drill_day = reviewed.due, now, None


def rebuild(card: Card, *, scheduler: str, desired_retention: float, grades: list[tuple[int, datetime]]) -> None:
    """Reset the card and replay its whole history of grades under `scheduler`."""
    for name in FSRS_FIELDS:
        setattr(card, name, None)
    card.easiness_factor, card.repetitions, card.interval_days = sm2.INITIAL_EASINESS, 0, 0
    card.due_at, card.last_reviewed_at, card.drill_day = card.created_at, None, None
    for grade, reviewed_at in grades:
        apply_grade(card, scheduler=scheduler, desired_retention=desired_retention, grade=grade, now=reviewed_at)
