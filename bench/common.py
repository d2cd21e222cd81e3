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


def processing_track_from_file(path: Path, *, username: str, file_name: str):
    """A DJ and a `processing` track whose original (and cover) are in storage, as a confirm leaves it.

    Returns (track, the file's tags.AudioFileInfo). Needs setup_django() first.
    """
    from dataclasses import fields

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from core import storage
    from tracks import files, tags
    from tracks.models import Track, TrackDetails

    info = tags.read_audio_file(path)
    props, found = info.properties, info.tags
    owner = get_user_model().objects.create(username=username)
    track = Track(
        owner=owner,
        file_name=file_name,
        name=found.title,
        artist=found.artist,
        album=found.album,
        genre=found.genre,
        bpm=found.bpm,
        musical_key=found.initial_key,
        duration_seconds=props.duration_seconds,
        bitrate=props.bitrate_kbps,
        sample_rate=props.sample_rate,
        channels=props.channels,
        format=props.format,
        size=path.stat().st_size,
        status=Track.Status.PROCESSING,
        queued_at=timezone.now(),
    )
    track.original_key = files.original_key(owner.pk, track.pk, "bench", props.format)
    storage.save_file(track.original_key, path)
    # As the confirm would: the tag set and the cover, which the transcode writes into the MP3.
    if info.cover is not None:
        track.artwork_key = files.artwork_key(owner.pk, track.pk, "bench", info.cover.mime)
        storage.save_bytes(track.artwork_key, info.cover.data)
    with transaction.atomic():
        track.save()
        TrackDetails.objects.create(
            track=track, **{item.name: getattr(found, item.name) for item in fields(tags.TagSet)}
        )
    return track, info
