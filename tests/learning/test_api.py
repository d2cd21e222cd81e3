from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from learning.models import Card, ReviewLog
from tests.factories import CardFactory, ReviewLogFactory, TrackFactory
from tracks.models import Track

pytestmark = pytest.mark.django_db
LEARNING = "/api/learning/"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def learner(user):
    """Authenticated without a token, so the clock can move days without expiring it."""
    from tests.conftest import CommittingAPIClient

    client = CommittingAPIClient()
    client.force_authenticate(user)
    return client


def track_with_card(owner, name="Track", **card_fields) -> Track:
    """A ready track of `owner` with its card: new and due at once, unless `card_fields` say otherwise."""
    return CardFactory(track__owner=owner, track__name=name, **card_fields).track


def grade(client, track, value):
    return client.post(f"{LEARNING}grade/", {"track_id": str(track.pk), "grade": value}, format="json")


def test_a_track_that_becomes_ready_gets_a_card_due_at_once(client_a):
    from tests.helpers.media import tone_bytes
    from tests.tracks.flow import upload

    [result] = upload(client_a, {"Card Me.mp3": tone_bytes("mp3")})

    card = Card.objects.get(track_id=result["track_id"])
    assert card.due_at <= datetime.now(UTC)
    due = client_a.get(f"{LEARNING}due/").data
    assert [item["track_id"] for item in due] == [result["track_id"]]
    assert due[0]["mp3_url"] and due[0]["name"] == "Card Me"
    assert due[0]["card"]["easiness_factor"] == 2.5 and due[0]["card"]["drill"] is False


def test_deleting_the_track_removes_its_card_and_reviews(client_a, user):
    track = ReviewLogFactory(card__track__owner=user).card.track

    client_a.delete(f"/api/tracks/{track.pk}/")

    assert not Card.objects.exists() and not ReviewLog.objects.exists()


def test_sm2_through_the_api(learner, user):
    track = track_with_card(user)
    with time_machine.travel(MONDAY, tick=False):
        first = grade(learner, track, 5).data
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        second = grade(learner, track, 5).data

    assert (first["repetitions"], first["interval_days"], first["easiness_factor"]) == (1, 1, 2.6)
    assert first["due_at"] == "2026-03-03T09:00:00Z"
    assert (second["repetitions"], second["interval_days"]) == (2, 6)
    assert second["due_at"] == "2026-03-09T09:00:00Z"


def test_drill_cards_come_first_and_grades_in_drill_change_no_schedule(learner, user):
    drilled = track_with_card(user, "Drilled", due_at=MONDAY - timedelta(days=5))
    track_with_card(user, "Later", due_at=MONDAY - timedelta(days=1))
    track_with_card(user, "Overdue", due_at=MONDAY - timedelta(days=3))
    with time_machine.travel(MONDAY, tick=False):
        scheduled = grade(learner, drilled, 3).data
        order = [item["name"] for item in learner.get(f"{LEARNING}due/").data]
        still = grade(learner, drilled, 1).data
        ended = grade(learner, drilled, 5).data
        after = [item["name"] for item in learner.get(f"{LEARNING}due/").data]
    with time_machine.travel(MONDAY + timedelta(days=1, hours=1), tick=False):
        next_day = [item["name"] for item in learner.get(f"{LEARNING}due/?limit=50").data]

    assert order == ["Drilled", "Overdue", "Later"]
    assert scheduled["drill"] and still["drill"] and not ended["drill"]
    for state in (still, ended):
        assert {key: state[key] for key in ("easiness_factor", "repetitions", "interval_days", "due_at")} == {
            key: scheduled[key] for key in ("easiness_factor", "repetitions", "interval_days", "due_at")
        }
    assert after == ["Overdue", "Later"]
    assert next_day == ["Overdue", "Later", "Drilled"]
    assert list(ReviewLog.objects.filter(card__track=drilled).values_list("drill", flat=True)) == [False, True, True]


@pytest.mark.parametrize("value", [6, -1, 4.5, "4", None, True])
def test_bad_grades_are_400(client_a, user, value):
    track = track_with_card(user)

    response = grade(client_a, track, value)

    assert response.status_code == 400
    assert "grade" in response.data
    assert not ReviewLog.objects.exists()


def test_missing_fields_unknown_foreign_and_unready_tracks(client_a, user, other_user):
    theirs = track_with_card(other_user, "Theirs")
    pending = TrackFactory(owner=user, name="Pending", processing=True)

    assert client_a.post(f"{LEARNING}grade/", {"grade": 3}, format="json").status_code == 400
    assert grade(client_a, Track(pk="6b0f0c55-08c9-4d87-8b7c-2d1f2b0f7e11"), 3).status_code == 404
    assert grade(client_a, theirs, 3).status_code == 404
    conflict = grade(client_a, pending, 3)
    assert conflict.status_code == 409 and "not ready" in conflict.data["detail"]
    assert client_a.get(f"{LEARNING}cards/{theirs.pk}/history/").status_code == 404
    assert client_a.get(f"{LEARNING}due/").data == []


def test_due_limit_is_checked(client_a):
    assert client_a.get(f"{LEARNING}due/?limit=201").status_code == 400
    assert client_a.get(f"{LEARNING}due/?limit=0").status_code == 400
    assert client_a.get(f"{LEARNING}due/?limit=200").status_code == 200


