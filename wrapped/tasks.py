"""The Spotify jobs on the `network` queue: one task per account, fanned out by two beat entries.

A per-account task that Spotify asks to wait longer than SPOTIFY_MAX_WAIT_SECONDS (core.jobs.Deferred)
is sent again after that wait, however often; a connection error is retried with backoff, five
times. One account's failure never stops the others: each has its own task.
"""

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from core.jobs import Deferred, backoff

logger = logging.getLogger(__name__)


def _run(task, work):
    try:
        return work()
    except Deferred as deferred:
        raise task.retry(countdown=int(deferred.seconds) + 1, max_retries=None) from None
    except ConnectionError as error:
        raise task.retry(exc=error, countdown=backoff(task.request.retries)) from None


@shared_task(bind=True, max_retries=5, soft_time_limit=600, time_limit=660)
def wrapped_month_run(self, account_id: int, month_key: str) -> str:
    """One account's Wrapped of `month_key`."""
    from wrapped import services

    return _run(self, lambda: services.wrapped_month_run(account_id=account_id, month_key=month_key).status)


@shared_task(bind=True, max_retries=5, soft_time_limit=1800, time_limit=1860)
def release_radar_run(self, account_id: int, run_date: str) -> str:
    """One account's release radar for the week before `run_date` (YYYY-MM-DD)."""
    from wrapped import services

    day = date.fromisoformat(run_date)
    return _run(self, lambda: services.release_radar_run(account_id=account_id, run_date=day).status)


@shared_task
def wrapped_monthly() -> int:
    """Beat, the 1st of each month at 00:00 UTC: a task per enrolled account for the month that ended."""
    from wrapped import selectors, services

    month_key = services.previous_month_key(timezone.now().date())
    ids = list(selectors.wrapped_enrolled().values_list("pk", flat=True))
    for account_id in ids:
        wrapped_month_run.delay(account_id, month_key)
    logger.info("wrapped %s queued for %d accounts", month_key, len(ids))
    return len(ids)


@shared_task
def release_radar_weekly() -> int:
    """Beat, Sundays at 00:00 UTC: a task per enrolled account for the 7 days before today."""
    from wrapped import selectors

    today = timezone.now().date().isoformat()
    ids = list(selectors.release_radar_enrolled().values_list("pk", flat=True))
    for account_id in ids:
        release_radar_run.delay(account_id, today)
    logger.info("release radar of %s queued for %d accounts", today, len(ids))
    return len(ids)
