"""Two grades of the same card at the same moment: both logged, applied one after the other."""

import threading

import pytest
from django.db import connection

from learning import scheduling, services
from learning.models import Card, ReviewLog
from learning.sm2 import CardState, review
from tests.factories import CardFactory, ReviewLogFactory, UserFactory
from tests.helpers.locks import wait_for_a_blocked_lock

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_grades_are_serialised_by_the_row_lock(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    apply_grade = scheduling.apply_grade
    first = threading.Lock()

    def apply_grade_holding_the_lock(card, **kwargs):
        # The first grader, holding the row lock, goes on only once the other one is blocked on it, so the
        # two really contend and the second one starts (and reads the clock) before the first one ends.
        if first.acquire(blocking=False):
            with connection.cursor() as cursor:
                wait_for_a_blocked_lock(cursor)
        return apply_grade(card, **kwargs)

    monkeypatch.setattr(scheduling, "apply_grade", apply_grade_holding_the_lock)
    user = UserFactory()
    track = CardFactory(track__owner=user, track__name="Race").track  # a new card
    start = threading.Barrier(2)
    errors = []

    def grade(value: int) -> None:
        try:
            start.wait()
            services.card_grade(user=user, track_id=track.pk, grade=value)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=grade, args=(value,)) for value in (5, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    logs = list(ReviewLog.objects.filter(card__track=track).order_by("reviewed_at", "id"))
    assert sorted(log.grade for log in logs) == [4, 5]
    card = Card.objects.get(track=track)
    # The final state is what applying the two grades in the logged order gives.
    state = CardState(due_at=card.created_at)
    for log in logs:
        state, _ = review(state, log.grade, log.reviewed_at)
    assert (card.repetitions, card.interval_days, card.easiness_factor) == (
        state.repetitions,
        state.interval_days,
        state.easiness_factor,
    )
    assert card.repetitions == 2
    assert logs[1].state_before["repetitions"] == 1  # the second saw the first's result, not a stale copy


def test_a_grade_that_waited_for_a_scheduler_switch_uses_the_new_scheduler(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = UserFactory()
    track = ReviewLogFactory(card__track__owner=user, card__track__name="Switch").card.track  # graded 4 under SM-2
    reschedule = services.cards_reschedule
    cards_locked = threading.Event()
    errors = []

    def reschedule_then_wait_for_the_grade(**kwargs):
        # Every card is locked and rebuilt under FSRS; the switch commits only once the grade waits for the card.
        count = reschedule(**kwargs)
        cards_locked.set()
        with connection.cursor() as cursor:
            wait_for_a_blocked_lock(cursor)
        return count

    monkeypatch.setattr(services, "cards_reschedule", reschedule_then_wait_for_the_grade)

    def switch() -> None:
        try:
            services.settings_update(user=user, scheduler="fsrs")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            cards_locked.set()
        finally:
            connection.close()

    def grade() -> None:
        try:
            assert cards_locked.wait(timeout=30)
            services.card_grade(user=user, track_id=track.pk, grade=5)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=switch), threading.Thread(target=grade)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    last = ReviewLog.objects.filter(card__track=track).order_by("reviewed_at", "id").last()
    assert (last.grade, last.scheduler) == (5, "fsrs")
    card = Card.objects.get(track=track)
    assert card.fsrs_state is not None and last.state_before["fsrs_state"] is not None  # graded the FSRS card
