"""Writes of the mastering app: uploads checked and queued, analyses run, references added, settings."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TypedDict, Unpack

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from core import media, storage
from core.errors import PayloadTooLarge, UnsupportedMediaType
from core.jobs import JobStatus
from core.tasks import delete_objects_after_commit, enqueue_after_commit
from mastering import recommendations, selectors, similarity
from mastering.models import Analysis, MasteringSettings, Reference

logger = logging.getLogger(__name__)

# What the engine reads (libsndfile): mutagen's format names, as core.media reports them.
ACCEPTED_FORMATS = ("wav", "flac", "aiff", "mp3", "ogg")
ACCEPTED_NAMES = ".wav, .flac, .aiff, .mp3 or .ogg"
COPY_CHUNK = 1024 * 1024


def max_upload_bytes() -> int:
    return settings.MASTERING_MAX_UPLOAD_MB * 1024 * 1024


def _check_and_store(*, owner_id, uploaded, kind: str) -> tuple[str, media.CheckedAudio, int]:
    """Check an uploaded file is audio the engine reads, and store those bytes under a fresh key."""
    if uploaded.size > max_upload_bytes():
        limit = settings.MASTERING_MAX_UPLOAD_MB
        raise PayloadTooLarge(f"{uploaded.name!r} is {uploaded.size} bytes; the largest accepted is {limit} MB.")
    with tempfile.TemporaryDirectory(prefix="mastering-") as folder:
        local = Path(folder) / "upload"
        with open(local, "wb") as out:
            for chunk in uploaded.chunks(COPY_CHUNK):
                out.write(chunk)
        try:
            checked = media.check_audio(local)
        except media.MediaRejected as exc:
            raise UnsupportedMediaType(f"{uploaded.name!r}: {exc} Send a {ACCEPTED_NAMES} file.") from exc
        if checked.format not in ACCEPTED_FORMATS:
            raise UnsupportedMediaType(
                f"{uploaded.name!r} is {checked.format.upper()}, which the analysis does not read; "
                f"send a {ACCEPTED_NAMES} file."
            )
        key = storage.new_object_key(owner_id or "built-in", "mastering", kind, extension=checked.extension)
        storage.save_file(key, local)
    return key, checked, uploaded.size


def _file_fields(checked: media.CheckedAudio, size: int) -> dict:
    return {
        "size": size,
        "format": checked.format,
        "duration_seconds": round(checked.duration_seconds, 3),
        "sample_rate": checked.sample_rate,
        "channels": checked.channels,
    }


def analysis_create(*, owner, uploaded, genre: str, recommendation_level: str) -> Analysis:
    """Store a producer's mix and queue its analysis (audio queue); answers while it is `pending`."""
    key, checked, size = _check_and_store(owner_id=owner.pk, uploaded=uploaded, kind="analyses")
    with transaction.atomic():
        analysis = Analysis(
            owner=owner,
            file_name=uploaded.name[:255],
            audio_key=key,
            genre=genre,
            recommendation_level=recommendation_level,
            **_file_fields(checked, size),
        )
        analysis.mark_queued()
        analysis.save()
        _enqueue("mastering.tasks.analysis_run", analysis.pk)
    return analysis


def reference_create(*, owner, uploaded, name: str, artist: str, genre: str, year: int | None) -> Reference:
    """Store a producer's own reference master and queue its analysis; private to them."""
    key, checked, size = _check_and_store(owner_id=owner.pk, uploaded=uploaded, kind="references")
    with transaction.atomic():
        reference = Reference(
            owner=owner,
            file_name=uploaded.name[:255],
            audio_key=key,
            name=name,
            artist=artist,
            genre=genre,
            year=year,
            **_file_fields(checked, size),
        )
        reference.mark_queued()
        reference.save()
        _enqueue("mastering.tasks.reference_run", reference.pk)
    return reference


def _enqueue(task_path: str, pk) -> None:
    from django.utils.module_loading import import_string

    enqueue_after_commit(import_string(task_path), str(pk))


def _measure(row, local: Path) -> dict:
    """The engine's result for a stored file, as plain data; AnalysisError for a file it cannot measure."""
    from mastering.analysis import analyze

    return analyze(local, max_seconds=settings.MASTERING_MAX_SECONDS).to_dict()


def _download(key: str, folder: str) -> Path:
    local = Path(folder) / f"audio{Path(key).suffix}"
    with default_storage.open(key, "rb") as remote, open(local, "wb") as out:
        shutil.copyfileobj(remote, out, COPY_CHUNK)
    return local


def _apply_measures(row, result: dict) -> list[str]:
    info = result["file"]
    row.duration_seconds = info["duration_seconds"]
    row.sample_rate, row.channels = info["sample_rate"], info["channels"]
    row.overall, row.bands = result["overall"], result["bands"]
    row.vector = similarity.to_bytes(result["vector"])
    return ["duration_seconds", "sample_rate", "channels", "overall", "bands", "vector"]


