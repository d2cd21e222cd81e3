"""The same bytes uploaded while their twin is still being transcoded (status `processing`)."""

import pytest

from core import storage
from tests.helpers.http import put_bytes
from tests.helpers.stored import stored_keys
from tests.tracks.flow import TRACKS, confirm, poll, upload
from tracks import services
from tracks.models import Track

pytestmark = pytest.mark.django_db
TRANSCODE = services.track_transcode  # the real one, for after a test held it


@pytest.fixture
def held_transcodes(monkeypatch) -> list[str]:
    """A track's job accepts its file but does not make the MP3, so a FLAC stays `processing`; the ids held."""
    held = []
    monkeypatch.setattr(services, "track_transcode", lambda *, track_id: held.append(str(track_id)))
    return held


def confirm_copy(client, file_name: str, data: bytes):
    """Get an upload URL for `file_name`, PUT the bytes, confirm; the slot and the confirm's response."""
    slot = client.post(
        f"{TRACKS}upload-urls/", {"files": [{"file_name": file_name, "content_type": "audio/flac"}]}, format="json"
    ).data["uploads"][0]
    assert put_bytes(client, slot["upload_url"], data, slot["headers"]) == 200
    return slot, confirm(client, [slot])


def assert_failed_as_duplicate_of(client, first, slot, response):
    assert response.status_code == 202, response.data
    assert [item["status"] for item in response.data["tracks"]] == ["processing"]
    second = poll(client, slot["track_id"])
    assert (second["status"], second["duplicate_of"]) == ("failed", first["track_id"])
    assert "'original.flac'" in second["error"] and first["track_id"] in second["error"]
    kept = Track.objects.get(pk=first["track_id"])
    assert kept.status == Track.Status.PROCESSING  # the twin was not touched
    assert not storage.object_exists(slot["key"])
    assert stored_keys(f"users/{kept.owner_id}/tracks/{second['track_id']}") == []
    return kept


def test_same_bytes_confirmed_while_the_twin_is_processing_end_failed_as_its_duplicate(
    storage_mode, client_a, audio_files, held_transcodes
):
    [first] = upload(client_a, {"original.flac": audio_files["flac"]})
    assert first["status"] == "processing"
    assert held_transcodes == [first["track_id"]]

    slot, response = confirm_copy(client_a, "copy.flac", audio_files["flac"])

    kept = assert_failed_as_duplicate_of(client_a, first, slot, response)
    assert held_transcodes == [first["track_id"]]  # no transcode for the copy
    # The twin's transcode, run now, still finishes it.
    TRANSCODE(track_id=held_transcodes[0])
    kept.refresh_from_db()
    assert kept.status == Track.Status.READY and storage.object_exists(kept.mp3_key)


def test_same_bytes_that_pass_the_twin_check_while_the_twin_is_processing_are_kept_once(
    storage_mode, client_a, audio_files, held_transcodes, monkeypatch
):
    """The copy's check misses the processing twin (as if it had not committed yet): the constraint catches it."""
    [first] = upload(client_a, {"original.flac": audio_files["flac"]})
    assert first["status"] == "processing"
    kept_twin = services._kept_twin
    looks = []

    def misses_the_first_look(track, digest):
        looks.append(track.pk)
        return None if len(looks) == 1 else kept_twin(track, digest)

    monkeypatch.setattr(services, "_kept_twin", misses_the_first_look)

    slot, response = confirm_copy(client_a, "copy.flac", audio_files["flac"])

    assert len(looks) == 2  # missed by the check, caught by the constraint, then found
    kept = assert_failed_as_duplicate_of(client_a, first, slot, response)
    assert kept.artwork_key and storage.object_exists(kept.artwork_key)
    assert storage.object_exists(kept.original_key)
    assert held_transcodes == [first["track_id"]]
