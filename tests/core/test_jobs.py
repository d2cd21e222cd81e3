"""The job pattern of core.jobs: heartbeat, failure, retries, and recovery of stalled rows."""

import time
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.conf import settings

from chants import services, tasks
from chants.models import AssetUpload
from core import jobs
from tests.factories import AssetUploadFactory


def _processing_upload() -> AssetUpload:
    return AssetUploadFactory(processing=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "missing",
    [
        FileNotFoundError(2, "No such file or directory"),
        ClientError({"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}, "GetObject"),
    ],
)
def test_a_missing_object_fails_at_once_and_is_not_retried(monkeypatch, missing):
    upload = _processing_upload()

    def object_gone(**kwargs):
        raise missing

    monkeypatch.setattr(services, "asset_upload_process", object_gone)
    tasks.asset_upload_process.apply(args=(str(upload.pk),))  # no Retry raised: the first attempt is the last
    upload.refresh_from_db()

    assert upload.status == "failed"
    assert upload.error == jobs.MISSING_OBJECT


@pytest.mark.django_db(transaction=True)
def test_a_running_job_stamps_its_heartbeat_until_it_ends():
    upload = _processing_upload()
    seen = []

    assert jobs.job_start(AssetUpload, upload.pk) == 1
    with jobs.heartbeat(AssetUpload, upload.pk, every=0.2):
        started = AssetUpload.objects.get(pk=upload.pk)
        for _ in range(6):
            time.sleep(0.25)
            seen.append(AssetUpload.objects.values_list("heartbeat_at", flat=True).get(pk=upload.pk))
    time.sleep(0.5)
    after = AssetUpload.objects.values_list("heartbeat_at", flat=True).get(pk=upload.pk)

    assert started.started_at is not None and started.heartbeat_at == started.started_at
    assert len(set(seen)) >= 3 and seen == sorted(seen)  # it kept beating
    assert after == seen[-1] or after - seen[-1] < timedelta(seconds=0.3)  # and stopped with the block


def test_the_broker_never_redelivers_a_task_that_may_still_run():
    from tracks.tasks import HARD_LIMIT

    assert settings.JOB_LONGEST_TIME_LIMIT_SECONDS >= HARD_LIMIT
    if settings.REDIS_URL:  # Redis redelivers what was not acknowledged within this time
        visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        assert visibility > settings.JOB_LONGEST_TIME_LIMIT_SECONDS
    else:  # the file-system broker never redelivers a message it handed out
        assert "visibility_timeout" not in settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert tasks.asset_upload_process.time_limit <= settings.JOB_LONGEST_TIME_LIMIT_SECONDS


def test_a_stalled_job_is_picked_up_within_five_minutes_of_its_worker_dying():
    # Last heartbeat just before the kill; stale after JOB_STALLED_AFTER_SECONDS; the sweep runs every minute.
    worst_case = settings.JOB_HEARTBEAT_SECONDS + settings.JOB_STALLED_AFTER_SECONDS + 60

    assert worst_case <= 5 * 60


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError("refused"), True),
        (ClientError({"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "PutObject"), True),
        (
            ClientError({"Error": {"Code": "InternalError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetObject"),
            True,
        ),
        (
            ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject"),
            False,
        ),
        (
            ClientError({"Error": {"Code": "NoSuchKey"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, "GetObject"),
            False,
        ),
        (FileNotFoundError(2, "gone"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_errors_that_can_pass_are_retried(error, transient):
    assert jobs.is_transient(error) is transient


@pytest.mark.django_db
def test_a_job_row_keeps_when_it_was_queued_started_and_finished():
    upload = AssetUploadFactory()  # awaiting its upload
    services.asset_upload_complete(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == jobs.JobStatus.PROCESSING and upload.queued_at is not None
    assert upload.started_at is None and upload.finished_at is None

    services.asset_upload_fail(upload_id=upload.pk, error="The file is not audio.")
    upload.refresh_from_db()
    assert upload.status == jobs.JobStatus.FAILED and upload.error == "The file is not audio."
    assert upload.finished_at >= upload.queued_at

    services.asset_upload_complete(upload_id=upload.pk)  # a retry is a fresh run: the last one's end is forgotten
    upload.refresh_from_db()
    assert upload.status == jobs.JobStatus.PROCESSING and upload.error == "" and upload.finished_at is None


def test_job_states_are_checked_where_they_are_set():
    upload = AssetUpload()
    with pytest.raises(ValueError, match="not a final state"):
        upload.mark_finished(jobs.JobStatus.PROCESSING)
    with pytest.raises(ValueError, match="not a waiting state"):
        upload.mark_waiting(jobs.JobStatus.READY)
    with pytest.raises(ValueError, match="is not one of"):
        jobs.job_status_field(jobs.JobStatus.READY, default=jobs.JobStatus.FAILED)


def test_every_job_model_names_its_states_from_the_one_vocabulary():
    from django.apps import apps

    vocabulary = set(jobs.JobStatus.values)
    job_models = [model for model in apps.get_models() if issubclass(model, jobs.Job)]
    assert {m._meta.label for m in job_models} >= {"tracks.Track", "chants.AssetUpload"}
    for model in job_models:
        states = {value for value, _ in model._meta.get_field("status").choices}
        assert states <= vocabulary and jobs.JobStatus.FAILED in states and states & set(jobs.JobStatus.active())
