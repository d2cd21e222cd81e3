from django.apps import AppConfig


class ChantsConfig(AppConfig):
    name = "chants"
    verbose_name = "Chants song catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        # A check whose worker died is handed back to a worker (core.tasks.stalled_jobs_requeue).
        jobs.register(
            jobs.JobKind(
                model="chants.AssetUpload",
                task="chants.tasks.asset_upload_process",
            )
        )
