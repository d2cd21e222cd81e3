from django.apps import AppConfig


class TracksConfig(AppConfig):
    name = "tracks"
    verbose_name = "Track library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import jobs

        # A confirmed upload whose worker died is handed back to a worker (core.tasks.stalled_jobs_requeue);
        # the task picks up where the row is: accepting the file, or making its MP3.
        jobs.register(
            jobs.JobKind(
                model="tracks.Track",
                task="tracks.tasks.track_process",
            )
        )
