from django.apps import AppConfig


class MasteringConfig(AppConfig):
    name = "mastering"
    verbose_name = "Audio mastering analysis"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        # An analysis whose worker died is handed back to a worker (core.tasks.stalled_jobs_requeue).
        jobs.register(jobs.JobKind(model="mastering.Analysis", task="mastering.tasks.analysis_run"))
        jobs.register(jobs.JobKind(model="mastering.Reference", task="mastering.tasks.reference_run"))
