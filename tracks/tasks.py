from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from core.tasks import RETRY_TRANSIENT_STORAGE_ERRORS, TRANSIENT_STORAGE_ERRORS

# The transcode's own ffmpeg timeout fires first; these are the worker's safety net.
SOFT_LIMIT = settings.TRACKS_TRANSCODE_TIMEOUT_SECONDS + 60
HARD_LIMIT = SOFT_LIMIT + 30


@shared_task(bind=True, **RETRY_TRANSIENT_STORAGE_ERRORS, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def track_transcode(self, track_id: str) -> None:
    """Transcode a track's original to a 320 kbps MP3 (audio queue)."""
    from tracks import services

    try:
        services.track_transcode(track_id=track_id)
    except SoftTimeLimitExceeded:
        services.track_transcode_fail(track_id=track_id, error="Transcoding took too long and was stopped.")
    except TRANSIENT_STORAGE_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            services.track_transcode_fail(track_id=track_id, error=f"Storage was unavailable: {exc}")
            return
        raise


@shared_task(soft_time_limit=300, time_limit=360)
def tracks_processing_sweep() -> None:
    """Periodic: transcodes lost on the way are queued again; after a day the track ends `failed`."""
    from tracks import services

    services.tracks_processing_sweep()
