from django.apps import AppConfig


class TracksConfig(AppConfig):
    name = "tracks"
    verbose_name = "Track library"
    default_auto_field = "django.db.models.BigAutoField"
