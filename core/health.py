"""Checks of the services a request or task depends on, each answering ok or what is wrong.

A check that raises is `down`, and the server is unhealthy (503). An optional integration that
the operator has not set up answers `not configured` without raising: its own endpoints refuse
(503 with a `code`), everything else works, so the server stays healthy (200).
"""

import os
import shutil
import subprocess
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from config.celery import app as celery_app

HEALTH_PROBE_KEY = "health/probe"
NOT_CONFIGURED = "not configured"  # an optional integration without its settings: not down


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_broker() -> dict:
    if celery_app.conf.task_always_eager:
        return {"status": "eager"}
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"status": "ok"}


def check_storage() -> dict:
    # exists() makes a real round trip (HEAD on S3, stat locally) without writing anything.
    default_storage.exists(HEALTH_PROBE_KEY)
    backend = "s3" if settings.STORAGE_USES_S3 else "filesystem"
    if not settings.STORAGE_USES_S3:
        settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
        if not os.access(settings.MEDIA_ROOT, os.W_OK):
            raise RuntimeError(f"{settings.MEDIA_ROOT} is not writable")
    return {"status": "ok", "backend": backend}


def check_ffmpeg() -> dict:
    path = shutil.which("ffmpeg")
    if path is None:
        raise RuntimeError("ffmpeg is not installed")
    return {"status": "ok", "version": _ffmpeg_version(path)}


@lru_cache(maxsize=4)
def _ffmpeg_version(path: str) -> str:
    # Probes come every few seconds; the binary at a path does not change while we run.
    result = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=5)
    return (result.stdout or "").splitlines()[0] if result.stdout else ""


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "ffmpeg": check_ffmpeg,
}


def register(name: str, check) -> None:
    """An app's own check (its AppConfig.ready), so core never imports an app: wrapped's `spotify`."""
    CHECKS[name] = check


def run_checks() -> tuple[bool, dict]:
    """Every check's result; healthy only when none raised."""
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means the dependency is down
            healthy = False
            results[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"}
    return healthy, results
