"""SM-2 case by case, then invariants over random grade sequences."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning.sm2 import MAX_INTERVAL_DAYS, CardState, in_drill, next_easiness, review

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def day(offset: int, hour: int = 9) -> datetime:
    return MONDAY + timedelta(days=offset, hours=hour - 9)


def test_first_second_and_third_reviews():
    first, _ = review(CardState(), 5, day(0))
    second, _ = review(first, 5, day(1))
    third, _ = review(second, 4, day(7))

    assert (first.repetitions, first.interval_days, first.due_at) == (1, 1, day(1))
    assert first.easiness_factor == 2.5 + 0.1
    assert (second.repetitions, second.interval_days, second.due_at) == (2, 6, day(7))
    assert third.repetitions == 3
    assert third.easiness_factor == next_easiness(second.easiness_factor, 4)
    assert third.interval_days == math.ceil(6 * third.easiness_factor)
    assert third.due_at == day(7) + timedelta(days=third.interval_days)


@pytest.mark.parametrize(
    ("grade", "expected"),
    [(5, 2.6), (4, 2.5), (3, 2.5 + 0.1 - 2 * (0.08 + 2 * 0.02))],
)
def test_easiness_formula_in_plain_doubles(grade, expected):
    state, _ = review(CardState(), grade, day(0))

    assert state.easiness_factor == expected  # exact, no rounding


def test_third_interval_uses_the_updated_easiness():
    state = CardState(easiness_factor=2.0, repetitions=2, interval_days=6)

    after, _ = review(state, 3, day(0))

    assert after.easiness_factor == 2.0 + 0.1 - 2 * (0.08 + 2 * 0.02)  # 1.86
    assert after.interval_days == math.ceil(6 * 1.86) == 12


@pytest.mark.parametrize("grade", [0, 1, 2])
def test_failure_restarts_repetitions_and_keeps_easiness(grade):
    state = CardState(easiness_factor=1.9, repetitions=4, interval_days=30)

    after, drill = review(state, grade, day(0))

    assert (after.repetitions, after.interval_days, after.easiness_factor) == (0, 1, 1.9)
    assert after.due_at == day(1)
    assert drill is False


def test_easiness_never_goes_below_1_3():
    state = CardState(easiness_factor=1.35, repetitions=3, interval_days=10)

    after, _ = review(state, 3, day(0))

    assert after.easiness_factor == 1.3


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
    assert in_drill(still, day(0, hour=12))
    assert not in_drill(ended, day(0, hour=14))


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


@pytest.mark.parametrize("grade", [-1, 6, 2.5, "4", None, True])
def test_grades_outside_0_to_5_or_not_whole_numbers_are_refused(grade):
    with pytest.raises(ValueError, match="whole number from 0 to 5"):
        review(CardState(), grade, day(0))


def test_the_interval_stops_growing_at_100_years():
    state, now = CardState(), MONDAY
    for _ in range(60):  # EF grows by 0.1 each time: the 13th interval would be past year 9999
        state, _ = review(state, 5, now)
    assert state.interval_days == MAX_INTERVAL_DAYS
    assert state.due_at == now + timedelta(days=MAX_INTERVAL_DAYS)
    assert state.easiness_factor == pytest.approx(2.5 + 60 * 0.1)


@settings(max_examples=300, deadline=None)
@given(
    grades=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40),
    gaps=st.lists(st.integers(min_value=0, max_value=30 * 24), min_size=40, max_size=40),
)
def test_invariants_over_random_grade_sequences(grades, gaps):
    state, now = CardState(), MONDAY
    for grade, gap_hours in zip(grades, gaps, strict=False):
        now = now + timedelta(hours=gap_hours)
        before = state
        state, was_drill = review(state, grade, now)
        assert state.easiness_factor >= 1.3
        assert state.repetitions >= 0
        if was_drill:
            assert (state.easiness_factor, state.repetitions, state.interval_days, state.due_at) == (
                before.easiness_factor,
                before.repetitions,
                before.interval_days,
                before.due_at,
            )
            continue
        assert 1 <= state.interval_days <= MAX_INTERVAL_DAYS
        assert state.due_at == now + timedelta(days=state.interval_days)
        if grade < 3:
            assert (state.repetitions, state.interval_days) == (0, 1)
            assert state.easiness_factor == before.easiness_factor
        else:
            assert state.repetitions == before.repetitions + 1
            assert state.easiness_factor == next_easiness(before.easiness_factor, grade)
        assert in_drill(state, now) == (grade < 4)
