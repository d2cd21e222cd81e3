from botocore.exceptions import BotoCoreError
from celery import shared_task


@shared_task(
    autoretry_for=(OSError, BotoCoreError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    soft_time_limit=120,
    time_limit=150,
)
def asset_upload_process(upload_id: str) -> None:
    """Check an uploaded song asset and attach it to its song."""
    from chants.services import asset_upload_process as process

    process(upload_id=upload_id)
