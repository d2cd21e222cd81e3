from django.apps import AppConfig


class ChantsConfig(AppConfig):
    name = "chants"
    verbose_name = "Chants song catalogue"
    default_auto_field = "django.db.models.BigAutoField"
