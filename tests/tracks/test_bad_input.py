"""Bad input: a clear 4xx or a `failed` track with a readable error, and no other track affected."""

import pytest

from core import storage
from tests.factories import UserFactory
from tests.helpers.http import put_bytes
from tests.helpers.media import tone_bytes
from tests.tracks.flow import TRACKS, confirm, request_uploads, upload
from tracks.models import Track

pytestmark = pytest.mark.django_db


@pytest.fixture
def bystander(client_a, audio_files):
    """A track that must come through every bad request untouched."""
    [result] = upload(client_a, {"keep me.mp3": audio_files["mp3"]})
    return Track.objects.get(pk=result["track_id"])


def assert_untouched(track: Track) -> None:
    before = (track.status, track.updated_at, track.original_key)
    track.refresh_from_db()
    assert (track.status, track.updated_at, track.original_key) == before
    assert storage.object_exists(track.original_key)


@pytest.mark.parametrize(
    ("file_name", "data", "message"),
    [
        ("fake.flac", b"<html>not audio</html>" * 40, "not a recognisable audio file"),
        ("empty.mp3", b"", "The file is empty."),
        ("noise.mp3", bytes(range(256)) * 64, "not a recognisable audio file"),
    ],
)
def test_unreadable_files_fail_with_a_message(storage_mode, client_a, bystander, file_name, data, message):
    [result] = upload(client_a, {file_name: data})

    assert result["status"] == "failed"
    assert message in result["error"]
    track = Track.objects.get(pk=result["track_id"])
    # What the user sent stays in staging (never served) until the staging sweep, for support to look at.
    assert storage.object_exists(track.upload_key)
    assert track.original_key == ""
    assert_untouched(bystander)


def test_a_failed_file_can_be_uploaded_again(client_a, audio_files):
    [failed] = upload(client_a, {"retry.mp3": b"garbage" * 100})
    assert failed["status"] == "failed"

    [fixed] = upload(client_a, {"retry.mp3": audio_files["mp3"]})

    assert fixed["track_id"] == failed["track_id"]
    assert fixed["status"] == "ready"


def test_a_file_never_put_is_reported_in_its_entry_and_not_queued_while_the_others_are(
    client_a, bystander, audio_files, monkeypatch
):
    from tracks import tasks

    sent = []
    monkeypatch.setattr(tasks.track_process, "delay", sent.append)
    [put, later] = request_uploads(client_a, [("now.mp3", 1000), ("later.mp3", 1000)]).data["uploads"]
    assert put_bytes(client_a, put["upload_url"], audio_files["mp3"], put["headers"]) == 200

    response = confirm(client_a, [put, later])

    assert response.status_code == 202
    assert [(item["track_id"], item["status"]) for item in response.data["tracks"]] == [
        (put["track_id"], "processing"),
        (later["track_id"], "awaiting_upload"),
    ]
    assert "No file has been uploaded" in response.data["tracks"][1]["error"]
    assert sent == [put["track_id"]]
    assert Track.objects.get(pk=later["track_id"]).status == "awaiting_upload"
    assert_untouched(bystander)


def test_someone_elses_track_or_key_is_refused(client_a, client_b, audio_files):
    [theirs] = upload(client_b, {"theirs.mp3": audio_files["mp3"]})
    their_track = Track.objects.get(pk=theirs["track_id"])
    mine = request_uploads(client_a, [("mine.mp3", 100)]).data["uploads"][0]

    foreign_id = client_a.post(
        TRACKS,
        {"files": [{"track_id": str(their_track.pk), "file_name": "theirs.mp3", "key": their_track.original_key}]},
        format="json",
    )
    foreign_key = client_a.post(
        TRACKS,
        {"files": [{"track_id": mine["track_id"], "file_name": "mine.mp3", "key": their_track.original_key}]},
        format="json",
    )

    assert foreign_id.status_code == 404
    assert foreign_key.status_code == 400
    assert "is not the upload key" in str(foreign_key.data)
    assert client_a.get(f"{TRACKS}{their_track.pk}/").status_code == 404
    assert client_a.patch(f"{TRACKS}{their_track.pk}/", {"name": "x"}).status_code == 404
    assert client_a.delete(f"{TRACKS}{their_track.pk}/").status_code == 404
    their_track.refresh_from_db()
    assert their_track.status == "ready" and storage.object_exists(their_track.original_key)


def test_too_many_files_is_400(client_a):
    response = request_uploads(client_a, [(f"track {index}.mp3", 10) for index in range(101)])

    assert response.status_code == 400
    assert "no more than 100" in str(response.data["files"]).lower()
    assert not Track.objects.exists()


def test_no_files_is_400(client_a):
    assert request_uploads(client_a, []).status_code == 400


def test_an_oversized_file_is_413_and_nothing_is_created(client_a, settings):
    settings.TRACKS_MAX_UPLOAD_MB = 1

    response = request_uploads(client_a, [("small.mp3", 10), ("huge.flac", 1024 * 1024 + 1)])

    assert response.status_code == 413
    assert "huge.flac" in response.data["detail"]
    assert not Track.objects.exists()


