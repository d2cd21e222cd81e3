from django.apps import AppConfig


class TracksConfig(AppConfig):
    name = "tracks"
    verbose_name = "Track library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        # A transcode whose worker died is handed back to a worker (core.tasks.stalled_jobs_requeue).
        jobs.register(
            jobs.JobKind(
                model="tracks.Track",
                task="tracks.tasks.track_transcode",
            )
        )
