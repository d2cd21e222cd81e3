import uuid

import pytest

from chants.models import AssetUpload, Song
from core import storage
from tests.factories import SongFactory
from tests.helpers.http import get_bytes, put_bytes
from tests.helpers.media import image_bytes, tone_bytes

pytestmark = pytest.mark.django_db
SONGS = "/api/chants/songs/"


def start_upload(client, song, *, kind="audio", file_name="tone.mp3", content_type="audio/mpeg"):
    return client.post(
        f"{SONGS}{song.pk}/assets/", {"kind": kind, "file_name": file_name, "content_type": content_type}
    )


def upload_asset(client, song, data: bytes, **start_kwargs):
    """The whole client flow: start, PUT the bytes, complete. Returns the finished upload row."""
    start = start_upload(client, song, **start_kwargs)
    assert start.status_code == 201, start.data
    assert put_bytes(client, start.data["upload_url"], data, start.data["headers"]) == 200
    complete = client.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")
    assert complete.status_code == 202, complete.data
    return AssetUpload.objects.get(pk=start.data["id"])


@pytest.fixture
def song(user):
    return SongFactory(created_by=user, duration_seconds=None)


def test_audio_and_artwork_uploads_become_download_urls(storage_mode, client_a, api_client, song):
    audio = upload_asset(client_a, song, tone_bytes("mp3"), file_name="Choir - Kyrie.mp3")
    artwork = upload_asset(
        client_a, song, image_bytes("png"), kind="artwork", file_name="cover.png", content_type="image/png"
    )

    assert (audio.status, audio.error) == ("ready", "")
    assert artwork.status == "ready"
    assert audio.key.startswith(f"users/{song.created_by_id}/chants/{song.pk}/audio/")
    detail = api_client.get(f"{SONGS}{song.pk}/").data
    assert detail["duration_seconds"] == pytest.approx(2.0, abs=0.1)
    assert detail["has_audio"] and detail["has_artwork"]
    assert get_bytes(api_client, detail["audio_url"]) == (200, tone_bytes("mp3"))
    assert get_bytes(api_client, detail["artwork_url"]) == (200, image_bytes("png"))


def test_start_returns_everything_a_client_needs(client_a, song, local_storage):
    response = start_upload(client_a, song, file_name="../../../etc/passwd.mp3")

    assert response.status_code == 201
    assert response.data["method"] == "PUT"
    assert response.data["headers"] == {"Content-Type": "audio/mpeg"}
    assert response.data["expires_in"] == 900
    assert response.data["status"] == "awaiting_upload"
    assert response.data["upload_url"].startswith("http://testserver/api/storage/")
    assert response.data["file_name"] == "../../../etc/passwd.mp3"  # kept as data only
    assert response.data["key"] == ""  # no final key until the file is checked
    assert AssetUpload.objects.get().upload_key.startswith(f"staging/{song.created_by_id}/")


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("audio", "text/html"), ("audio", "image/png"), ("artwork", "audio/mpeg"), ("artwork", "image/svg+xml")],
)
def test_content_types_not_allowed_for_the_kind_get_415(client_a, song, kind, content_type):
    response = start_upload(client_a, song, kind=kind, content_type=content_type)

    assert response.status_code == 415
    assert content_type in response.data["detail"]
    assert not AssetUpload.objects.exists()


def test_unknown_kind_is_400(client_a, song):
    response = start_upload(client_a, song, kind="video")

    assert response.status_code == 400
    assert "kind" in response.data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>definitely not audio</html>" * 20, "not a recognisable audio file"),
        (b"", "empty"),
    ],
)
def test_bad_audio_bytes_fail_and_the_song_keeps_its_audio(storage_mode, client_a, song, data, message):
    good = upload_asset(client_a, song, tone_bytes("mp3"))

    bad = upload_asset(client_a, song, data)
    song.refresh_from_db()

    assert bad.status == "failed"
    assert message in bad.error
    assert song.audio.name == good.key
    assert storage.object_exists(good.key)


def test_non_image_artwork_fails(client_a, song):
    upload = upload_asset(
        client_a, song, b"GIF-ish but no", kind="artwork", file_name="a.gif", content_type="image/gif"
    )

    assert upload.status == "failed"
    assert "not a JPEG, PNG, WebP or GIF" in upload.error


