"""SM-2 against oracles that are not learning/sm2.py.

First hand-computed sequences, with the arithmetic in the comments, whose numbers were
chosen so that breaking any one rule of the README changes an asserted value; then a
second, plain implementation of the published algorithm (`reference_review` below)
that the engine must match state for state over random grade sequences.
"""

import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning.sm2 import CardState, in_drill, review

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def day(offset: int, hour: int = 9) -> datetime:
    return MONDAY + timedelta(days=offset, hours=hour - 9)


def schedule(state: CardState) -> tuple[int, int, datetime | None]:
    return state.repetitions, state.interval_days, state.due_at


# Hand-computed sequences. EF' = EF + 0.1 - (5-q)(0.08 + (5-q)*0.02), so a grade changes
# EF by: q=5 +0.10, q=4 0.00, q=3 -0.14, q=2 -0.32 (were it applied), q=1 -0.54, q=0 -0.80.
# EF values are compared with approx because doubles carry tails (2.36 is 2.3600000000000003);
# that they are never rounded is checked exactly by test_easiness_formula_in_plain_doubles
# and by the reference comparison at the end.


def test_one_card_through_every_scheduling_rule():
    state = CardState()  # EF 2.5, repetitions 0, interval 0

    # q=4: EF 2.5 + 0 = 2.5; first repetition: 1 day (ceil(0 * 2.5) would be 0).
    state, _ = review(state, 4, day(0))
    assert schedule(state) == (1, 1, day(1))
    assert state.easiness_factor == pytest.approx(2.5)

    # q=3: EF 2.5 - 0.14 = 2.36; second repetition: 6 days (ceil(1 * 2.36) would be 3).
    state, _ = review(state, 3, day(1))
    assert schedule(state) == (2, 6, day(7))
    assert state.easiness_factor == pytest.approx(2.36)

    # q=3: EF 2.36 - 0.14 = 2.22; interval ceil(6 * 2.22) = ceil(13.32) = 14.
    # With the old EF: ceil(6 * 2.36) = ceil(14.16) = 15. Rounded or floored: 13.
    state, _ = review(state, 3, day(7))
    assert schedule(state) == (3, 14, day(21))
    assert state.easiness_factor == pytest.approx(2.22)

    # q=2: repetitions back to 0, interval 1, EF kept at 2.22 (applying the formula: 1.90).
    state, _ = review(state, 2, day(21))
    assert schedule(state) == (0, 1, day(22))
    assert state.easiness_factor == pytest.approx(2.22)

    # q=5: EF 2.32; repetitions start anew at 1, so 1 day (not ceil(1 * 2.32) = 3 of a 5th).
    state, _ = review(state, 5, day(22))
    assert schedule(state) == (1, 1, day(23))
    assert state.easiness_factor == pytest.approx(2.32)

    # q=5: EF 2.42; second repetition again: 6 days.
    state, _ = review(state, 5, day(23))
    assert schedule(state) == (2, 6, day(29))
    assert state.easiness_factor == pytest.approx(2.42)

    # q=4: EF 2.42; interval ceil(6 * 2.42) = ceil(14.52) = 15. Had the lapse lowered EF to
    # 1.90, it would now be 2.10 and the interval ceil(12.6) = 13.
    state, _ = review(state, 4, day(29))
    assert schedule(state) == (3, 15, day(44))
    assert state.easiness_factor == pytest.approx(2.42)


def test_third_interval_uses_the_updated_easiness():
    # q=5: EF' = 2.5 + 0.1 = 2.6; ceil(6 * 2.6) = ceil(15.6) = 16. With the old EF: 15.
    up, _ = review(CardState(easiness_factor=2.5, repetitions=2, interval_days=6), 5, day(0))
    # q=3: EF' = 2.5 - 0.14 = 2.36; ceil(6 * 2.36) = ceil(14.16) = 15. With the old EF: 15 too,
    # so this one only holds the ceil: round or floor give 14.
    down, _ = review(CardState(easiness_factor=2.5, repetitions=2, interval_days=6), 3, day(0))
    # q=3 on a longer interval: ceil(10 * 2.36) = ceil(23.6) = 24. With the old EF: 25.
    longer, _ = review(CardState(easiness_factor=2.5, repetitions=4, interval_days=10), 3, day(0))

    assert (up.interval_days, down.interval_days, longer.interval_days) == (16, 15, 24)
    assert longer.due_at == day(24)


@pytest.mark.parametrize(
    ("grade", "expected"),
    [(5, 2.6), (4, 2.5), (3, 2.5 + 0.1 - 2 * (0.08 + 2 * 0.02))],
)
def test_easiness_formula_in_plain_doubles(grade, expected):
    state, _ = review(CardState(), grade, day(0))

    assert state.easiness_factor == expected  # exact, no rounding (q=3: 2.3600000000000003)


