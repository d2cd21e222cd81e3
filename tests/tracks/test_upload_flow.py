import io
import subprocess

import pytest
from mutagen import File
from mutagen.mp3 import MP3

from core import storage
from tests.helpers.http import get_bytes, put_bytes
from tests.helpers.stored import stored_keys
from tests.tracks.conftest import TAGS, write
from tests.tracks.flow import TRACKS, confirm, poll, upload
from tracks.models import Track
from tracks.tags import read_audio_file

pytestmark = pytest.mark.django_db


def download_mp3(client, tmp_path, track_id):
    urls = client.get(f"{TRACKS}download-urls/?ids={track_id}").data["tracks"]
    assert len(urls) == 1
    status, body = get_bytes(client, urls[0]["mp3_url"])
    assert status == 200
    return write(tmp_path, "downloaded.mp3", body), urls[0]


def test_mp3_is_ready_at_once_with_its_tags_and_artwork(storage_mode, client_a, tmp_path, audio_files, cover_png):
    [result] = upload(client_a, {"Ana Lopez - Night Drive.mp3": audio_files["mp3"]})

    assert (result["status"], result["error"]) == ("ready", "")
    detail = client_a.get(f"{TRACKS}{result['track_id']}/").data
    assert (detail["name"], detail["artist"], detail["format"]) == ("Night Drive", "Ana Lopez", "mp3")
    assert detail["bpm"] == 122.0 and detail["musical_key"] == "8A" and detail["year"] == 2024
    assert detail["details"]["isrc"] == "GBUM71029604"
    assert detail["details"]["replaygain_track_gain_db"] == -6.5
    assert detail["details"]["musicbrainz_track_id"] == TAGS.musicbrainz_track_id
    assert detail["has_artwork"] is True
    downloaded, urls = download_mp3(client_a, tmp_path, result["track_id"])
    assert downloaded.read_bytes() == audio_files["mp3"]  # an MP3 is served as uploaded
    # ...so the MP3 served is the original: 128 kbps as the fixture encoded it, by mutagen's reading.
    info = MP3(downloaded).info
    served = {"format": "mp3", "bitrate": round(info.bitrate / 1000), "sample_rate": 44100, "channels": 2}
    assert served["bitrate"] == 128 and info.sample_rate == 44100 and info.channels == 2
    assert detail["mp3"] == served
    assert {key: detail[key] for key in ("format", "bitrate", "sample_rate", "channels")} == served
    assert get_bytes(client_a, urls["artwork_url"]) == (200, cover_png)


@pytest.mark.parametrize(
    ("kind", "sample_rate", "seconds"), [("flac", 44100, 3.0), ("flac48", 48000, 2.0), ("wav", 44100, 2.0)]
)
def test_lossless_files_become_320_kbps_mp3_with_tags_and_art(
    storage_mode, client_a, tmp_path, audio_files, cover_png, kind, sample_rate, seconds
):
    extension = "wav" if kind == "wav" else "flac"
    [result] = upload(client_a, {f"Night Drive {kind}.{extension}": audio_files[kind]})

    assert (result["status"], result["error"]) == ("ready", "")  # the job ran as the confirm committed
    track = Track.objects.get(pk=result["track_id"])
    assert (track.status, track.error) == ("ready", "")
    downloaded, _ = download_mp3(client_a, tmp_path, track.pk)
    mp3 = MP3(downloaded)
    assert mp3.info.bitrate == 320_000
    assert mp3.info.sample_rate == sample_rate
    assert mp3.info.length == pytest.approx(seconds, abs=0.1)
    assert mp3.tags.version[:2] == (2, 4)
    carried = read_audio_file(downloaded)
    assert (carried.tags.title, carried.tags.artist, carried.tags.bpm) == ("Night Drive", "Ana Lopez", 122.0)
    if kind == "flac":
        assert carried.cover is not None and carried.cover.data == cover_png
    assert storage.object_exists(track.original_key)  # the original is kept
    assert track.mp3_key != track.original_key
    # The track says what each file is: `mp3` the MP3 served, the rest the original as mutagen reads it.
    original = File(io.BytesIO(audio_files[kind])).info
    detail = client_a.get(f"{TRACKS}{track.pk}/").json()
    [listed] = [item for item in client_a.get(TRACKS).json()["results"] if item["id"] == str(track.pk)]
    for shown in (detail, listed):
        assert shown["mp3"] == {"format": "mp3", "bitrate": 320, "sample_rate": mp3.info.sample_rate, "channels": 2}
        assert (shown["format"], shown["sample_rate"], shown["channels"]) == (extension, sample_rate, 2)
        assert shown["bitrate"] == round(original.bitrate / 1000) != 320


