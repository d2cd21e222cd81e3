"""The Celery application shared by the worker, beat and the web process."""

import logging.config
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("music")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _keep_the_redacting_handlers(loglevel=None, **_):
    """Without a receiver a worker replaces the root handlers with its own, which do not redact secrets."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:  # `celery worker --loglevel` still decides what the worker prints
        logging.getLogger().setLevel(loglevel)
