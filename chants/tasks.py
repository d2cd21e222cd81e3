from celery import shared_task

from chants.models import AssetUpload
from core.jobs import run_job


@shared_task(bind=True, max_retries=5, soft_time_limit=120, time_limit=150)
def asset_upload_process(self, upload_id: str) -> None:
    """Check an uploaded song asset and attach it to its song."""
    from chants import services

    run_job(
        self,
        model=AssetUpload,
        pk=upload_id,
        work=lambda: services.asset_upload_process(upload_id=upload_id),
        fail=lambda reason: services.asset_upload_fail(upload_id=upload_id, error=reason),
        too_slow="Checking the file took too long; try a smaller file.",
    )


@shared_task(soft_time_limit=300, time_limit=360)
def asset_uploads_expire() -> None:
    """Periodic clean-up: uploads never finished, or stuck in processing, end `failed`."""
    from chants import services

    services.asset_uploads_expire()
