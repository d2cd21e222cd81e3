from django.apps import AppConfig


class WrappedConfig(AppConfig):
    name = "wrapped"
    verbose_name = "Spotify Wrapped and release radar"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import health, jobs
        from wrapped import client

        health.register("spotify", client.health_check)

        # A run whose worker died is handed back to a worker (core.tasks.stalled_jobs_requeue).
        jobs.register(jobs.JobKind(model="wrapped.WrappedMonth", task="wrapped.tasks.wrapped_month_run"))
        jobs.register(jobs.JobKind(model="wrapped.ReleaseRadarWeek", task="wrapped.tasks.release_radar_run"))
