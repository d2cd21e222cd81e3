from celery import shared_task
from django.conf import settings

from core.jobs import run_job
from tracks.models import Track

# The transcode's own ffmpeg timeout fires first; these are the worker's safety net.
SOFT_LIMIT = settings.TRACKS_TRANSCODE_TIMEOUT_SECONDS + 60
HARD_LIMIT = settings.JOB_LONGEST_TIME_LIMIT_SECONDS


@shared_task(bind=True, max_retries=5, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def track_transcode(self, track_id: str) -> None:
    """Transcode a track's original to a 320 kbps MP3 (audio queue)."""
    from tracks import services

    run_job(
        self,
        model=Track,
        pk=track_id,
        work=lambda: services.track_transcode(track_id=track_id),
        fail=lambda reason: services.track_transcode_fail(track_id=track_id, error=reason),
        too_slow="Transcoding took too long and was stopped.",
    )
