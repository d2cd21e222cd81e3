from botocore.exceptions import BotoCoreError
from celery import shared_task

from core import storage


@shared_task(
    autoretry_for=(OSError, BotoCoreError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    soft_time_limit=120,
    time_limit=150,
)
def storage_objects_delete(keys: list[str]) -> None:
    """Delete objects left behind by a deleted row; safe to run twice."""
    storage.delete_objects(keys)
