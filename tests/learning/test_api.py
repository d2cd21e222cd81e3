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


def due_names(client, path=f"{LEARNING}due/?limit=50") -> list[str]:
    return [item["name"] for item in client.get(path).data["results"]]


def test_a_track_that_becomes_ready_gets_a_card_due_at_once(client_a):
    from tests.helpers.media import tone_bytes
    from tests.tracks.flow import upload

    [result] = upload(client_a, {"Card Me.mp3": tone_bytes("mp3")})

    card = Card.objects.get(track_id=result["track_id"])
    assert card.due_at <= datetime.now(UTC)
    due = client_a.get(f"{LEARNING}due/").data["results"]
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
        order = due_names(learner)
        still = grade(learner, drilled, 1).data
        ended = grade(learner, drilled, 5).data
        after = due_names(learner)
    with time_machine.travel(MONDAY + timedelta(days=1, hours=1), tick=False):
        next_day = due_names(learner)

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
    assert client_a.get(f"{LEARNING}due/").data == {"count": 0, "next": None, "previous": None, "results": []}


def test_due_page_parameters_follow_the_list_convention(client_a, user):
    for name in ("A", "B", "C"):
        track_with_card(user, name)

    assert client_a.get(f"{LEARNING}due/?limit=many").status_code == 400
    assert client_a.get(f"{LEARNING}due/?offset=first").status_code == 400
    clamped = client_a.get(f"{LEARNING}due/?limit=0&offset=-4").data  # out of range: the default page
    assert (clamped["count"], len(clamped["results"]), clamped["next"]) == (3, 3, None)
    assert client_a.get(f"{LEARNING}due/?limit=201").status_code == 200


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
    item = learner.get(f"{LEARNING}due/").data["results"][0]
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


def _due_library(owner) -> None:
    """At MONDAY: two cards in today's drill (one due tomorrow, one overdue), three other cards
    due, and two that are not: the due list is the drills by review time, then the due by due time."""
    today = MONDAY.date()
    track_with_card(
        owner,
        "Drill late",
        drill_day=today,
        last_reviewed_at=MONDAY - timedelta(hours=1),
        due_at=MONDAY + timedelta(days=1),
    )
    track_with_card(
        owner,
        "Drill early",
        drill_day=today,
        last_reviewed_at=MONDAY - timedelta(hours=3),
        due_at=MONDAY - timedelta(days=2),
    )
    track_with_card(owner, "Due 2", due_at=MONDAY - timedelta(days=2))
    track_with_card(owner, "Due 1", due_at=MONDAY - timedelta(days=9))
    track_with_card(owner, "Due 3", due_at=MONDAY - timedelta(minutes=1))
    track_with_card(owner, "Not yet", due_at=MONDAY + timedelta(hours=1))
    track_with_card(owner, "Yesterday's drill", drill_day=today - timedelta(days=1), due_at=MONDAY + timedelta(days=1))


DUE_ORDER = ["Drill early", "Drill late", "Due 1", "Due 2", "Due 3"]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6])
def test_due_pages_follow_the_list_convention_in_due_order(learner, user, limit):
    _due_library(user)
    names, pages, path = [], [], f"{LEARNING}due/?limit={limit}"
    with time_machine.travel(MONDAY, tick=False):
        while path:
            page = learner.get(path).json()
            assert set(page) == {"count", "next", "previous", "results"}
            pages.append(page)
            names += [item["name"] for item in page["results"]]
            path = page["next"]
        beyond = learner.get(f"{LEARNING}due/?limit={limit}&offset=7").json()

    assert names == DUE_ORDER  # whatever the page size, also where a page spans drills and due cards
    assert [page["count"] for page in pages] == [5] * len(pages)
    assert len(pages) == -(-5 // limit)
    assert pages[0]["previous"] is None and (len(pages) == 1 or f"limit={limit}" in pages[1]["previous"])
    assert beyond["count"] == 5 and beyond["results"] == []


def test_a_due_page_costs_the_same_queries_for_a_small_and_a_larger_library(learner, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        with time_machine.travel(MONDAY, tick=False), CaptureQueriesContext(connection) as captured:
            assert learner.get(path).status_code == 200
        return len(captured)

    _due_library(user)
    small = [queries(f"{LEARNING}due/?limit=3&offset={offset}") for offset in (0, 3, 9)]
    for number in range(40):  # 20 more in today's drill, 20 more due
        drill = number % 2 == 0
        track_with_card(
            user,
            f"More {number}",
            drill_day=MONDAY.date() if drill else None,
            last_reviewed_at=MONDAY - timedelta(hours=5),
            due_at=MONDAY - timedelta(days=1),
        )
    larger = [queries(f"{LEARNING}due/?limit=3&offset={offset}") for offset in (21, 42, 90)]

    # Two counts, then a slice of each part the page reaches: drills and due cards (offsets 0 and 21),
    # due cards only (3 and 42), nothing at all past the end (9 and 90).
    assert small == larger == [4, 3, 2]


def test_the_grade_answer_names_the_track_it_graded(learner, user):
    from learning.api.serializers import CardStateSerializer

    track_with_card(user, "First")
    graded = track_with_card(user, "Second")

    answer = grade(learner, graded, 4).json()

    assert answer["track_id"] == str(graded.pk)
    assert list(answer) == ["track_id", *CardStateSerializer.Meta.fields]
    assert (answer["repetitions"], answer["interval_days"], answer["drill"]) == (1, 1, False)
