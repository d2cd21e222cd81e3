"""What every benchmark's Django processes share: production-like settings, a clean environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Production-like: no DEBUG (it keeps every SQL query in memory), no throttling (one
# client sends everything), no HTTPS redirect (plain loopback), WARNING logging (the
# per-request INFO line would weigh on what is measured).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_HSTS_SECONDS": "0",
    "THROTTLE_ANON_RATE": "off",
    "THROTTLE_USER_RATE": "off",
    "THROTTLE_LOGIN_RATE": "off",
    "THROTTLE_LOGIN_USERNAME_RATE": "off",
    "THROTTLE_REGISTER_RATE": "off",
    "THROTTLE_REFRESH_RATE": "off",
    "LOG_LEVEL": "WARNING",
}

# Whatever in the caller's environment would switch a piece of the project to another
# service or change its behaviour; each benchmark sets what it needs itself.
_DROPPED_PREFIXES = ("DJANGO_", "AWS_", "CELERY_", "THROTTLE_", "TRACKS_", "LOG_", "DB_", "STORAGE_", "JWT_", "JOB_")
_DROPPED_NAMES = ("DATABASE_URL", "REDIS_URL", "DATA_DIR", "MEDIA_ROOT", "PUBLIC_BASE_URL", "PRESIGNED_URL_EXPIRES")


def clean_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED_NAMES
    }


def django_env(data_dir: str | os.PathLike[str], *overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a benchmark's Django process: clean, production-like, then `overrides`.

    Data (the SQLite file when no DATABASE_URL is given, and the media files) goes to
    `data_dir`, a temporary directory, never to the project's own data/.
    """
    env = {**clean_environment(), **PRODUCTION_ENV}
    for override in overrides:
        env.update(override)
    env["DATA_DIR"] = os.fspath(data_dir)
    env["MEDIA_ROOT"] = os.path.join(data_dir, "media")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    return env


def setup_django() -> None:
    """django.setup() in a benchmark's child process, with the settings django_env gave it."""
    import warnings

    import django

    # WhiteNoise warns that STATIC_ROOT is missing (collectstatic never ran here); the API does not care.
    warnings.filterwarnings("ignore", message=r"No directory at: .*staticfiles")
    django.setup()
