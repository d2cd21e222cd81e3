from celery import shared_task
from django.conf import settings

from core.jobs import run_job
from mastering.models import Analysis, Reference

# The longest file (MASTERING_MAX_SECONDS) analyses in a fraction of its length; this is the safety net.
SOFT_LIMIT = settings.MASTERING_TASK_TIME_LIMIT_SECONDS
HARD_LIMIT = SOFT_LIMIT + 30
TOO_SLOW = "The analysis took too long and was stopped; try a shorter file."


@shared_task(bind=True, max_retries=5, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def analysis_run(self, analysis_id: str) -> None:
    """Measure an uploaded mix and say what to change (audio queue)."""
    from mastering import services

    run_job(
        self,
        model=Analysis,
        pk=analysis_id,
        work=lambda: services.analysis_run(analysis_id=analysis_id),
        fail=lambda reason: services.analysis_fail(analysis_id=analysis_id, error=reason),
        too_slow=TOO_SLOW,
    )


@shared_task(bind=True, max_retries=5, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def reference_run(self, reference_id: str) -> None:
    """Measure a producer's own reference master (audio queue)."""
    from mastering import services

    run_job(
        self,
        model=Reference,
        pk=reference_id,
        work=lambda: services.reference_run(reference_id=reference_id),
        fail=lambda reason: services.reference_fail(reference_id=reference_id, error=reason),
        too_slow=TOO_SLOW,
    )
