"""The confirm answers at once (202) and a worker does the reading: nothing heavy in the request."""

import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core import staging, storage
from tests.helpers.http import put_bytes
from tests.helpers.stored import stored_keys
from tests.tracks.flow import TRACKS, confirm, poll, request_uploads, upload
from tracks import services, tags
from tracks.models import Track

pytestmark = pytest.mark.django_db


@pytest.fixture
def uncommitted_client(user) -> APIClient:
    """Client A without the test client's commit: what a request queued stays queued until the test runs it."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def file_work(monkeypatch) -> list[tuple[str, str]]:
    """Each copy of a staged object, tag read and object stored by the tracks' code, as it happens."""
    done = []

    def recorded(module, name):
        real = getattr(module, name)

        def call(*args, **kwargs):
            done.append((name, str(args[0]) if args else ""))
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    recorded(staging, "fetch")  # the copy, and the sha256 computed while copying
    recorded(tags, "read_audio_file")
    recorded(storage, "save_file")
    recorded(storage, "copy_object")
    return done


def put_slots(client, files: dict[str, bytes]) -> list[dict]:
    slots = request_uploads(client, [(name, len(data)) for name, data in files.items()]).data["uploads"]
    for slot in slots:
        assert put_bytes(client, slot["upload_url"], files[slot["file_name"]], slot["headers"]) == 200
    return slots


def commit(django_capture_on_commit_callbacks, callbacks) -> None:
    """Run what a request queued for its commit (eager tasks), and everything that queues in turn."""
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()


def test_a_confirm_answers_202_with_every_track_processing_and_reads_no_bytes(
    storage_mode, client_a, uncommitted_client, user, audio_files, file_work, django_capture_on_commit_callbacks
):
    slots = put_slots(client_a, {"a.mp3": audio_files["mp3"], "b.flac": audio_files["flac"]})

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = confirm(uncommitted_client, slots)

    assert response.status_code == 202, response.data
    assert [(item["track_id"], item["status"], item["error"]) for item in response.data["tracks"]] == [
        (slot["track_id"], "processing", "") for slot in slots
    ]
    assert file_work == []  # no copy, hash, tag read or store in the request
    assert stored_keys(f"users/{user.pk}") == []
    assert all(storage.object_exists(slot["key"]) for slot in slots)
    listed = {item["id"]: item for item in uncommitted_client.get(TRACKS).json()["results"]}
    assert {track_id: (item["status"], item["mp3"]) for track_id, item in listed.items()} == {
        slot["track_id"]: ("processing", None) for slot in slots
    }

    commit(django_capture_on_commit_callbacks, queued)  # the worker's turn

    assert sorted(work for work, _ in file_work if work == "fetch") == ["fetch", "fetch"]
    assert {key for work, key in file_work if work == "fetch"} == {slot["key"] for slot in slots}
    for slot in slots:
        detail = uncommitted_client.get(f"{TRACKS}{slot['track_id']}/").json()
        assert (detail["status"], detail["error"], detail["mp3"]["format"]) == ("ready", "", "mp3")
        assert detail["details"]["isrc"] == "GBUM71029604"  # the tags were read, by the job
        assert not storage.object_exists(slot["key"])  # staged bytes deleted once kept


def test_a_second_confirm_changes_nothing_while_processing_or_once_ready(
    client_a, uncommitted_client, audio_files, django_capture_on_commit_callbacks
):
    [slot] = put_slots(client_a, {"twice.mp3": audio_files["mp3"]})
    with django_capture_on_commit_callbacks(execute=False) as first_commit:
        first = confirm(uncommitted_client, [slot])
    processing = Track.objects.get(pk=slot["track_id"])

    with django_capture_on_commit_callbacks(execute=False) as second_commit:
        again = confirm(uncommitted_client, [slot])

    assert first.status_code == again.status_code == 202
    assert again.data == first.data and again.data["tracks"][0]["status"] == "processing"
    assert second_commit == []  # no second job
    track = Track.objects.get(pk=slot["track_id"])
    assert (track.updated_at, track.queued_at) == (processing.updated_at, processing.queued_at)

    commit(django_capture_on_commit_callbacks, first_commit)
    ready = Track.objects.get(pk=slot["track_id"])
    with django_capture_on_commit_callbacks(execute=False) as third_commit:
        once_ready = confirm(uncommitted_client, [slot])

    assert once_ready.status_code == 202
    assert once_ready.data["tracks"][0]["status"] == "ready" and third_commit == []
    assert Track.objects.get(pk=slot["track_id"]).updated_at == ready.updated_at
    assert Track.objects.count() == 1


