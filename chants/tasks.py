from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.tasks import RETRY_TRANSIENT_STORAGE_ERRORS, TRANSIENT_STORAGE_ERRORS


@shared_task(bind=True, **RETRY_TRANSIENT_STORAGE_ERRORS, soft_time_limit=120, time_limit=150)
def asset_upload_process(self, upload_id: str) -> None:
    """Check an uploaded song asset and attach it to its song."""
    from chants import services

    try:
        services.asset_upload_process(upload_id=upload_id)
    except SoftTimeLimitExceeded:
        services.asset_upload_fail(upload_id=upload_id, error="Checking the file took too long; try a smaller file.")
    except TRANSIENT_STORAGE_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            services.asset_upload_fail(upload_id=upload_id, error=f"Storage was unavailable: {exc}")
            return
        raise


@shared_task(soft_time_limit=300, time_limit=360)
def asset_uploads_expire() -> None:
    """Periodic clean-up: uploads never finished, or stuck in processing, end `failed`."""
    from chants import services

    services.asset_uploads_expire()