def test_history_lists_every_grade_newest_first(client_a, user):
    track = track_with_card(user)
    for value in (5, 2, 4):
        grade(client_a, track, value)

    history = client_a.get(f"{LEARNING}cards/{track.pk}/history/").data

    assert history["count"] == 3
    assert [entry["grade"] for entry in history["results"]] == [4, 2, 5]
    assert history["results"][-1]["state_before"]["repetitions"] == 0


def test_stats(learner, user):
    tracks = [track_with_card(user, f"T{index}", due_at=MONDAY - timedelta(days=2)) for index in range(4)]
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        grade(learner, tracks[0], 5)
    with time_machine.travel(MONDAY, tick=False):
        grade(learner, tracks[1], 2)
        grade(learner, tracks[2], 4)
        stats = learner.get(f"{LEARNING}stats/").data

    assert stats["cards_total"] == 4
    assert stats["reviewed_today"] == 2
    assert stats["retention_30_days"] == pytest.approx(2 / 3)
    assert stats["streak_days"] == 2
    assert stats["due_now"] == 3  # the never graded card, track 0 (due this morning) and the drill
    assert len(stats["forecast"]) == 14
    assert stats["forecast"][0] == {"date": "2026-03-02", "due": 3}  # today (Monday): the same three
    assert stats["forecast"][1]["due"] == 2  # tracks 1 and 2 come back tomorrow


def test_fsrs_grading_and_switching_both_ways_keeps_history(learner, user):
    track = track_with_card(user)
    with time_machine.travel(MONDAY, tick=False):
        grade(learner, track, 4)
        grade(learner, track, 5)
    sm2_state = Card.objects.values("repetitions", "interval_days", "due_at").get(track=track)

    switched = learner.patch(f"{LEARNING}settings/", {"scheduler": "fsrs", "desired_retention": 0.85}, format="json")
    card = Card.objects.get(track=track)
    assert switched.status_code == 200 and switched.data == {"scheduler": "fsrs", "desired_retention": 0.85}
    assert card.stability is not None and card.difficulty is not None and card.fsrs_state is not None
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        under_fsrs = grade(learner, track, 0).data
    assert under_fsrs["stability"] is not None
    assert ReviewLog.objects.filter(card__track=track).count() == 3

    back = learner.patch(f"{LEARNING}settings/", {"scheduler": "sm2"}, format="json")
    card = Card.objects.get(track=track)
    assert back.status_code == 200
    assert (card.repetitions, card.interval_days) == (0, 1)  # the FSRS "Again" replayed as an SM-2 failure
    assert card.stability is None
    assert ReviewLog.objects.filter(card__track=track).count() == 3
    assert (sm2_state["repetitions"], sm2_state["interval_days"]) == (2, 6)


def test_the_browsable_api_form_can_grade(client, user):
    client.force_login(user)
    track = track_with_card(user)

    response = client.post(f"{LEARNING}grade/", {"track_id": str(track.pk), "grade": "4"})

    assert response.status_code == 200
    assert response.json()["repetitions"] == 1


def test_due_items_say_what_the_card_serializer_says(learner, user):
    from learning.api.serializers import CardStateSerializer

    track = track_with_card(user)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=3), tick=False):
        grade(learner, track, 2)
    item = learner.get(f"{LEARNING}due/").data[0]
    expected = CardStateSerializer(Card.objects.get(track=track), context={"now": datetime.now(UTC)}).data

    assert item["card"] == json_ready(expected)


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_the_hand_built_card_state_is_what_its_declared_fields_render(learner, user, scheduler):
    from learning.api.serializers import CardStateSerializer

    learner.patch(f"{LEARNING}settings/", {"scheduler": scheduler}, format="json")
    track = track_with_card(user)
    grade(learner, track, 2)  # SM-2: a drill today; FSRS: stability and difficulty set
    card = Card.objects.get(track=track)
    now = datetime.now(UTC)
    fields = CardStateSerializer(context={"now": now}).fields
    rendered = {
        name: None if getattr(card, name) is None else field.to_representation(getattr(card, name))
        for name, field in fields.items()
        if name != "drill"
    }
    rendered["drill"] = scheduler == "sm2"

    state = CardStateSerializer(card, context={"now": now}).data

    assert json_ready(state) == json_ready(rendered)
    assert list(state) == list(fields)


def json_ready(data) -> dict:
    import json

    from rest_framework.renderers import JSONRenderer

    return json.loads(JSONRenderer().render(data))


def test_a_long_run_of_easy_grades_keeps_answering_and_switching(learner, user):
    track = track_with_card(user)
    assert learner.patch(f"{LEARNING}settings/", {"scheduler": "fsrs"}, format="json").status_code == 200
    for _ in range(20):  # under SM-2's rules the 13th would be due after year 9999
        assert grade(learner, track, 5).status_code == 200

    switched = learner.patch(f"{LEARNING}settings/", {"scheduler": "sm2"}, format="json")

    assert switched.status_code == 200
    assert grade(learner, track, 5).status_code == 200
    assert Card.objects.get(track=track).interval_days == 36_500