@pytest.mark.parametrize("grade", [0, 1, 2])
def test_failure_restarts_repetitions_and_keeps_easiness(grade):
    state = CardState(easiness_factor=1.9, repetitions=4, interval_days=30)

    after, drill = review(state, grade, day(0))

    # Applying the formula would give 1.9 - 0.32, 0.54 or 0.80: 1.58, 1.36 or 1.3 (floored).
    assert (after.repetitions, after.interval_days, after.easiness_factor) == (0, 1, 1.9)
    assert after.due_at == day(1)
    assert drill is False


def test_easiness_never_goes_below_1_3_and_the_floor_sets_the_interval():
    # q=3: 1.4 - 0.14 = 1.26, floored to 1.3; ceil(11 * 1.3) = ceil(14.3) = 15.
    # Unfloored: ceil(11 * 1.26) = ceil(13.86) = 14. With the old EF: ceil(15.4) = 16.
    floored, _ = review(CardState(easiness_factor=1.4, repetitions=3, interval_days=11), 3, day(0))
    # q=0 on the floor: EF stays 1.3. q=3 again: 1.3 - 0.14 = 1.16, floored to 1.3.
    lapsed, _ = review(floored, 0, day(15))
    again, _ = review(CardState(easiness_factor=1.3, repetitions=2, interval_days=6), 3, day(0))

    assert (floored.easiness_factor, floored.interval_days) == (1.3, 15)
    assert lapsed.easiness_factor == 1.3
    # ceil(6 * 1.3) = ceil(7.8) = 8; unfloored ceil(6 * 1.16) = ceil(6.96) = 7.
    assert (again.easiness_factor, again.interval_days) == (1.3, 8)


def test_the_interval_stops_growing_at_36500_days():
    # q=5: EF 2.6. ceil(14038 * 2.6) = ceil(36498.8) = 36499, under the cap: kept.
    under, _ = review(CardState(easiness_factor=2.5, repetitions=5, interval_days=14038), 5, day(0))
    # ceil(20000 * 2.6) = 52000: capped to 36500, and due 36500 days later.
    capped, _ = review(CardState(easiness_factor=2.5, repetitions=5, interval_days=20000), 5, day(0))
    # From the cap, EF 2.7: ceil(36500 * 2.7) = 98550: still 36500.
    stays, _ = review(capped, 5, day(36500))
    # A lapse from the cap: 1 day, as always.
    lapsed, _ = review(stays, 1, day(73000))

    assert under.interval_days == 36499
    assert (capped.interval_days, capped.due_at) == (36500, day(36500))
    assert (stays.interval_days, stays.due_at, stays.repetitions) == (36500, day(73000), 7)
    assert stays.easiness_factor == pytest.approx(2.7)
    assert (lapsed.interval_days, lapsed.repetitions) == (1, 0)


def test_a_run_of_easy_grades_reaches_the_cap_and_stays_there():
    # EF 2.6, 2.7, ...; intervals 1, 6, ceil(6 * 2.8) = 17, ceil(17 * 2.9) = ceil(49.3) = 50.
    # The 5th: EF is 2.5 + 0.1 five times, which in doubles is 3.0000000000000004, not 3.0, so
    # 50 * EF = 150.00000000000003 and the ceil is 151 (an EF rounded to 3.0 would give 150).
    # Then ceil(151 * 3.1) = ceil(468.1) = 469, ceil(469 * 3.2) = ceil(1500.8) = 1501,
    # ceil(1501 * 3.3) = ceil(4953.3) = 4954, ceil(4954 * 3.4) = ceil(16843.6) = 16844, and
    # 16844 * 3.5 = 58954 is past 36500: capped from the 10th review on.
    state, now = CardState(), MONDAY
    intervals = []
    for _ in range(12):
        state, _ = review(state, 5, now)
        intervals.append(state.interval_days)
        now = state.due_at
    assert intervals == [1, 6, 17, 50, 151, 469, 1501, 4954, 16844, 36500, 36500, 36500]
    assert state.last_reviewed_at == now - timedelta(days=36500)


def test_a_grade_below_4_starts_a_drill_that_leaves_scheduling_alone():
    scheduled, _ = review(CardState(), 3, day(0, hour=10))
    assert in_drill(scheduled, day(0, hour=11))

    still, was_drill = review(scheduled, 2, day(0, hour=12))
    ended, was_drill_again = review(still, 4, day(0, hour=13))

    assert was_drill and was_drill_again
    for state in (still, ended):
        assert (state.easiness_factor, state.repetitions, state.interval_days, state.due_at) == (
            scheduled.easiness_factor,
            scheduled.repetitions,
            scheduled.interval_days,
            scheduled.due_at,
        )
    # A drill grade is still a review: it is the card's last one.
    assert (still.last_reviewed_at, ended.last_reviewed_at) == (day(0, hour=12), day(0, hour=13))
    assert in_drill(still, day(0, hour=12))
    assert not in_drill(ended, day(0, hour=14))


def test_a_drill_grade_of_3_does_not_end_the_drill():
    scheduled, _ = review(CardState(), 0, day(0, hour=10))

    still, was_drill = review(scheduled, 3, day(0, hour=11))

    assert was_drill is True
    assert still.drill_day == date(2026, 3, 2)


