"""The LOGGING dict: console always, a rotated file when LOG_FILE is set."""


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
            # runserver's access lines duplicate core.middleware's request lines.
            "django.server": {"level": "WARNING"},
            "django.db.backends": {"level": "INFO"},
            "botocore": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
        },
    }
