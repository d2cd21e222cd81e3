from django.apps import AppConfig


class WrappedConfig(AppConfig):
    name = "wrapped"
    verbose_name = "Spotify Wrapped and release radar"
    default_auto_field = "django.db.models.BigAutoField"
