"""Two grades of the same card at the same moment: both logged, applied one after the other."""

import threading

import pytest
from django.db import connection

from learning import services
from learning.models import Card, ReviewLog
from learning.sm2 import CardState, review
from tests.factories import UserFactory
from tracks.models import Track

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_grades_are_serialised_by_the_row_lock():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user = UserFactory()
    track = Track.objects.create(owner=user, name="Race", file_name="race.mp3", status="ready", mp3_key="k")
    services.card_create_for_track(track_id=track.pk)
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
        state.repetitions, state.interval_days, state.easiness_factor,
    )
    assert card.repetitions == 2
    assert logs[1].state_before["repetitions"] == 1  # the second saw the first's result, not a stale copy
