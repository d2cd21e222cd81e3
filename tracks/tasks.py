from celery import shared_task
from django.conf import settings

from core.jobs import run_job
from tracks.models import Track

# A run either accepts an upload (a copy, a hash, a tag read: seconds even for 500 MB) or makes its
# MP3, whose own ffmpeg timeout fires first; these are the worker's safety net.
SOFT_LIMIT = settings.TRACKS_TRANSCODE_TIMEOUT_SECONDS + 60
HARD_LIMIT = settings.JOB_LONGEST_TIME_LIMIT_SECONDS


@shared_task(bind=True, max_retries=5, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def track_process(self, track_id: str) -> None:
    """A confirmed upload's job (audio queue): copy, hash, read and keep the file; sent again, its MP3."""
    from tracks import services

    run_job(
        self,
        model=Track,
        pk=track_id,
        work=lambda: services.track_process(track_id=track_id),
        fail=lambda reason: services.track_process_fail(track_id=track_id, error=reason),
        too_slow="Processing the file took too long and was stopped.",
    )
