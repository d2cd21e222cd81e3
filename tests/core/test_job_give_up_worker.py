"""A job that kills its worker process is tried JOB_MAX_ATTEMPTS times, then failed, through a real worker.

The pool child running a transcode is SIGKILLed three times, as a file that crashes a decoder
would; Celery's main process puts the message back each time (acks_late, reject_on_worker_lost)
and a new child starts it again at once. The fourth start gives up instead of running it.
"""

import os
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core import jobs
from tests.chants.test_worker import wait_for
from tests.conftest import bearer_client
from tests.tracks.flow import upload
from tracks.models import Track

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _long_flac(tmp_path) -> bytes:
    """Ten minutes of a quiet tone: small as FLAC, seconds of work for the MP3 encoder."""
    path = tmp_path / "long.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=600", "-ac", "2", str(path)],
        check=True,
    )
    return path.read_bytes()


def _transcoding_pool_child() -> int | None:
    """The pid of the Celery pool child whose ffmpeg is running now, if one is."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            parent_argv = Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if os.path.basename(argv[0]) == b"ffmpeg" and b"celery" in parent_argv:
            return parent
    return None


def test_a_job_that_kills_its_worker_three_times_is_failed_and_never_queued_again(
    celery_worker, s3_storage, user, tmp_path
):
    [result] = upload(bearer_client(user), {"poison.flac": _long_flac(tmp_path)})
    track_id = result["track_id"]

    for attempt in (1, 2, 3):
        child = wait_for(
            lambda attempt=attempt: (
                Track.objects.filter(pk=track_id, attempts=attempt).exists() and _transcoding_pool_child()
            ),
            what=f"start {attempt} of the transcode\n{celery_worker.log_tail()}",
        )
        os.kill(child, signal.SIGKILL)  # the worker's process dies mid-job, as on a decoder crash

    track = wait_for(
        lambda: Track.objects.filter(pk=track_id, status="failed").first(),
        what=f"the fourth start to give up\n{celery_worker.log_tail()}",
    )
    assert track.error == "This file stopped the worker 3 times; it will not be tried again."
    assert track.attempts == 4 and not track.mp3_key
    assert celery_worker.process.poll() is None  # the worker itself lives on
    # The sweep has nothing to send again, however late it runs.
    assert jobs.stalled_jobs_requeue(now=timezone.now() + timedelta(hours=1)) == 0
