from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = "SoundCloud downloads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        # A download whose worker died is handed back to a worker, which resumes it (core.tasks.stalled_jobs_requeue).
        jobs.register(jobs.JobKind(model="downloads.Download", task="downloads.tasks.download_run"))
