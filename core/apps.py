from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Connects the Celery task logging signals in every process.
        from core import task_logging  # noqa: F401
