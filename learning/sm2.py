"""SuperMemo 2 (Wozniak, 1987), exactly, with its same-day drill. No Django imports.

A scheduling review with grade q (0..5):
- q >= 3: EF' = max(1.3, EF + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), computed in
  plain double precision and never rounded; repetitions += 1; the interval is 1 day when
  repetitions is now 1, 6 when it is 2, otherwise ceil(previous interval * EF') with the
  updated EF.
- q < 3: "start repetitions anew without changing the E-Factor": repetitions = 0,
  interval = 1, EF unchanged.
- due_at = reviewed_at + interval days.

One bound SM-2's text does not have: the interval stops growing at MAX_INTERVAL_DAYS
(100 years, FSRS's own maximum). EF has no ceiling, so a run of easy grades would
otherwise grow the interval past any date a database (or Python) can hold.

The drill (SM-2's step 7: "repeat all items that scored below four until they score
at least four"): after a scheduling review with q < 4 the card stays in today's due
list (the UTC day of the review) as a drill. A grade given to a card in drill changes
no scheduling state (EF, repetitions, interval, due_at); it only ends the drill, when
q >= 4. On the next UTC day the drill is over, whatever happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

MIN_GRADE, MAX_GRADE = 0, 5
PASSING_GRADE = 3
DRILL_PASSING_GRADE = 4
INITIAL_EASINESS = 2.5
MIN_EASINESS = 1.3
MAX_INTERVAL_DAYS = 36_500


@dataclass(frozen=True)
class CardState:
    easiness_factor: float = INITIAL_EASINESS
    repetitions: int = 0
    interval_days: int = 0
    due_at: datetime | None = None
    last_reviewed_at: datetime | None = None
    drill_day: date | None = None  # the UTC day this card is being drilled on, if any


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def in_drill(state: CardState, now: datetime) -> bool:
    """Whether the card is in today's drill (a drill ends with its UTC day)."""
    return state.drill_day is not None and state.drill_day == utc_day(now)


def next_easiness(easiness: float, grade: int) -> float:
    miss = 5 - grade
    return max(MIN_EASINESS, easiness + 0.1 - miss * (0.08 + miss * 0.02))


def check_grade(grade: int) -> None:
    if isinstance(grade, bool) or not isinstance(grade, int) or not MIN_GRADE <= grade <= MAX_GRADE:
        raise ValueError(f"A grade is a whole number from {MIN_GRADE} to {MAX_GRADE}, not {grade!r}.")


def review(state: CardState, grade: int, now: datetime) -> tuple[CardState, bool]:
    """The card's state after this grade, and whether the grade was a drill (no scheduling)."""
    check_grade(grade)
    if in_drill(state, now):
        ended = grade >= DRILL_PASSING_GRADE
        return replace(state, drill_day=None if ended else state.drill_day, last_reviewed_at=now), True
    if grade >= PASSING_GRADE:
        easiness = next_easiness(state.easiness_factor, grade)
        repetitions = state.repetitions + 1
        if repetitions == 1:
            interval = 1
        elif repetitions == 2:
            interval = 6
        else:
            interval = min(MAX_INTERVAL_DAYS, math.ceil(state.interval_days * easiness))
    else:
        easiness, repetitions, interval = state.easiness_factor, 0, 1
    scheduled = CardState(
        easiness_factor=easiness,
        repetitions=repetitions,
        interval_days=interval,
        due_at=now + timedelta(days=interval),
        last_reviewed_at=now,
        drill_day=utc_day(now) if grade < DRILL_PASSING_GRADE else None,
    )
    return scheduled, False