def test_refused_ids_keys_and_names_queue_nothing_and_the_corrected_batch_is_accepted(
    client_a, client_b, uncommitted_client, audio_files, django_capture_on_commit_callbacks
):
    [theirs] = upload(client_b, {"theirs.mp3": audio_files["mp3"]})
    their_track = Track.objects.get(pk=theirs["track_id"])
    [mine] = put_slots(client_a, {"mine.mp3": audio_files["mp3"]})
    good = {"track_id": mine["track_id"], "file_name": "mine.mp3", "key": mine["key"]}
    refused = {
        "someone else's track": (404, {"track_id": theirs["track_id"], "file_name": "theirs.mp3", "key": mine["key"]}),
        "an unknown id": (404, {**good, "track_id": str(uuid.uuid4()), "file_name": "other.mp3"}),
        "another key": (400, {**good, "key": their_track.original_key}),
        "another staging key": (400, {**good, "key": f"staging/{their_track.owner_id}/{uuid.uuid4().hex}"}),
        "another file name": (400, {**good, "file_name": "renamed.mp3"}),
    }

    for what, (status, bad) in refused.items():
        batch = [bad] if bad["track_id"] == good["track_id"] else [good, bad]
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = uncommitted_client.post(TRACKS, {"files": batch}, format="json")
        assert (response.status_code, queued) == (status, []), what
        assert Track.objects.get(pk=mine["track_id"]).status == "awaiting_upload", what

    accepted = client_a.post(TRACKS, {"files": [good]}, format="json")
    assert accepted.status_code == 202
    assert accepted.data["tracks"][0]["status"] == "processing"
    assert poll(client_a, mine["track_id"])["status"] == "ready"
    their_track.refresh_from_db()
    assert their_track.status == "ready" and storage.object_exists(their_track.original_key)


def test_a_track_uploaded_again_after_it_failed_keeps_nothing_of_the_failed_run(client_a, audio_files):
    data = audio_files["flac"]
    [failed] = upload(client_a, {"again.flac": data[: len(data) // 3]})  # accepted, then its transcode fails
    before = Track.objects.get(pk=failed["track_id"])
    assert before.status == "failed" and storage.object_exists(before.original_key)

    [fixed] = upload(client_a, {"again.flac": data})

    track = Track.objects.get(pk=fixed["track_id"])
    assert (fixed["track_id"], track.status) == (failed["track_id"], "ready")
    assert track.original_key != before.original_key and storage.object_exists(track.original_key)
    assert not storage.object_exists(before.original_key)  # the failed run's original is not left behind
    assert stored_keys(f"users/{track.owner_id}/tracks/{track.pk}") == sorted(
        [track.original_key, track.mp3_key, track.artwork_key]
    )


def test_the_job_of_a_track_deleted_before_it_ran_does_nothing(
    client_a, uncommitted_client, user, audio_files, file_work, django_capture_on_commit_callbacks
):
    [slot] = put_slots(client_a, {"gone.mp3": audio_files["mp3"]})
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert confirm(uncommitted_client, [slot]).status_code == 202
    services.track_delete(track_id=slot["track_id"])

    commit(django_capture_on_commit_callbacks, queued)

    assert file_work == []
    assert not Track.objects.exists() and stored_keys(f"users/{user.pk}") == []
