"""The whole asset flow with a real Celery worker process, Redis, PostgreSQL and the S3 server."""

import time

import pytest
import requests

from chants.models import AssetUpload, Song
from core.tasks import storage_objects_delete
from tests.conftest import bearer_client
from tests.factories import SongFactory
from tests.helpers.media import tone_bytes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SONGS = "/api/chants/songs/"


def wait_for(predicate, *, timeout: float = 60.0, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_processes_an_upload_enqueued_by_the_api(celery_worker, s3_storage, user):
    client = bearer_client(user)
    song = SongFactory(created_by=user, duration_seconds=None)
    start = client.post(
        f"{SONGS}{song.pk}/assets/", {"kind": "audio", "file_name": "tone.flac", "content_type": "audio/flac"}
    ).data
    put = requests.put(start["upload_url"], data=tone_bytes("flac"), headers=start["headers"], timeout=30)
    assert put.status_code == 200

    accepted = client.post(f"{SONGS}{song.pk}/assets/{start['id']}/complete/")
    assert accepted.status_code == 202
    assert accepted.data["status"] == "processing"

    upload = wait_for(
        lambda: AssetUpload.objects.exclude(status="processing").filter(pk=start["id"]).first(),
        what=f"the worker to process the upload\n{celery_worker.log_tail()}",
    )
    song = Song.objects.get(pk=song.pk)
    assert (upload.status, upload.error) == ("ready", "")
    assert upload.size == len(tone_bytes("flac"))
    assert song.audio.name == upload.key and upload.key.endswith(".flac")
    assert song.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert "task chants.tasks.asset_upload_process started" in celery_worker.log_text()
    assert f"object={start['id']}" in celery_worker.log_text()


def test_worker_logs_a_failing_task_with_its_object(celery_worker):
    storage_objects_delete.delay(12345)

    wait_for(
        lambda: "task core.tasks.storage_objects_delete failed" in celery_worker.log_text(),
        what="the failure line in the worker log",
    )
    line = next(line for line in celery_worker.log_text().splitlines() if "storage_objects_delete failed" in line)
    assert "object=12345" in line
    assert "error=TypeError" in line