def test_grades_of_4_and_5_start_no_drill():
    assert not in_drill(review(CardState(), 4, day(0))[0], day(0))
    assert not in_drill(review(CardState(), 5, day(0))[0], day(0))


def test_the_drill_is_over_the_next_utc_day():
    scheduled, _ = review(CardState(), 1, datetime(2026, 3, 2, 23, 30, tzinfo=UTC))

    assert in_drill(scheduled, datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    assert not in_drill(scheduled, datetime(2026, 3, 3, 0, 1, tzinfo=UTC))
    next_day, was_drill = review(scheduled, 1, datetime(2026, 3, 3, 9, tzinfo=UTC))
    assert was_drill is False
    assert next_day.repetitions == 0 and next_day.interval_days == 1


@pytest.fixture
def server_five_hours_behind_utc(monkeypatch):
    """The process's local time zone is UTC-5 (a POSIX TZ string: no tz database needed)."""
    monkeypatch.setenv("TZ", "EST5")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_drill_day_is_the_utc_day_whatever_the_server_or_client_zone(server_five_hours_behind_utc):
    # 20:00 at UTC-5 on March 2 is 01:00 UTC on March 3; the server's own zone is UTC-5 too,
    # so a day taken in local time (March 2) differs from the UTC day (March 3).
    evening_west = datetime(2026, 3, 2, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert datetime.now().astimezone().utcoffset() == timedelta(hours=-5)  # the fixture took effect

    scheduled, _ = review(CardState(), 2, evening_west)

    assert scheduled.drill_day == date(2026, 3, 3)
    assert in_drill(scheduled, datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
    assert not in_drill(scheduled, datetime(2026, 3, 2, 23, 0, tzinfo=UTC))


@pytest.mark.parametrize("grade", [-1, 6, 2.5, "4", None, True])
def test_grades_outside_0_to_5_or_not_whole_numbers_are_refused(grade):
    with pytest.raises(ValueError, match="whole number from 0 to 5"):
        review(CardState(), grade, day(0))


# A second implementation, written from the published algorithm (SuperMemo 2, Wozniak 1987,
# steps 2-7) and the README's two additions (the 36,500-day cap and the UTC-day drill), in
# a different shape from learning/sm2.py on purpose: one flat function over a plain record.


@dataclass
class ReferenceCard:
    ef: float
    n: int  # repetitions
    interval: int
    due: datetime | None
    last: datetime | None
    drill_on: date | None


def reference_review(card: ReferenceCard, q: int, now: datetime) -> tuple[ReferenceCard, bool]:
    today = now.astimezone(UTC).date()
    if card.drill_on == today:
        # Step 7: repeat the items below 4 until they score at least 4; no rescheduling.
        return ReferenceCard(card.ef, card.n, card.interval, card.due, now, None if q > 3 else today), True
    if q < 3:
        # Step 6: "start repetitions for the item from the beginning without changing the E-Factor".
        ef, n, interval = card.ef, 0, 1
    else:
        # Step 5, left to right in doubles as the README writes it, then the 1.3 floor.
        ef = card.ef + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)
        if ef < 1.3:
            ef = 1.3
        n = card.n + 1
        # Step 2: I(1) = 1, I(2) = 6, I(n) = I(n-1) * EF, with the EF just computed.
        interval = {1: 1, 2: 6}.get(n) or math.ceil(card.interval * ef)
        if interval > 36_500:
            interval = 36_500
    return ReferenceCard(ef, n, interval, now + timedelta(days=interval), now, today if q <= 3 else None), False


def as_reference(state: CardState) -> ReferenceCard:
    return ReferenceCard(
        state.easiness_factor,
        state.repetitions,
        state.interval_days,
        state.due_at,
        state.last_reviewed_at,
        state.drill_day,
    )


zones = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9, minutes=30))])
# Grades with easy runs weighted in, so the cap and the 1.3 floor are both reached.
grade_sequences = st.lists(
    st.one_of(st.integers(min_value=0, max_value=5), st.just(5), st.just(3)), min_size=1, max_size=60
)
start_states = st.builds(
    CardState,
    easiness_factor=st.floats(min_value=1.3, max_value=4.0),
    repetitions=st.integers(min_value=0, max_value=12),
    interval_days=st.integers(min_value=0, max_value=36_500),
)


@settings(max_examples=400, deadline=None)
@given(
    start=st.one_of(st.just(CardState()), start_states),
    grades=grade_sequences,
    gaps=st.lists(st.integers(min_value=0, max_value=40 * 24), min_size=60, max_size=60),
    zone=zones,
)
def test_matches_the_reference_implementation_over_random_grade_sequences(start, grades, gaps, zone):
    state, expected = start, as_reference(start)
    now = MONDAY.astimezone(zone)
    for grade, gap_hours in zip(grades, gaps, strict=False):
        now = now + timedelta(hours=gap_hours)
        state, was_drill = review(state, grade, now)
        expected, expected_drill = reference_review(expected, grade, now)
        assert (as_reference(state), was_drill) == (expected, expected_drill)  # exact, EF included
