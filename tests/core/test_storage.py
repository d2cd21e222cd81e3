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
    key = storage.new_staging_key(user.pk)
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
        key = storage.new_staging_key(user.pk)
        upload = storage.presigned_upload(key, "application/octet-stream", max_bytes=10)

        response = client.put(_path(upload.url), data=b"x" * 11, content_type="application/octet-stream")

        assert response.status_code == 413
        assert "10 bytes" in response.json()["detail"]
        assert not storage.object_exists(key)

    def test_expired_url_is_refused(self, client, user):
        key = storage.new_staging_key(user.pk)
        with time_machine.travel("2026-01-01 12:00:00Z", tick=False):
            upload = storage.presigned_upload(key, "application/octet-stream", expires=60)
        with time_machine.travel("2026-01-01 12:01:01Z", tick=False):
            response = client.put(_path(upload.url), data=b"late", content_type="application/octet-stream")

        assert response.status_code == 403
        assert response.json()["detail"] == "This URL has expired."
        assert not storage.object_exists(key)

    def test_tampered_token_is_refused(self, client, user):
        upload = storage.presigned_upload(storage.new_staging_key(user.pk), "application/octet-stream")
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
        upload = storage.presigned_upload(storage.new_staging_key(user.pk), "audio/mpeg")

        response = client.put(_path(upload.url), data=b"x", content_type="text/html")

        assert response.status_code == 403
        assert "audio/mpeg" in response.json()["detail"]

    def test_download_of_a_missing_object_is_404(self, client, user):
        response = client.get(_path(storage.presigned_download(storage.user_key(user.pk, "none.bin"))))

        assert response.status_code == 404


@pytest.mark.services
def test_object_sizes_of_many_keys_in_several_folders_leave_out_the_missing(storage_mode, user):
    first, second = storage.new_staging_key(user.pk), storage.new_staging_key(user.pk)
    elsewhere = storage.new_object_key(user.pk, "tracks", extension="mp3")
    storage.save_bytes(first, b"x" * 1000)
    storage.save_bytes(second, b"")
    storage.save_bytes(elsewhere, b"y" * 7)
    never_put = storage.new_staging_key(user.pk)
    unrelated = storage.new_staging_key(user.pk)  # in the same folder, not asked for
    storage.save_bytes(unrelated, b"z" * 3)

    sizes = storage.object_sizes([first, second, elsewhere, never_put, first, ""])

    assert sizes == {first: 1000, second: 0, elsewhere: 7}


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


def test_keys_are_namespaced_per_user_and_take_no_part_of_a_file_name(user):
    key = storage.new_object_key(user.pk, "chants", "song", extension=".mp3")
    staged = storage.new_staging_key(user.pk)

    assert key.startswith(f"users/{user.pk}/chants/song/") and key.endswith(".mp3")
    assert staged.startswith(f"staging/{user.pk}/")
    assert storage.new_object_key(user.pk, extension="") != storage.new_object_key(user.pk, extension="")


def test_upload_urls_are_only_signed_for_staging_keys(user):
    with pytest.raises(ValueError, match="staging"):
        storage.presigned_upload(storage.user_key(user.pk, "tracks", "final.mp3"), "audio/mpeg")


@pytest.mark.services
def test_presigned_urls_can_name_a_public_endpoint(s3_storage, settings, user):
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = "http://files.example.com:9000"
    key = storage.new_staging_key(user.pk)

    upload = storage.presigned_upload(key, "application/octet-stream")
    download = storage.presigned_download(key)

    assert upload.url.startswith("http://files.example.com:9000/")
    assert download.startswith("http://files.example.com:9000/")
    assert "X-Amz-Signature=" in download


