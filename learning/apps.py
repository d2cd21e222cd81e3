from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Guess The Track"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from learning import receivers  # noqa: F401 - cards follow tracks becoming ready
