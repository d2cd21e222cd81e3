"""The Spotify jobs on the `network` queue: one task per run (a `WrappedMonth` or `ReleaseRadarWeek` row).

The beat entries fan out: `wrapped_monthly` and `release_radar_weekly` make each enrolled
account's row pending (services.wrapped_months_queue, release_radar_weeks_queue) and send its id
to `wrapped_month_run` / `release_radar_run`, whose body is `core.jobs.run_job`: each start is
counted, the row keeps its status and error, a heartbeat shows the worker alive, and the stalled
sweep hands back a row whose worker was lost (core.jobs.stalled_jobs_requeue, the JobKinds of
wrapped.apps). Spotify asking to wait longer than SPOTIFY_MAX_WAIT_SECONDS (`core.jobs.Deferred`)
sends the task again after that wait, however often; Spotify out of reach or failing
(`client.SpotifyUnavailable`, a `ConnectionError`) is retried with the shared backoff, five times.
One account's failure never stops the others: each run has its own task.
"""

import logging

from celery import shared_task
from django.utils import timezone

from core.jobs import run_job
from wrapped.models import ReleaseRadarWeek, WrappedMonth

logger = logging.getLogger(__name__)

TOO_SLOW = "The run took longer than its time limit and was stopped."


@shared_task(bind=True, max_retries=5, soft_time_limit=600, time_limit=660)
def wrapped_month_run(self, month_id: str) -> None:
    """One account's Wrapped of one month (its `WrappedMonth` row)."""
    from wrapped import services

    run_job(
        self,
        model=WrappedMonth,
        pk=month_id,
        work=lambda: services.wrapped_month_run(month_id=month_id),
        fail=lambda reason: services.wrapped_month_fail(month_id=month_id, error=reason),
        too_slow=TOO_SLOW,
    )


@shared_task(bind=True, max_retries=5, soft_time_limit=1800, time_limit=1860)
def release_radar_run(self, week_id: str) -> None:
    """One account's release radar of one week (its `ReleaseRadarWeek` row)."""
    from wrapped import services

    run_job(
        self,
        model=ReleaseRadarWeek,
        pk=week_id,
        work=lambda: services.release_radar_week_run(week_id=week_id),
        fail=lambda reason: services.release_radar_week_fail(week_id=week_id, error=reason),
        too_slow=TOO_SLOW,
    )


@shared_task
def wrapped_monthly() -> int:
    """Beat, the 1st of each month at 00:00 UTC: every enrolled account's run of the month that ended, queued."""
    from wrapped import services

    month_key = services.previous_month_key(timezone.now().date())
    queued = services.wrapped_months_queue(month_key=month_key)
    logger.info("wrapped %s queued for %d accounts", month_key, queued)
    return queued


@shared_task
def release_radar_weekly() -> int:
    """Beat, Sundays at 00:00 UTC: every enrolled account's run of the 7 days before today, queued."""
    from wrapped import services

    today = timezone.now().date()
    queued = services.release_radar_weeks_queue(run_date=today)
    logger.info("release radar of %s queued for %d accounts", today, queued)
    return queued
