"""The LOGGING dict: console always, a rotated file when LOG_FILE is set.

Every handler that can print carries the redact_secrets filter (core.log_filters). Django
applies its own DEFAULT_LOGGING before this dict: a console handler on the "django" logger
(it prints when DEBUG is on, as under `make run`) and a handler on "django.server" that does
not propagate, neither with the filter. dictConfig keeps the handlers of loggers it is not
told about, so both loggers are named below with no handlers of their own: that removes
Django's, and their records reach the root handlers, redacted, like everyone else's. The same
goes for gunicorn's loggers: gunicorn gives them handlers of its own before it loads the app
(its access line quotes the whole request line, query string included), and this dict, applied
when a worker loads Django, replaces them.
"""


def build_logging(*, level: str, log_file: str) -> dict:
    handlers = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["redact_secrets"],
        }
    }
    if log_file:
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": log_file,
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "encoding": "utf-8",
            "formatter": "line",
            "filters": ["redact_secrets"],
        }
    handler_names = list(handlers)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_secrets": {"()": "core.log_filters.RedactSecretsFilter"}},
        "formatters": {
            "line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
        },
        "handlers": handlers,
        "root": {"handlers": handler_names, "level": level},
        "loggers": {
            # NOTSET: Django's records follow LOG_LEVEL like the rest (its default pins "django" at INFO).
            "django": {"handlers": [], "level": "NOTSET", "propagate": True},
            # runserver's access lines: its 2xx and 3xx lines repeat core.middleware's request
            # lines; refusals and errors (4xx, 5xx, malformed requests) are kept.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            # gunicorn's access lines (`--access-logfile -`) and its workers' errors: printed by the root handlers.
            "gunicorn.access": {"handlers": [], "propagate": True},
            "gunicorn.error": {"handlers": [], "propagate": True},
            "django.db.backends": {"level": "INFO"},
            "botocore": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }
