from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from core import jobs, storage
from tests.tracks.flow import upload
from tracks import services, tasks
from tracks.models import Track

pytestmark = pytest.mark.django_db


def test_a_redelivered_transcode_does_nothing_twice(client_a, audio_files, monkeypatch):
    [result] = upload(client_a, {"twice.flac": audio_files["flac"]})
    track = Track.objects.get(pk=result["track_id"])
    calls = []
    monkeypatch.setattr(services.mp3, "transcode_to_mp3", lambda *a, **k: calls.append(1))

    tasks.track_process.delay(str(track.pk))  # a duplicate delivery after success

    track.refresh_from_db()
    assert calls == []
    assert track.status == "ready"


def test_an_attempt_that_finishes_second_drops_its_copy(
    client_a, audio_files, monkeypatch, django_capture_on_commit_callbacks
):
    [result] = upload(client_a, {"race.flac": audio_files["flac"]})
    track = Track.objects.get(pk=result["track_id"])
    winner = track.mp3_key
    Track.objects.filter(pk=track.pk).update(status="processing", mp3_key="")
    saved = []
    real_save = services.default_storage.save

    def save_then_lose_the_race(name, content):
        saved.append(real_save(name, content))
        # The other delivery of the task commits its MP3 while this one uploads.
        Track.objects.filter(pk=track.pk).update(status="ready", mp3_key=winner, mp3_sample_rate=32000)
        return saved[-1]

    monkeypatch.setattr(services.default_storage, "save", save_then_lose_the_race)
    with django_capture_on_commit_callbacks(execute=True):
        services.track_transcode(track_id=track.pk)
    track.refresh_from_db()

    assert track.mp3_key == winner and storage.object_exists(winner)
    assert track.mp3_sample_rate == 32000  # the winner's description of its MP3, not the loser's 44.1 kHz
    assert saved and saved[0] != winner
    assert not storage.object_exists(saved[0])


def test_a_truncated_flac_fails_with_a_readable_error_and_keeps_the_original(client_a, audio_files):
    data = audio_files["flac"]
    [result] = upload(client_a, {"cut.flac": data[: len(data) // 3]})

    track = Track.objects.get(pk=result["track_id"])
    assert track.status == "failed"
    assert track.error
    assert "Traceback" not in track.error
    assert storage.object_exists(track.original_key)
    assert track.mp3_key == ""


def test_a_transcode_over_its_time_limit_fails(client_a, audio_files, settings):
    settings.TRACKS_TRANSCODE_TIMEOUT_SECONDS = 0.001

    [result] = upload(client_a, {"slow.flac": audio_files["flac"]})

    track = Track.objects.get(pk=result["track_id"])
    assert track.status == "failed"
    assert "s" in track.error and ("time" in track.error.lower() or "long" in track.error.lower())
    assert storage.object_exists(track.original_key)


def test_a_lost_job_is_queued_again_once_it_has_stalled(
    client_a, audio_files, monkeypatch, settings, django_capture_on_commit_callbacks
):
    queued = datetime.now(UTC)
    with monkeypatch.context() as lost:
        lost.setattr(tasks.track_process, "delay", lambda *args, **kwargs: None)  # the message never arrives
        with time_machine.travel(queued, tick=False):
            [result] = upload(client_a, {"lost.flac": audio_files["flac"]})
    track = Track.objects.get(pk=result["track_id"])
    assert track.status == "processing" and track.queued_at == queued and track.heartbeat_at is None
    stalled_after = timedelta(seconds=settings.JOB_STALLED_AFTER_SECONDS)

    assert jobs.stalled_jobs_requeue(now=queued + stalled_after - timedelta(seconds=5)) == 0
    assert Track.objects.get(pk=track.pk).status == "processing"

    with django_capture_on_commit_callbacks(execute=True):  # the job's commit queues its transcode
        assert jobs.stalled_jobs_requeue(now=queued + stalled_after + timedelta(seconds=5)) == 1
    track.refresh_from_db()
    assert track.status == "ready" and track.mp3_key and storage.object_exists(track.mp3_key)
    assert track.started_at is not None and track.heartbeat_at is not None
    sweep = PeriodicTask.objects.get(task="core.tasks.stalled_jobs_requeue")
    assert sweep.enabled and (sweep.interval.every, sweep.interval.period) == (1, "minutes")


def test_a_transcode_lost_after_its_file_was_accepted_is_queued_again_and_made(client_a, audio_files, monkeypatch):
    sent = []
    deliver = tasks.track_process.delay

    def lose_the_second_message(track_id):  # the confirm's message arrives, the one for the MP3 is lost
        sent.append(track_id)
        if len(sent) == 1:
            deliver(track_id)

    monkeypatch.setattr(tasks.track_process, "delay", lose_the_second_message)
    [result] = upload(client_a, {"half.flac": audio_files["flac"]})
    track = Track.objects.get(pk=result["track_id"])
    assert (track.status, track.mp3_key, len(sent)) == ("processing", "", 2)
    assert storage.object_exists(track.original_key) and track.sha256
    monkeypatch.setattr(tasks.track_process, "delay", deliver)

    assert jobs.stalled_jobs_requeue(now=datetime.now(UTC) + timedelta(minutes=3)) == 1

    track.refresh_from_db()
    assert track.status == "ready" and storage.object_exists(track.mp3_key)


def test_a_transcode_whose_worker_died_is_queued_again_and_a_live_one_is_not(client_a, audio_files, monkeypatch):
    monkeypatch.setattr(tasks.track_process, "delay", lambda *args, **kwargs: None)
    [dead] = upload(client_a, {"dead.flac": audio_files["flac"]})
    [alive] = upload(client_a, {"alive.flac": audio_files["flac48"]})
    now = datetime.now(UTC)
    # Both started an hour ago; one worker still beats, the other was killed three minutes ago.
    Track.objects.filter(pk=dead["track_id"]).update(
        started_at=now - timedelta(hours=1), heartbeat_at=now - timedelta(minutes=3)
    )
    Track.objects.filter(pk=alive["track_id"]).update(
        started_at=now - timedelta(hours=1), heartbeat_at=now - timedelta(seconds=20)
    )
    sent = []
    monkeypatch.setattr(tasks.track_process, "delay", lambda track_id: sent.append(track_id))

    assert jobs.stalled_jobs_requeue(now=now) == 1
    assert sent == [dead["track_id"]]
    # Marked, so the sweep a minute later does not send it again while it waits for a worker.
    assert jobs.stalled_jobs_requeue(now=now + timedelta(minutes=1)) == 0


def test_the_per_app_day_long_give_up_is_gone_from_beat():
    # core.jobs' one give-up rule (JOB_MAX_ATTEMPTS lost workers) replaced the tracks' day-long deadline.
    assert not PeriodicTask.objects.filter(task="tracks.tasks.tracks_processing_sweep").exists()
    assert not hasattr(tasks, "tracks_processing_sweep")


def test_a_confirm_answers_when_the_broker_is_down_and_the_sweep_catches_up(
    client_a, audio_files, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as down:
        down.setattr(tasks.track_process, "delay", broker_down)
        [result] = upload(client_a, {"offline.flac": audio_files["flac"]})

    assert result["status"] == "processing"  # committed and answered, not a 500
    assert "could not queue tracks.tasks.track_process" in caplog.text
    later = datetime.now(UTC) + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.stalled_jobs_requeue(now=later) == 1
    assert Track.objects.get(pk=result["track_id"]).status == "ready"
