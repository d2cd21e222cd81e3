"""What was checked is what is served: the track library against the attacks of the security review."""

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from core import staging, storage
from tests.helpers.http import fetch, put_bytes
from tests.helpers.stored import stored_keys
from tests.helpers.tagging import tag_mp3
from tests.tracks.conftest import TAGS, write
from tests.tracks.flow import TRACKS, request_uploads, upload
from tests.tracks.test_upload_flow import upload_existing_slot
from tracks import tags
from tracks.models import Track
from tracks.tags import CoverArt

pytestmark = pytest.mark.django_db


def _after_every_url_expired():
    return timezone.now() + timedelta(
        seconds=settings.PRESIGNED_URL_EXPIRES, hours=settings.STORAGE_STAGING_RETENTION_HOURS, minutes=1
    )


def _urls(client, track_id) -> dict:
    [urls] = client.get(f"{TRACKS}download-urls/?ids={track_id}").data["tracks"]
    return urls


def _slot(client, file_name: str) -> dict:
    response = request_uploads(client, [(file_name, 1000)])
    assert response.status_code == 201, response.data
    return response.data["uploads"][0]


def test_a_second_put_after_ready_changes_nothing_that_is_served(storage_mode, client_a, audio_files):
    slot = _slot(client_a, "Night Drive.mp3")
    [ready] = upload_existing_slot(client_a, slot, audio_files["mp3"])
    assert ready["status"] == "ready"

    replay = put_bytes(client_a, slot["upload_url"], b"<html>owned</html>", slot["headers"])
    [again] = upload_existing_slot_confirm_only(client_a, slot)

    assert replay == 200 and again["status"] == "ready"
    track = Track.objects.get(pk=ready["track_id"])
    status, headers, body = fetch(client_a, _urls(client_a, track.pk)["mp3_url"])
    assert (status, body) == (200, audio_files["mp3"])
    assert headers["content-type"] == "audio/mpeg"
    assert headers["content-disposition"].startswith('attachment; filename="Night Drive.mp3"')
    # The row still describes the bytes it serves.
    assert (track.size, track.sha256) == (len(body), hashlib.sha256(body).hexdigest())


def upload_existing_slot_confirm_only(client, slot):
    body = {"files": [{"track_id": slot["track_id"], "file_name": slot["file_name"], "key": slot["key"]}]}
    return client.post(TRACKS, body, format="json").data["tracks"]


def test_bytes_put_while_the_tags_are_read_are_not_what_gets_stored(storage_mode, client_a, audio_files, monkeypatch):
    slot = _slot(client_a, "race.mp3")
    read = tags.read_audio_file

    def read_while_the_attacker_puts(path):
        assert put_bytes(client_a, slot["upload_url"], b"<html>swapped</html>" * 50, slot["headers"]) == 200
        return read(path)

    monkeypatch.setattr(tags, "read_audio_file", read_while_the_attacker_puts)
    [result] = upload_existing_slot(client_a, slot, audio_files["mp3"])

    assert result["status"] == "ready"
    track = Track.objects.get(pk=result["track_id"])
    with default_storage.open(track.original_key, "rb") as stored:
        assert stored.read() == audio_files["mp3"]
    assert track.sha256 == hashlib.sha256(audio_files["mp3"]).hexdigest()


def test_a_put_after_the_track_is_deleted_leaves_nothing_after_the_sweep(storage_mode, client_a, user, audio_files):
    slot = _slot(client_a, "gone.mp3")
    upload_existing_slot(client_a, slot, audio_files["mp3"])
    assert client_a.delete(f"{TRACKS}{slot['track_id']}/").status_code == 204

    late = put_bytes(client_a, slot["upload_url"], b"<html>late</html>", slot["headers"])
    assert late == 200 and stored_keys(f"staging/{user.pk}") != []  # until the sweep
    staging.staged_objects_sweep(now=_after_every_url_expired())

    assert stored_keys(f"staging/{user.pk}") == []
    assert stored_keys(f"users/{user.pk}") == []


def test_the_original_is_stored_under_the_extension_of_what_was_checked(storage_mode, client_a, audio_files):
    # Declared as MP3 by the client, FLAC inside: it is kept (and would be served) as the FLAC it is.
    response = client_a.post(
        f"{TRACKS}upload-urls/",
        {"files": [{"file_name": "Declared.flac", "content_type": "audio/mpeg"}]},
        format="json",
    )
    [result] = upload_existing_slot(client_a, response.data["uploads"][0], audio_files["flac"])

    track = Track.objects.get(pk=result["track_id"])
    assert (track.status, track.format) == ("ready", "flac")
    assert track.original_key.endswith(".flac")
    assert storage.served_headers(track.original_key)[0] == "audio/flac"
    assert track.mp3_key.endswith(".mp3") and track.artwork_key.endswith(".png")


def test_an_embedded_cover_that_does_not_decode_gives_no_artwork(storage_mode, client_a, tmp_path, audio_files):
    fake_cover = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
    path = tag_mp3(
        write(tmp_path, "fake cover.mp3", audio_files["mp3"]), TAGS, CoverArt(data=fake_cover, mime="image/png")
    )

    [result] = upload(client_a, {"fake cover.mp3": path.read_bytes()})

    track = Track.objects.get(pk=result["track_id"])
    assert (track.status, track.artwork_key) == ("ready", "")
    assert _urls(client_a, track.pk)["artwork_url"] is None


def test_a_real_cover_is_served_inline_as_the_image_it_is(storage_mode, client_a, audio_files, cover_png):
    [result] = upload(client_a, {"cover.mp3": audio_files["mp3"]})

    status, headers, body = fetch(client_a, _urls(client_a, result["track_id"])["artwork_url"])

    assert (status, body) == (200, cover_png)
    assert (headers["content-type"], headers["content-disposition"]) == ("image/png", "inline")


@pytest.mark.parametrize("declared", ["Audio/FLAC", "audio/flac; foo=bar", "audio/x-flac"])
def test_a_content_type_with_capitals_or_parameters_gets_a_url_that_works(
    storage_mode, client_a, audio_files, declared
):
    response = client_a.post(
        f"{TRACKS}upload-urls/", {"files": [{"file_name": "typed.flac", "content_type": declared}]}, format="json"
    )

    assert response.status_code == 201, response.data
    slot = response.data["uploads"][0]
    assert slot["headers"] == {"Content-Type": "audio/flac"}
    [result] = upload_existing_slot(client_a, slot, audio_files["flac"])
    assert result["status"] == "ready"
    assert Track.objects.get(pk=result["track_id"]).format == "flac"


def test_an_upload_url_names_a_staging_key_that_a_confirm_must_quote(client_a, user, audio_files):
    slot = _slot(client_a, "quoted.mp3")
    assert slot["key"].startswith(f"staging/{user.pk}/")
    put_bytes(client_a, slot["upload_url"], audio_files["mp3"], slot["headers"])

    wrong = client_a.post(
        TRACKS,
        {"files": [{"track_id": slot["track_id"], "file_name": "quoted.mp3", "key": "users/x/y.mp3"}]},
        format="json",
    )

    assert wrong.status_code == 400
    assert Track.objects.get(pk=slot["track_id"]).status == "awaiting_upload"
