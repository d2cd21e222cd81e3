"""What was checked is what is served: song assets against the attacks of the security review."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from chants import assets
from chants.models import AssetUpload, Song
from core import staging, storage
from tests.chants.test_assets import SONGS, start_upload, upload_asset
from tests.factories import SongFactory
from tests.helpers.http import fetch, put_bytes
from tests.helpers.media import image_bytes, tone_bytes
from tests.helpers.stored import stored_keys

pytestmark = pytest.mark.django_db
# A PNG signature with a page behind it: what the attacker uploaded as "evil.html".
PNG_THEN_HTML = b"\x89PNG\r\n\x1a\n<html><script>alert(document.domain)</script></html>"


@pytest.fixture
def song(user):
    return SongFactory(created_by=user, duration_seconds=None)


def _after_every_url_expired() -> timezone.datetime:
    from django.conf import settings

    return timezone.now() + timedelta(
        seconds=settings.PRESIGNED_URL_EXPIRES, hours=settings.STORAGE_STAGING_RETENTION_HOURS, minutes=1
    )


def test_a_png_signature_followed_by_html_is_refused_as_artwork(storage_mode, client_a, api_client, song):
    upload = upload_asset(
        client_a, song, PNG_THEN_HTML, kind="artwork", file_name="evil.html", content_type="image/png"
    )
    song.refresh_from_db()

    assert upload.status == "failed"
    assert "not a JPEG, PNG, WebP or GIF image" in upload.error
    assert song.artwork.name == ""
    assert api_client.get(f"{SONGS}{song.pk}/").data["artwork_url"] is None


def test_the_stored_key_and_served_type_come_from_the_check_not_the_file_name(storage_mode, client_a, api_client, song):
    artwork = upload_asset(
        client_a, song, image_bytes("png"), kind="artwork", file_name="evil.html", content_type="image/png"
    )
    # Declared as MP3, really a WAV: the WAV is what was checked, so it is stored and served as WAV.
    audio = upload_asset(client_a, song, tone_bytes("wav"), file_name="x.html", content_type="audio/mpeg")

    assert (artwork.status, audio.status) == ("ready", "ready")
    assert artwork.key.endswith(".png") and audio.key.endswith(".wav")
    assert (artwork.content_type, audio.content_type) == ("image/png", "audio/wav")
    assert artwork.file_name == "evil.html"  # kept as data
    detail = api_client.get(f"{SONGS}{song.pk}/").data
    status, headers, body = fetch(api_client, detail["artwork_url"])
    assert (status, headers["content-type"], body) == (200, "image/png", image_bytes("png"))
    assert headers["content-disposition"] == "inline"
    status, headers, _ = fetch(api_client, detail["audio_url"])
    assert (status, headers["content-type"]) == (200, "audio/wav")


def test_an_object_stored_before_the_fix_under_an_html_name_is_a_harmless_download(local_storage, api_client, song):
    old_key = f"users/{song.created_by_id}/chants/{song.pk}/artwork/0123abcd-evil.html"
    default_storage.save(old_key, ContentFile(PNG_THEN_HTML))
    Song.objects.filter(pk=song.pk).update(artwork=old_key)

    status, headers, _ = fetch(api_client, api_client.get(f"{SONGS}{song.pk}/").data["artwork_url"])

    assert status == 200
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "sandbox; default-src 'none'"


def test_a_second_put_after_ready_changes_nothing_that_is_served(storage_mode, client_a, api_client, song):
    start = start_upload(client_a, song)
    assert put_bytes(client_a, start.data["upload_url"], tone_bytes("mp3"), start.data["headers"]) == 200
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")
    ready = AssetUpload.objects.get(pk=start.data["id"])
    assert ready.status == "ready"

    # The URL is still valid: the attacker PUTs a page to it.
    replay = put_bytes(client_a, start.data["upload_url"], b"<html>owned</html>", start.data["headers"])
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")

    assert replay == 200  # the staging key takes it; nothing reads it any more
    status, headers, body = fetch(api_client, api_client.get(f"{SONGS}{song.pk}/").data["audio_url"])
    assert (status, body) == (200, tone_bytes("mp3"))
    assert headers["content-type"] == "audio/mpeg"
    assert AssetUpload.objects.get(pk=ready.pk).size == len(tone_bytes("mp3"))
    # ...and the sweep removes it once the URL is dead.
    staging.staged_objects_sweep(now=_after_every_url_expired())
    assert stored_keys(f"staging/{song.created_by_id}") == []
    assert storage.object_exists(ready.key)


def test_bytes_put_while_the_check_runs_are_not_what_gets_stored(storage_mode, client_a, api_client, song, monkeypatch):
    start = start_upload(client_a, song)
    put_bytes(client_a, start.data["upload_url"], tone_bytes("mp3"), start.data["headers"])
    check = assets.check_file

    def check_while_the_attacker_puts(*args, **kwargs):
        assert put_bytes(client_a, start.data["upload_url"], b"<html>swapped</html>", start.data["headers"]) == 200
        return check(*args, **kwargs)

    monkeypatch.setattr(assets, "check_file", check_while_the_attacker_puts)
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")

    upload = AssetUpload.objects.get(pk=start.data["id"])
    assert upload.status == "ready"
    _, _, body = fetch(api_client, api_client.get(f"{SONGS}{song.pk}/").data["audio_url"])
    assert body == tone_bytes("mp3")


def test_a_put_after_the_song_is_deleted_leaves_nothing_after_the_sweep(storage_mode, client_a, song):
    start = start_upload(client_a, song)
    put_bytes(client_a, start.data["upload_url"], tone_bytes("mp3"), start.data["headers"])
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")
    assert client_a.delete(f"{SONGS}{song.pk}/").status_code == 204
    assert stored_keys(f"users/{song.created_by_id}") == []

    late = put_bytes(client_a, start.data["upload_url"], b"<html>late</html>", start.data["headers"])
    staging.staged_objects_sweep(now=_after_every_url_expired())

    assert late == 200
    assert stored_keys(f"staging/{song.created_by_id}") == []
    assert stored_keys(f"users/{song.created_by_id}") == []


@pytest.mark.parametrize("declared", ["Audio/MPEG", "audio/mpeg; foo=bar", " audio/x-mp3 "])
def test_a_content_type_with_capitals_or_parameters_gets_a_url_that_works(storage_mode, client_a, song, declared):
    start = start_upload(client_a, song, content_type=declared)

    assert start.status_code == 201, start.data
    assert start.data["headers"] == {"Content-Type": "audio/mpeg"}
    assert start.data["content_type"] == "audio/mpeg"
    assert put_bytes(client_a, start.data["upload_url"], tone_bytes("mp3"), start.data["headers"]) == 200
    client_a.post(f"{SONGS}{song.pk}/assets/{start.data['id']}/complete/")
    assert AssetUpload.objects.get(pk=start.data["id"]).status == "ready"


def test_the_admin_stores_a_checked_file_under_its_checked_extension(curator, staff_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import INLINE_FORMSET_FOR_SONG

    song = SongFactory(created_by=staff_user)
    evil = SimpleUploadedFile("evil.html", image_bytes("png"), content_type="image/png")
    response = curator.post(
        f"/admin/chants/song/{song.pk}/change/",
        {"title": song.title, "artwork": evil, **INLINE_FORMSET_FOR_SONG},
    )

    assert response.status_code == 302, response.content[:2000]
    song.refresh_from_db()
    assert song.artwork.name.endswith(".png")
    assert "evil" not in song.artwork.name