def analysis_run(*, analysis_id) -> None:
    """Measure a queued analysis, compare it with its genre's targets, and store what to change."""
    from mastering.analysis import AnalysisError

    analysis = Analysis.objects.filter(pk=analysis_id, status__in=JobStatus.active()).first()
    if analysis is None:
        logger.info("analysis %s is not waiting to run; nothing to do", analysis_id)
        return
    with tempfile.TemporaryDirectory(prefix="analysis-") as folder:
        try:
            result = _measure(analysis, _download(analysis.audio_key, folder))
        except AnalysisError as exc:
            analysis_fail(analysis_id=analysis.pk, error=str(exc))
            return
    targets = selectors.genre_targets(genre=analysis.genre, user=analysis.owner)
    advice = recommendations.recommend(
        overall=result["overall"], bands=result["bands"], targets=targets, level=analysis.recommendation_level
    )
    with transaction.atomic():
        locked = Analysis.objects.select_for_update().filter(pk=analysis.pk, status__in=JobStatus.active()).first()
        if locked is None:
            return  # deleted meanwhile, or finished by another delivery
        fields = _apply_measures(locked, result)
        locked.recommendations, locked.target_source = advice, targets.source
        locked.platforms, locked.loudness_series = result["platforms"], result["loudness_series"]
        fields += ["recommendations", "target_source", "platforms", "loudness_series"]
        locked.save(update_fields=[*fields, *locked.mark_finished(JobStatus.DONE)])
    logger.info("analysis %s done", analysis_id)


@transaction.atomic
def analysis_fail(*, analysis_id, error: str) -> None:
    """End an analysis that is queued or running as `failed`, saying why."""
    analysis = Analysis.objects.select_for_update().filter(pk=analysis_id, status__in=JobStatus.active()).first()
    if analysis is not None:
        analysis.save(update_fields=analysis.mark_finished(JobStatus.FAILED, error=error))
        logger.info("analysis %s failed: %s", analysis_id, error)


def analysis_delete(*, analysis_id) -> None:
    """Delete an analysis and its stored file."""
    with transaction.atomic():
        analysis = Analysis.objects.select_for_update().get(pk=analysis_id)
        key = analysis.audio_key
        analysis.delete()
        delete_objects_after_commit([key])


def reference_run(*, reference_id) -> None:
    """Measure a queued reference; a file the engine cannot read ends `failed`."""
    from mastering.analysis import AnalysisError

    reference = Reference.objects.filter(pk=reference_id, status__in=JobStatus.active()).first()
    if reference is None:
        logger.info("reference %s is not waiting to run; nothing to do", reference_id)
        return
    with tempfile.TemporaryDirectory(prefix="reference-") as folder:
        try:
            result = _measure(reference, _download(reference.audio_key, folder))
        except AnalysisError as exc:
            reference_fail(reference_id=reference.pk, error=str(exc))
            return
    with transaction.atomic():
        locked = Reference.objects.select_for_update().filter(pk=reference.pk, status__in=JobStatus.active()).first()
        if locked is None:
            return
        fields = _apply_measures(locked, result)
        locked.save(update_fields=[*fields, *locked.mark_finished(JobStatus.DONE)])
    selectors.forget_vectors()
    logger.info("reference %s done", reference_id)


@transaction.atomic
def reference_fail(*, reference_id, error: str) -> None:
    reference = Reference.objects.select_for_update().filter(pk=reference_id, status__in=JobStatus.active()).first()
    if reference is not None:
        reference.save(update_fields=reference.mark_finished(JobStatus.FAILED, error=error))
        logger.info("reference %s failed: %s", reference_id, error)


def reference_delete(*, reference_id) -> None:
    with transaction.atomic():
        reference = Reference.objects.select_for_update().get(pk=reference_id)
        key = reference.audio_key
        reference.delete()
        delete_objects_after_commit([key])
    selectors.forget_vectors()


def reference_upload_replace(*, reference: Reference, uploaded) -> Reference:
    """A curator's new file for a reference (the admin): stored, then analysed by a worker."""
    key, checked, size = _check_and_store(owner_id=reference.owner_id, uploaded=uploaded, kind="references")
    with transaction.atomic():
        old_key = reference.audio_key if reference.pk else ""
        reference.file_name, reference.audio_key = uploaded.name[:255], key
        for field, value in _file_fields(checked, size).items():
            setattr(reference, field, value)
        reference.overall = reference.bands = reference.vector = None
        reference.mark_queued()
        reference.save()
        delete_objects_after_commit([old_key] if old_key != key else [])
        _enqueue("mastering.tasks.reference_run", reference.pk)
    selectors.forget_vectors()
    return reference


def built_in_reference_save(
    *, path: Path, name: str, artist: str, genre: str, year: int | None, generated: bool, replace: bool = True
) -> Reference:
    """Analyse a local file now (no worker) and keep it as a built-in reference, replacing one of that name."""
    from mastering.analysis import analyze

    checked = media.check_audio(path)
    result = analyze(path, max_seconds=settings.MASTERING_MAX_SECONDS).to_dict()
    key = storage.new_object_key("built-in", "mastering", "references", extension=checked.extension)
    storage.save_file(key, path)
    with transaction.atomic():
        existing = Reference.objects.select_for_update().filter(built_in=True, name=name, genre=genre).first()
        old_key = existing.audio_key if existing else ""
        if existing and not replace:
            return existing
        reference = existing or Reference(built_in=True, name=name, genre=genre)
        reference.owner, reference.artist, reference.year, reference.generated = None, artist, year, generated
        reference.file_name, reference.audio_key = path.name[:255], key
        for field, value in _file_fields(checked, path.stat().st_size).items():
            setattr(reference, field, value)
        _apply_measures(reference, result)
        reference.mark_finished(JobStatus.DONE)
        reference.save()
        delete_objects_after_commit([old_key])
    selectors.forget_vectors()
    return reference


class SettingsFields(TypedDict, total=False):
    default_genre: str
    default_recommendation_level: str


def settings_of(user) -> MasteringSettings:
    return MasteringSettings.objects.get_or_create(user=user)[0]


def settings_update(*, user, **changes: Unpack[SettingsFields]) -> MasteringSettings:
    """Change a producer's defaults; only the fields given."""
    current = settings_of(user)
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()
    return current
