from botocore.exceptions import BotoCoreError
from celery import shared_task

from core import storage

# Storage and network hiccups pass; retry them with growing pauses, a few times only.
TRANSIENT_STORAGE_ERRORS = (OSError, BotoCoreError)
RETRY_TRANSIENT_STORAGE_ERRORS = {
    "autoretry_for": TRANSIENT_STORAGE_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY_TRANSIENT_STORAGE_ERRORS, soft_time_limit=120, time_limit=150)
def storage_objects_delete(keys: list[str]) -> None:
    """Delete objects left behind by a deleted row; safe to run twice."""
    storage.delete_objects(keys)
