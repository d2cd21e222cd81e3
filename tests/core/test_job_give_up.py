"""Every job ends: attempts counted per worker start, one give-up rule, unexpected errors fail the row.

The numbers are chosen so a wrong rule answers differently: JOB_MAX_ATTEMPTS is 3 and rows are
set one below, at, and one past it; a start handed back on purpose must not count.
"""

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from chants import services, tasks
from chants.models import AssetUpload
from core import jobs
from downloads.models import Download
from tests.factories import AssetUploadFactory

pytestmark = pytest.mark.django_db

GAVE_UP = "This file stopped the worker 3 times; it will not be tried again."


def _stalled_upload(*, attempts: int) -> AssetUpload:
    """A check whose worker was lost: started, then silent for longer than the stalled period."""
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALLED_AFTER_SECONDS + 60)
    upload = AssetUploadFactory(processing=True)
    AssetUpload.objects.filter(pk=upload.pk).update(
        attempts=attempts, queued_at=long_ago, started_at=long_ago, heartbeat_at=long_ago
    )
    return upload


def test_the_give_up_rule_is_three_lost_workers_by_default():
    assert settings.JOB_MAX_ATTEMPTS == 3


def test_a_job_that_lost_its_worker_three_times_is_failed_and_not_sent_again(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.asset_upload_process, "delay", lambda *args: sent.append(args))
    poison = _stalled_upload(attempts=3)
    unlucky = _stalled_upload(attempts=2)

    requeued = jobs.stalled_jobs_requeue()

    poison.refresh_from_db()
    assert (poison.status, poison.error) == ("failed", GAVE_UP)
    assert poison.finished_at is not None
    assert requeued == 1 and sent == [(str(unlucky.pk),)]  # one lost worker short: another try
    assert AssetUpload.objects.get(pk=unlucky.pk).status == "processing"

    assert jobs.stalled_jobs_requeue(now=timezone.now() + timedelta(hours=1)) == 1  # only `unlucky` again
    assert AssetUpload.objects.get(pk=poison.pk).status == "failed"


def test_a_redelivery_past_the_limit_fails_the_row_without_running_it(monkeypatch):
    # The broker hands the task out a fourth time (a pool child killed by the file, redelivered at
    # once) before any sweep saw the row: the start itself gives up.
    ran = []
    monkeypatch.setattr(services, "asset_upload_process", lambda **kwargs: ran.append(kwargs))
    upload = _stalled_upload(attempts=3)

    tasks.asset_upload_process.apply(args=(str(upload.pk),))

    upload.refresh_from_db()
    assert ran == []
    assert (upload.status, upload.error, upload.attempts) == ("failed", GAVE_UP, 4)


def test_each_start_counts_and_the_third_lost_worker_is_still_tried(monkeypatch):
    ran = []
    monkeypatch.setattr(services, "asset_upload_process", lambda **kwargs: ran.append(kwargs))
    upload = _stalled_upload(attempts=2)

    tasks.asset_upload_process.apply(args=(str(upload.pk),))

    upload.refresh_from_db()
    assert len(ran) == 1 and upload.attempts == 3


def test_an_unexpected_exception_fails_the_row_and_does_not_kill_the_worker(monkeypatch, caplog):
    upload = AssetUploadFactory(processing=True)

    def bug(**kwargs):
        raise KeyError("a surprise in the file")

    monkeypatch.setattr(services, "asset_upload_process", bug)
    tasks.asset_upload_process.apply(args=(str(upload.pk),)).get()  # raises if the task raised

    upload.refresh_from_db()
    assert upload.status == "failed"
    assert upload.error == AssetUpload.unexpected_error_message
    assert "a surprise in the file" not in upload.error  # the raw text goes to the log only
    assert "a surprise in the file" in caplog.text


def test_a_memory_error_in_a_job_fails_the_row(monkeypatch):
    upload = AssetUploadFactory(processing=True)

    def out_of_memory(**kwargs):
        raise MemoryError("could not allocate its state")

    monkeypatch.setattr(services, "asset_upload_process", out_of_memory)
    tasks.asset_upload_process.apply(args=(str(upload.pk),)).get()

    assert AssetUpload.objects.get(pk=upload.pk).status == "failed"


def test_a_retry_of_an_outage_hands_the_row_back_with_its_start_given_back(monkeypatch):
    upload = AssetUploadFactory(processing=True)

    def storage_down(**kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(services, "asset_upload_process", storage_down)
    before = timezone.now()
    with pytest.raises(Retry):
        tasks.asset_upload_process.apply(args=(str(upload.pk),))

    upload.refresh_from_db()
    assert upload.status == "processing" and upload.attempts == 0
    # Due when the retry is, so the stalled sweep does not send a second copy meanwhile.
    assert upload.queued_at >= before + timedelta(seconds=jobs.backoff(0))
    assert upload.started_at is None and upload.heartbeat_at is None
    assert jobs.stalled(AssetUpload.objects.filter(pk=upload.pk)).count() == 0


def test_a_deferred_start_is_given_back(monkeypatch):
    upload = AssetUploadFactory(processing=True)
    sent = []

    def rate_limited(**kwargs):
        raise jobs.Deferred(90)

    monkeypatch.setattr(services, "asset_upload_process", rate_limited)
    monkeypatch.setattr(tasks.asset_upload_process, "apply_async", lambda **kwargs: sent.append(kwargs))
    for _ in range(5):  # deferred more often than the give-up limit: never given up for it
        tasks.asset_upload_process.apply(args=(str(upload.pk),))

    upload.refresh_from_db()
    assert (upload.status, upload.attempts) == ("processing", 0)
    assert len(sent) == 5 and sent[0]["countdown"] == 90


def test_a_fresh_run_asked_for_starts_counting_again():
    upload = _stalled_upload(attempts=3)
    jobs.stalled_jobs_requeue()
    upload.refresh_from_db()
    assert upload.status == "failed"

    fields = upload.mark_queued()
    upload.save(update_fields=fields)

    assert AssetUpload.objects.get(pk=upload.pk).attempts == 0


def test_a_download_given_up_by_the_sweep_still_expires(monkeypatch):
    from downloads import tasks as download_tasks
    from tests.factories import UserFactory

    monkeypatch.setattr(download_tasks.download_run, "delay", lambda *args: None)
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_STALLED_AFTER_SECONDS + 60)
    download = Download.objects.create(
        owner=UserFactory(), total=1, status="running", attempts=3, queued_at=long_ago, heartbeat_at=long_ago
    )

    jobs.stalled_jobs_requeue()

    download.refresh_from_db()
    assert (download.status, download.error) == ("failed", GAVE_UP)
    assert download.expires_at == download.finished_at + timedelta(hours=settings.DOWNLOADS_RETENTION_HOURS)