def audio_bytes(tmp_path, name: str, *, sample_rate: int, channels: int) -> bytes:
    path = tmp_path / name
    tone = f"sine=frequency=500:duration=1.5:sample_rate={sample_rate}"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", tone, "-ac", str(channels)]
    subprocess.run([*command, str(path)], check=True)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "sample_rate", "channels", "mp3_rate", "mp3_channels"),
    [("hires mono.flac", 96000, 1, 48000, 1), ("surround.wav", 88200, 6, 44100, 2)],
)
def test_the_mp3_fields_say_what_the_transcode_measured_and_the_others_keep_the_original(
    client_a, tmp_path, name, sample_rate, channels, mp3_rate, mp3_channels
):
    data = audio_bytes(tmp_path, name, sample_rate=sample_rate, channels=channels)

    [result] = upload(client_a, {name: data})

    detail = client_a.get(f"{TRACKS}{result['track_id']}/").json()
    assert detail["status"] == "ready"
    downloaded, _ = download_mp3(client_a, tmp_path, result["track_id"])
    served = MP3(downloaded).info  # the oracle: mutagen's reading of the MP3 actually served
    assert (served.sample_rate, served.channels, abs(served.bitrate - 320_000) < 500) == (mp3_rate, mp3_channels, True)
    assert detail["mp3"] == {"format": "mp3", "bitrate": 320, "sample_rate": mp3_rate, "channels": mp3_channels}
    original = File(io.BytesIO(data)).info
    extension = name.rsplit(".", 1)[1]
    assert (detail["format"], detail["sample_rate"], detail["channels"]) == (extension, sample_rate, channels)
    assert detail["bitrate"] == round(original.bitrate / 1000)


def test_no_mp3_is_described_before_there_is_one(client_a, user):
    from tests.factories import TrackFactory

    processing = TrackFactory(owner=user, processing=True, bitrate=900, sample_rate=96000, channels=2)
    waiting = TrackFactory(owner=user, awaiting_upload=True)

    listed = {item["id"]: item for item in client_a.get(TRACKS).json()["results"]}
    for track in (processing, waiting):
        assert client_a.get(f"{TRACKS}{track.pk}/").json()["mp3"] is None
        assert listed[str(track.pk)]["mp3"] is None
    assert (listed[str(processing.pk)]["bitrate"], listed[str(processing.pk)]["sample_rate"]) == (900, 96000)


def test_file_name_fills_name_and_artist_when_tags_are_missing(client_a, tmp_path):
    from tests.helpers.media import tone_bytes

    [result] = upload(client_a, {"01 - DJ Koze - Pick Up.mp3": tone_bytes("mp3")})

    track = Track.objects.get(pk=result["track_id"])
    assert (track.name, track.artist, track.status) == ("Pick Up", "DJ Koze", "ready")


def test_same_bytes_under_another_name_end_failed_naming_the_track_that_has_them(storage_mode, client_a, audio_files):
    [first] = upload(client_a, {"original.mp3": audio_files["mp3"]})
    kept = Track.objects.get(pk=first["track_id"])
    slot = client_a.post(
        f"{TRACKS}upload-urls/", {"files": [{"file_name": "copy.mp3", "content_type": "audio/mpeg"}]}, format="json"
    ).data["uploads"][0]

    [second] = upload_existing_slot(client_a, slot, audio_files["mp3"])

    # What the desktop app polls: failed, with the kept track's id to link the file to, and why in words.
    assert (second["status"], second["duplicate_of"]) == ("failed", first["track_id"])
    assert "'original.mp3'" in second["error"] and first["track_id"] in second["error"]
    listed = {item["id"]: item for item in client_a.get(TRACKS).json()["results"]}
    assert (listed[second["track_id"]]["status"], listed[second["track_id"]]["duplicate_of"]) == (
        "failed",
        first["track_id"],
    )
    # The bytes are kept once, by the track that had them; nothing of the copy is stored.
    assert not storage.object_exists(slot["key"])
    assert stored_keys(f"users/{kept.owner_id}/tracks/{second['track_id']}") == []
    copy = Track.objects.get(pk=second["track_id"])
    assert (copy.original_key, copy.mp3_key, copy.artwork_key) == ("", "", "")
    assert_unchanged(kept)


