import logging

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from core import jobs, storage

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, soft_time_limit=120, time_limit=150)
def storage_objects_delete(self, keys: list[str]) -> None:
    """Delete objects left behind by a deleted row; safe to run twice. Outages are retried (core.jobs)."""
    try:
        storage.delete_objects(keys)
    except Exception as exc:
        if not jobs.is_transient(exc):
            raise
        raise self.retry(exc=exc, countdown=jobs.backoff(self.request.retries)) from exc


@shared_task(soft_time_limit=600, time_limit=660)
def staged_objects_sweep() -> None:
    """Periodic: bytes PUT to upload URLs that expired a retention period ago are deleted."""
    from core import staging

    staging.staged_objects_sweep()


@shared_task(soft_time_limit=50, time_limit=55)
def stalled_jobs_requeue() -> None:
    """Every minute: rows whose worker died (stale heartbeat) go back to their task (core.jobs)."""
    jobs.stalled_jobs_requeue()


@shared_task(soft_time_limit=600, time_limit=660)
def expired_tokens_flush() -> None:
    """Periodic: refresh tokens past their expiry leave the outstanding-token and blacklist tables."""
    from django.core.management import call_command

    call_command("flushexpiredtokens")


def enqueue_after_commit(task, *args) -> None:
    """Send `task(*args)` once the current transaction commits.

    When the broker cannot take it (Redis down beyond Celery's own publish retries), the
    error is logged and the request still answers: what it committed stays committed, and
    stalled-job sweep picks the work up later (core.jobs.stalled_jobs_requeue: a row queued and
    never started is sent again).
    """

    def send() -> None:
        try:
            task.delay(*args)
        except BrokerUnavailable:
            logger.exception("could not queue %s%r: the broker is unavailable", task.name, args)

    transaction.on_commit(send)


def delete_objects_after_commit(keys) -> None:
    """Queue the deletion of these storage objects (blanks and repeats dropped) once the transaction commits."""
    keys = sorted({key for key in keys if key})
    if keys:
        enqueue_after_commit(storage_objects_delete, keys)
