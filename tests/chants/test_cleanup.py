from datetime import timedelta

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from chants import services, tasks
from chants.models import AssetUpload
from core import storage
from tests.factories import AssetUploadFactory, SongFactory

pytestmark = pytest.mark.django_db


def _upload(song, *, status, age: timedelta) -> AssetUpload:
    upload = AssetUploadFactory(song=song, status=status)
    AssetUpload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - age)
    return upload


def test_unfinished_uploads_expire_and_their_objects_go(django_capture_on_commit_callbacks):
    song = SongFactory()
    abandoned = _upload(song, status="awaiting_upload", age=timedelta(days=2))
    default_storage.save(abandoned.upload_key, ContentFile(b"half a file"))
    stuck = _upload(song, status="processing", age=timedelta(hours=3))
    recent = _upload(song, status="awaiting_upload", age=timedelta(hours=1))
    done = _upload(song, status="ready", age=timedelta(days=30))

    with django_capture_on_commit_callbacks(execute=True):
        expired = services.asset_uploads_expire()

    statuses = {upload.pk: upload for upload in AssetUpload.objects.all()}
    assert expired == 1
    assert statuses[abandoned.pk].status == "failed"
    assert "never uploaded" in statuses[abandoned.pk].error
    # A check in progress is core.jobs' to recover or give up, however old the upload.
    assert statuses[stuck.pk].status == "processing"
    assert statuses[recent.pk].status == "awaiting_upload"
    assert statuses[done.pk].status == "ready"
    assert not storage.object_exists(abandoned.upload_key)


def test_the_clean_up_is_scheduled_hourly_in_beat():
    task = PeriodicTask.objects.get(task="chants.tasks.asset_uploads_expire")

    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "hours")


def test_a_check_that_runs_out_of_time_ends_failed(monkeypatch):
    song = SongFactory()
    upload = _upload(song, status="processing", age=timedelta(0))

    def too_slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "asset_upload_process", too_slow)
    tasks.asset_upload_process.delay(str(upload.pk))
    upload.refresh_from_db()

    assert upload.status == "failed"
    assert "took too long" in upload.error


def test_storage_errors_are_retried_then_end_failed_on_the_last_attempt(monkeypatch):
    song = SongFactory()
    upload = _upload(song, status="processing", age=timedelta(0))

    def storage_down(**kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(services, "asset_upload_process", storage_down)
    task = tasks.asset_upload_process
    with pytest.raises(Retry):
        task.apply(args=(str(upload.pk),))
    upload.refresh_from_db()
    assert upload.status == "processing"

    task.apply(args=(str(upload.pk),), retries=task.max_retries)
    upload.refresh_from_db()

    assert upload.status == "failed"
    assert upload.error == "Storage was unavailable: connection refused"