def assert_unchanged(track: Track) -> None:
    before = (track.status, track.updated_at, track.original_key, track.sha256)
    track.refresh_from_db()
    assert (track.status, track.updated_at, track.original_key, track.sha256) == before
    assert storage.object_exists(track.original_key)


def test_same_bytes_that_pass_the_twin_check_are_kept_once_by_the_database(
    storage_mode, client_a, audio_files, monkeypatch
):
    """Two jobs of the same bytes that both pass the duplicate check: the database keeps one."""
    from tracks import services

    [first] = upload(client_a, {"original.mp3": audio_files["mp3"]})
    kept = Track.objects.get(pk=first["track_id"])
    slot = client_a.post(
        f"{TRACKS}upload-urls/", {"files": [{"file_name": "copy.mp3", "content_type": "audio/mpeg"}]}, format="json"
    ).data["uploads"][0]
    kept_twin = services._kept_twin
    looks = []

    def misses_the_first_look(track, digest):  # as if the other job had not committed yet
        looks.append(track.pk)
        return None if len(looks) == 1 else kept_twin(track, digest)

    monkeypatch.setattr(services, "_kept_twin", misses_the_first_look)

    [second] = upload_existing_slot(client_a, slot, audio_files["mp3"])

    assert len(looks) == 2  # missed by the check, caught by the constraint
    assert (second["status"], second["duplicate_of"]) == ("failed", first["track_id"])
    assert_unchanged(kept)
    assert kept.status == "ready" and kept.artwork_key
    assert not storage.object_exists(slot["key"])
    # The losing job stored its checked original and cover, then removed them.
    assert stored_keys(f"users/{kept.owner_id}/tracks/{second['track_id']}") == []


def upload_existing_slot(client, slot, data):
    """PUT the bytes to an upload slot, confirm it (202), and poll its track's result."""
    assert put_bytes(client, slot["upload_url"], data, slot["headers"]) == 200
    confirmed = confirm(client, [slot])
    assert confirmed.status_code == 202, confirmed.data
    return [poll(client, item["track_id"]) for item in confirmed.data["tracks"]]


def test_direct_multipart_upload(storage_mode, client_a, audio_files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_a.post(
        f"{TRACKS}upload/",
        {"file": SimpleUploadedFile("Direct.flac", audio_files["flac"], "audio/flac"), "artist": "Override"},
        format="multipart",
    )

    assert response.status_code == 202, response.data
    assert response.data["status"] == "processing"
    result = poll(client_a, response.data["track_id"])
    track = Track.objects.get(pk=result["track_id"])
    # The artist given wins over the tag's; the name comes from the tags, the file name said nothing.
    assert (track.status, track.artist, track.name) == ("ready", "Override", "Night Drive")
    assert storage.object_exists(track.mp3_key)


def test_a_direct_upload_reads_no_more_than_the_header_in_the_request(client_a, audio_files, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tracks import services

    during_request = []
    real_fetch = services.staging.fetch
    monkeypatch.setattr(services.staging, "fetch", lambda *a, **k: during_request.append("copy") or real_fetch(*a, **k))
    with monkeypatch.context() as request_only:
        request_only.setattr(services, "enqueue_after_commit", lambda task, *args: during_request.append("queued"))
        response = client_a.post(
            f"{TRACKS}upload/",
            {"file": SimpleUploadedFile("Given.flac", audio_files["flac"], "audio/flac"), "name": "My Name"},
            format="multipart",
        )

    assert response.status_code == 202, response.data
    assert during_request == ["queued"]  # staged and queued; no copy, hash or tag read yet
    track = Track.objects.get(pk=response.data["track_id"])
    assert (track.status, track.name, track.sha256) == ("processing", "My Name", "")


def test_direct_upload_of_non_audio_is_415_with_the_reason_and_nothing_kept(client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_a.post(
        f"{TRACKS}upload/",
        {"file": SimpleUploadedFile("fake.flac", b"not audio at all" * 50, "audio/flac")},
        format="multipart",
    )

    assert response.status_code == 415
    assert "fake.flac" in response.data["detail"]
    assert not Track.objects.filter(file_name="fake.flac").exists()