def test_the_local_upload_url_refuses_more_bytes_than_the_limit(client_a, settings, local_storage):
    settings.TRACKS_MAX_UPLOAD_MB = 1
    slot = request_uploads(client_a, [("sneaky.mp3", 10)]).data["uploads"][0]

    status = put_bytes(client_a, slot["upload_url"], b"\0" * (1024 * 1024 + 1), slot["headers"])

    assert status == 413
    assert not storage.object_exists(slot["key"])


@pytest.mark.parametrize(("file_name", "content_type"), [("notes.txt", "text/plain"), ("song.mp3", "text/html")])
def test_non_audio_names_or_types_are_415(client_a, file_name, content_type):
    response = client_a.post(
        f"{TRACKS}upload-urls/", {"files": [{"file_name": file_name, "content_type": content_type}]}, format="json"
    )

    assert response.status_code == 415
    assert not Track.objects.exists()


def test_a_name_already_in_the_library_is_409_with_its_id(client_a, bystander):
    response = request_uploads(client_a, [("keep me.mp3", 10)])

    assert response.status_code == 409
    assert response.data["track_id"] == str(bystander.pk)
    assert_untouched(bystander)


def test_repeated_names_in_one_request_are_400(client_a):
    response = request_uploads(client_a, [("a.mp3", 1), ("a.mp3", 1)])

    assert response.status_code == 400
    assert "repeated: a.mp3" in str(response.data)


def test_path_traversal_names_stay_inside_the_owners_prefix(client_a, user):
    [result] = upload(client_a, {"../../../other/../etc/passwd.mp3": tone_bytes("mp3")})

    track = Track.objects.get(pk=result["track_id"])
    assert track.original_key.startswith(f"users/{user.pk}/tracks/{track.pk}/original/")
    assert ".." not in track.original_key
    assert track.status == "ready"


def test_tracks_of_other_users_are_unaffected_by_identical_bytes(client_a, client_b, audio_files):
    [mine] = upload(client_a, {"same.mp3": audio_files["mp3"]})
    [theirs] = upload(client_b, {"same.mp3": audio_files["mp3"]})

    assert mine["status"] == theirs["status"] == "ready"
    assert Track.objects.count() == 2
    assert UserFactory._meta.model.objects.count() == 2


def test_confirm_takes_up_to_500_files(client_a):
    import uuid

    body = {"files": [{"track_id": str(uuid.uuid4()), "file_name": f"{index}.mp3", "key": "k"} for index in range(501)]}

    response = client_a.post(TRACKS, body, format="json")

    assert response.status_code == 400
    assert "500" in str(response.data["files"])


def _wav_with_header(*, channels: int, sample_rate: int, bits: int = 16) -> bytes:
    """A WAV whose header says what it is told to, over a few silent frames."""
    import struct

    block = channels * bits // 8
    data = b"\x00" * (block * 10)
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block & 0xFFFFFFFF, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("channels", "sample_rate", "message"),
    [(2, 3_000_000_000, "sample rate of 3000000000 Hz"), (40_000, 44_100, "40000 channels")],
)
def test_a_header_with_impossible_numbers_fails_with_a_message(client_a, bystander, channels, sample_rate, message):
    wav = _wav_with_header(channels=channels, sample_rate=sample_rate, bits=8)
    [result] = upload(client_a, {"lying.wav": wav})

    assert result["status"] == "failed" and message in result["error"]
    assert_untouched(bystander)


def test_odd_tag_values_are_stored_as_far_as_they_fit(tmp_path, client_a, audio_files):
    """Longer than the columns, NUL characters, a year in superscript digits: stored cleaned, in one batch
    with a good file, and neither breaks the other."""
    from tests.helpers.media import make_tone
    from tests.helpers.tagging import tag_flac

    flac = make_tone(tmp_path / "odd.flac", seconds=1.0)
    tag_flac(
        flac,
        {
            "TITLE": "A\x00B" + "t" * 600,
            "ARTIST": "Nora\x00 Vale",
            "GENRE": ["House" * 9] * 40,
            "DATE": "¹⁹⁹⁹",
            "INITIALKEY": "8A" * 20,
            "ISRC": "X" * 100,
        },
    )

    results = upload(client_a, {"odd tags.flac": flac.read_bytes(), "a good one.mp3": audio_files["mp3"]})

    assert [result["status"] for result in results] == ["ready", "ready"]
    odd = Track.objects.get(file_name="odd tags.flac")
    assert odd.mp3_key != odd.original_key  # transcoded with those tags
    assert odd.name == ("AB" + "t" * 600)[:500] and odd.artist == "Nora Vale"
    assert len(odd.genre) == 200 and odd.year is None and odd.musical_key == ("8A" * 20)[:16]
    assert odd.details.isrc == "X" * 32 and odd.details.title == odd.name