def test_completing_before_uploading_fails_and_can_be_retried(client_a, song):
    start = start_upload(client_a, song)
    complete_url = f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/"

    early = client_a.post(complete_url)
    assert early.status_code == 202
    failed = client_a.get(f"{SONGS}{song.pk}/assets/{start.data['id']}/").data
    assert failed["status"] == "failed"
    assert "No file was uploaded" in failed["error"]

    put_bytes(client_a, start.data["upload_url"], tone_bytes("mp3"), start.data["headers"])
    client_a.post(complete_url)
    assert client_a.get(f"{SONGS}{song.pk}/assets/{start.data['id']}/").data["status"] == "ready"


def test_completing_twice_changes_nothing(client_a, song):
    upload = upload_asset(client_a, song, tone_bytes("mp3"))
    song.refresh_from_db()
    updated_at = song.updated_at

    again = client_a.post(f"{SONGS}{song.pk}/assets/{upload.pk}/complete/")
    song.refresh_from_db()

    assert again.status_code == 202
    assert again.data["status"] == "ready"
    assert song.updated_at == updated_at


def test_oversized_artwork_is_refused(storage_mode, client_a, song, settings):
    settings.CHANTS_MAX_ARTWORK_MB = 1
    too_big = image_bytes("png") + b"\0" * (1024 * 1024)
    start = start_upload(client_a, song, kind="artwork", file_name="big.png", content_type="image/png")

    status = put_bytes(client_a, start.data["upload_url"], too_big, start.data["headers"])
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")
    upload = AssetUpload.objects.get(pk=start.data["id"])
    song.refresh_from_db()

    if storage_mode == "local":
        assert status == 413  # refused at the door
        assert "No file was uploaded" in upload.error
    else:
        assert status == 200  # S3 takes it; the check refuses it
        assert "the limit for artwork is 1048576 bytes" in upload.error
    assert upload.status == "failed"
    assert song.artwork.name == ""


def test_replacing_audio_removes_the_old_object(storage_mode, client_a, song):
    first = upload_asset(client_a, song, tone_bytes("mp3"))
    second = upload_asset(client_a, song, tone_bytes("wav"), file_name="take2.wav", content_type="audio/wav")
    song.refresh_from_db()
    first.refresh_from_db()

    assert song.audio.name == second.key
    assert first.status == "replaced"
    assert not storage.object_exists(first.key)
    assert storage.object_exists(second.key)


def test_deleting_a_song_deletes_every_object_it_owns(storage_mode, client_a, song):
    audio = upload_asset(client_a, song, tone_bytes("mp3"))
    artwork = upload_asset(
        client_a, song, image_bytes("png"), kind="artwork", file_name="c.png", content_type="image/png"
    )
    pending = start_upload(client_a, song).data
    put_bytes(client_a, pending["upload_url"], b"never completed", pending["headers"])
    keys = [audio.key, artwork.key, AssetUpload.objects.get(pk=pending["id"]).upload_key]
    assert all(storage.object_exists(key) for key in keys)

    assert client_a.delete(f"{SONGS}{song.pk}/").status_code == 204

    assert not Song.objects.filter(pk=song.pk).exists()
    assert not AssetUpload.objects.exists()
    assert not any(storage.object_exists(key) for key in keys)


class TestOwnership:
    def test_another_user_cannot_see_or_complete_my_uploads(self, client_a, client_b, song):
        upload = start_upload(client_a, song).data
        detail_url = f"{SONGS}{song.pk}/assets/{upload['id']}/"

        assert client_b.get(detail_url).status_code == 404
        assert client_b.post(f"{detail_url}complete/").status_code == 404
        assert client_b.get(f"{SONGS}{song.pk}/assets/").data["count"] == 0
        assert client_a.get(f"{SONGS}{song.pk}/assets/").data["count"] == 1
        assert AssetUpload.objects.get(pk=upload["id"]).status == "awaiting_upload"

    def test_another_user_cannot_upload_to_my_song(self, client_b, song):
        response = start_upload(client_b, song)

        assert response.status_code == 403
        assert not AssetUpload.objects.exists()

    def test_anonymous_users_cannot_touch_uploads(self, api_client, song):
        assert start_upload(api_client, song).status_code == 401
        assert api_client.get(f"{SONGS}{song.pk}/assets/").status_code == 401

    def test_uploads_of_an_unknown_song_are_404(self, client_a):
        response = client_a.post(
            f"{SONGS}{uuid.uuid4()}/assets/", {"kind": "audio", "file_name": "a.mp3", "content_type": "audio/mpeg"}
        )

        assert response.status_code == 404