class TestServedObjects:
    """What a browser gets for an object: the project's type, nosniff, attachment unless audio or image."""

    @pytest.mark.parametrize(
        ("key", "content_type", "disposition"),
        [
            ("users/u/a.mp3", "audio/mpeg", "inline"),
            ("users/u/a.flac", "audio/flac", "inline"),
            ("users/u/a.png", "image/png", "inline"),
            ("users/u/a.jpg", "image/jpeg", "inline"),
            ("users/u/evil.html", "application/octet-stream", 'attachment; filename="evil.html"'),
            ("users/u/evil.svg", "application/octet-stream", 'attachment; filename="evil.svg"'),
            ("users/u/export.zip", "application/zip", 'attachment; filename="export.zip"'),
            ("staging/u/0123abcd", "application/octet-stream", 'attachment; filename="0123abcd"'),
        ],
    )
    def test_type_and_disposition_come_from_the_key(
        self, storage_mode, public_base_url, user, key, content_type, disposition
    ):
        key = key.replace("users/u/", f"users/{user.pk}/").replace("staging/u/", f"staging/{user.pk}/")
        default_storage.save(key, _content(b"<html><script>alert(1)</script></html>"))

        response = requests.get(storage.presigned_download(key), timeout=30)

        assert response.status_code == 200
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Content-Disposition"].startswith(disposition)
        if storage_mode == "local":  # on S3 these come from the proxy in front of the bucket (README)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"

    def test_file_field_urls_are_served_the_same_way(self, storage_mode, public_base_url, user):
        # FileField.url (the admin's "Currently:" links) goes through the storage's url().
        key = f"users/{user.pk}/chants/old-0123abcd-evil.html"
        default_storage.save(key, _content(b"<html><script>alert(1)</script></html>"))

        response = requests.get(default_storage.url(key), timeout=30)

        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")

    def test_a_file_name_makes_audio_a_download(self, storage_mode, public_base_url, user):
        key = storage.new_object_key(user.pk, "tests", extension=".mp3")
        default_storage.save(key, _content(b"ID3 bytes"))

        response = requests.get(storage.presigned_download(key, filename="Artist - Title.mp3"), timeout=30)

        assert response.headers["Content-Type"] == "audio/mpeg"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="Artist - Title.mp3"')


class TestLocalUploadsNeedALength:
    @pytest.fixture(autouse=True)
    def _local(self, local_storage):
        pass

    def test_a_chunked_put_is_refused_with_411_and_stores_nothing(self, public_base_url, user):
        key = storage.new_staging_key(user.pk)
        upload = storage.presigned_upload(key, "audio/mpeg")

        def chunks():  # requests sends a generator with Transfer-Encoding: chunked, no Content-Length
            yield b"ID3" + b"\0" * 1000
            yield b"more bytes"

        response = requests.put(upload.url, data=chunks(), headers=upload.headers, timeout=30)

        assert response.status_code == 411
        assert "Content-Length" in response.json()["detail"]
        assert not storage.object_exists(key)

    def test_a_put_to_a_final_key_is_refused_even_with_a_valid_signature(self, client, user):
        from core.storage import _local_url

        key = storage.user_key(user.pk, "tracks", "final.mp3")
        default_storage.save(key, _content(b"checked bytes"))
        forged = _local_url({"k": key, "m": "PUT", "ct": "audio/mpeg"}, 60)

        response = client.put(_path(forged), data=b"<html>", content_type="audio/mpeg")

        assert response.status_code == 403
        assert default_storage.open(key).read() == b"checked bytes"


class TestStagingSweep:
    def test_only_keys_whose_url_expired_past_the_retention_are_swept(self, storage_mode, user, settings):
        from datetime import timedelta

        from django.utils import timezone

        from core import staging
        from core.models import StagedObject

        old_key, old_upload = staging.staged_upload(user_id=user.pk, content_type="audio/mpeg")
        default_storage.save(old_key, _content(b"abandoned"))
        later = timezone.now() + timedelta(
            seconds=old_upload.expires_in, hours=settings.STORAGE_STAGING_RETENTION_HOURS, minutes=1
        )
        with time_machine.travel(later - timedelta(minutes=5), tick=False):
            fresh_key, _ = staging.staged_upload(user_id=user.pk, content_type="audio/mpeg")
        default_storage.save(fresh_key, _content(b"just uploaded"))

        just_before = staging.staged_objects_sweep(now=later - timedelta(minutes=2))
        swept = staging.staged_objects_sweep(now=later)

        assert (just_before, swept) == (0, 1)
        assert not storage.object_exists(old_key)
        assert storage.object_exists(fresh_key)
        assert list(StagedObject.objects.values_list("key", flat=True)) == [fresh_key]

    def test_the_sweep_is_scheduled_hourly_in_beat(self, db):
        from django_celery_beat.models import PeriodicTask

        task = PeriodicTask.objects.get(task="core.tasks.staged_objects_sweep")

        assert task.enabled
        assert (task.interval.every, task.interval.period) == (1, "hours")
