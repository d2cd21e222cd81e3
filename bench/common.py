"""What every benchmark's Django processes share: production-like settings, a clean environment."""

import os

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
_DROPPED_PREFIXES = ("DJANGO_", "AWS_", "CELERY_", "THROTTLE_", "TRACKS_", "LOG_", "DB_", "STORAGE_", "JWT_")
_DROPPED_NAMES = ("DATABASE_URL", "REDIS_URL", "DATA_DIR", "MEDIA_ROOT", "PUBLIC_BASE_URL", "PRESIGNED_URL_EXPIRES")


def clean_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _DROPPED_NAMES
    }
