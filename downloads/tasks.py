from celery import shared_task
from django.conf import settings

from core.jobs import run_job
from downloads.models import Download

SOFT_LIMIT = settings.DOWNLOADS_TASK_TIME_LIMIT_SECONDS
TOO_SLOW = "The download took longer than its time limit and was stopped; the tracks listed as done were fetched."


@shared_task(bind=True, max_retries=5, soft_time_limit=SOFT_LIMIT, time_limit=SOFT_LIMIT + 60)
def download_run(self, download_id: str) -> None:
    """Fetch, convert and zip a download's tracks (network queue); resumes where a previous run stopped."""
    from downloads import services

    run_job(
        self,
        model=Download,
        pk=download_id,
        work=lambda: services.download_run(download_id=download_id),
        fail=lambda reason: services.download_fail(download_id=download_id, error=reason),
        too_slow=TOO_SLOW,
    )


@shared_task(soft_time_limit=600, time_limit=660)
def downloads_expire() -> None:
    """Hourly (beat): zips and MP3s past DOWNLOADS_RETENTION_HOURS are deleted, their downloads `expired`."""
    from downloads import services

    services.downloads_expire()
