import os
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from django.core.files.storage import default_storage

from core import storage

AUDIO_BYTES = os.urandom(256 * 1024) + b"end-of-object"


@pytest.fixture
def public_base_url(settings, live_server):
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


def test_presigned_upload_then_download_round_trip(storage_mode, public_base_url, user):
    key = storage.user_key(user.pk, "tests", "round-trip.mp3")
    upload = storage.presigned_upload(key, "audio/mpeg")

    put = requests.put(upload.url, data=AUDIO_BYTES, headers=upload.headers, timeout=30)
    assert put.status_code == 200, put.text

    download = requests.get(storage.presigned_download(key, filename="Ünïcode Song.mp3"), timeout=30)
    assert download.status_code == 200
    assert download.content == AUDIO_BYTES
    assert "filename*=UTF-8''%C3%9Cn%C3%AFcode%20Song.mp3" in download.headers["Content-Disposition"]
    assert upload.method == "PUT"
    assert upload.expires_in == 900
    assert storage.object_exists(key)
    assert storage.object_size(key) == len(AUDIO_BYTES)


def test_deleting_objects_is_idempotent(storage_mode, user):
    key = storage.user_key(user.pk, "tests", "to-delete.bin")
    default_storage.save(key, _content(b"bytes"))

    storage.delete_objects([key, key, ""])

    assert not storage.object_exists(key)


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def _path(url: str) -> str:
    return urlsplit(url).path


class TestLocalSignedUrls:
    @pytest.fixture(autouse=True)
    def _local(self, local_storage):
        pass

    def test_upload_url_refuses_a_body_over_its_limit_and_stores_nothing(self, client, user):
        key = storage.user_key(user.pk, "small.bin")
        upload = storage.presigned_upload(key, "application/octet-stream", max_bytes=10)

        response = client.put(_path(upload.url), data=b"x" * 11, content_type="application/octet-stream")

        assert response.status_code == 413
        assert "10 bytes" in response.json()["detail"]
        assert not storage.object_exists(key)

    def test_expired_url_is_refused(self, client, user):
        key = storage.user_key(user.pk, "late.bin")
        with time_machine.travel("2026-01-01 12:00:00Z", tick=False):
            upload = storage.presigned_upload(key, "application/octet-stream", expires=60)
        with time_machine.travel("2026-01-01 12:01:01Z", tick=False):
            response = client.put(_path(upload.url), data=b"late", content_type="application/octet-stream")

        assert response.status_code == 403
        assert response.json()["detail"] == "This URL has expired."
        assert not storage.object_exists(key)

    def test_tampered_token_is_refused(self, client, user):
        upload = storage.presigned_upload(storage.user_key(user.pk, "a.bin"), "application/octet-stream")
        path = _path(upload.url)
        tampered = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]

        response = client.put(tampered, data=b"x", content_type="application/octet-stream")

        assert response.status_code == 403
        assert "signature" in response.json()["detail"]

    def test_download_url_cannot_be_used_to_upload(self, client, user):
        key = storage.user_key(user.pk, "a.bin")
        default_storage.save(key, _content(b"original"))
        download_url = storage.presigned_download(key)

        response = client.put(_path(download_url), data=b"overwrite", content_type="application/octet-stream")

        assert response.status_code == 403
        assert default_storage.open(key).read() == b"original"

    def test_upload_with_another_content_type_is_refused(self, client, user):
        upload = storage.presigned_upload(storage.user_key(user.pk, "a.mp3"), "audio/mpeg")

        response = client.put(_path(upload.url), data=b"x", content_type="text/html")

        assert response.status_code == 403
        assert "audio/mpeg" in response.json()["detail"]

    def test_download_of_a_missing_object_is_404(self, client, user):
        response = client.get(_path(storage.presigned_download(storage.user_key(user.pk, "none.bin"))))

        assert response.status_code == 404


@pytest.mark.services
def test_local_endpoint_is_closed_when_storage_is_s3(client, s3_storage, settings):
    settings.STORAGE_USES_S3 = False
    url = storage.presigned_download("users/x/file.bin")
    settings.STORAGE_USES_S3 = True

    assert client.get(_path(url)).status_code == 404


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Music\\Artist - Title.flac", "Artist - Title.flac"),
        ("..", "file"),
        ("ünïcode é.mp3", "unicode e.mp3"),
        ("a/b/<script>.mp3", "_script_.mp3"),
        ("x" * 300 + ".flac", "x" * 115 + ".flac"),
    ],
)
def test_file_names_are_reduced_to_a_safe_last_component(given, expected):
    assert storage.safe_file_name(given) == expected


def test_keys_are_namespaced_per_user(user):
    key = storage.unique_user_key(user.pk, "chants", "song", file_name="../../x.mp3")

    assert key.startswith(f"users/{user.pk}/chants/song/")
    assert key.endswith("-x.mp3")
    assert ".." not in key


@pytest.mark.services
def test_presigned_urls_can_name_a_public_endpoint(s3_storage, settings, user):
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = "http://files.example.com:9000"
    key = storage.user_key(user.pk, "public.bin")

    upload = storage.presigned_upload(key, "application/octet-stream")
    download = storage.presigned_download(key)

    assert upload.url.startswith("http://files.example.com:9000/")
    assert download.startswith("http://files.example.com:9000/")
    assert "X-Amz-Signature=" in download
