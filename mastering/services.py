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
    """Check an uploaded file is audio the engine reads, and store those bytes under a fresh key.

    The check reads the bytes where Django put them as it received the request (its temporary
    file, or memory for a small upload), and storage takes them from there in one stream (on
    local storage the temporary file is moved): no second local copy of up to 500 MB.
    """
    if uploaded.size > max_upload_bytes():
        limit = settings.MASTERING_MAX_UPLOAD_MB
        raise PayloadTooLarge(f"{uploaded.name!r} is {uploaded.size} bytes; the largest accepted is {limit} MB.")
    try:
        checked = media.check_uploaded_audio(uploaded)
    except media.MediaRejected as exc:
        raise UnsupportedMediaType(f"{uploaded.name!r}: {exc} Send a {ACCEPTED_NAMES} file.") from exc
    if checked.format not in ACCEPTED_FORMATS:
        raise UnsupportedMediaType(
            f"{uploaded.name!r} is {checked.format.upper()}, which the analysis does not read; "
            f"send a {ACCEPTED_NAMES} file."
        )
    key = storage.new_object_key(owner_id or "built-in", "mastering", kind, extension=checked.extension)
    uploaded.content_type = checked.content_type  # what S3 records for the object: the checked type, not the claim
    storage.save_exactly(key, uploaded)
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


def _measured_run(model, pk, *, finish=None) -> bool:
    """The job both analyses and references run: measure the stored file and keep what was measured.

    `finish(locked_row, result)` sets what else the row keeps and returns those fields. A file the
    engine cannot measure ends the row `failed`. Returns whether the row was finished `done`.
    """
    from mastering.analysis import AnalysisError, analyze

    label = model._meta.verbose_name
    row = model.objects.filter(pk=pk, status__in=JobStatus.active()).first()
    if row is None:
        logger.info("%s %s is not waiting to run; nothing to do", label, pk)
        return False
    with tempfile.TemporaryDirectory(prefix="mastering-") as folder:
        try:
            result = analyze(_download(row.audio_key, folder), max_seconds=settings.MASTERING_MAX_SECONDS).to_dict()
        except AnalysisError as exc:
            _fail(model, pk, str(exc))
            return False
    extra = finish(row, result) if finish else {}
    with transaction.atomic():
        locked = model.objects.select_for_update().filter(pk=pk, status__in=JobStatus.active()).first()
        if locked is None:
            return False  # deleted meanwhile, or finished by another delivery
        for field, value in extra.items():
            setattr(locked, field, value)
        fields = [*_apply_measures(locked, result), *extra]
        locked.save(update_fields=[*fields, *locked.mark_finished(JobStatus.DONE)])
    logger.info("%s %s done", label, pk)
    return True


@transaction.atomic
def _fail(model, pk, error: str) -> None:
    row = model.objects.select_for_update().filter(pk=pk, status__in=JobStatus.active()).first()
    if row is not None:
        row.save(update_fields=row.mark_finished(JobStatus.FAILED, error=error))
        logger.info("%s %s failed: %s", model._meta.verbose_name, pk, error)


def _delete(model, pk) -> None:
    """Delete a row and, once that commits, its stored file."""
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=pk)
        key = row.audio_key
        row.delete()
        delete_objects_after_commit([key])


def analysis_run(*, analysis_id) -> None:
    """Measure a queued analysis, compare it with its genre's targets, and store what to change."""

    def compare(analysis: Analysis, result: dict) -> dict:
        # Outside the row lock: the genre's targets are a read of other rows.
        targets = selectors.genre_targets(genre=analysis.genre, user=analysis.owner)
        advice = recommendations.recommend(
            overall=result["overall"], bands=result["bands"], targets=targets, level=analysis.recommendation_level
        )
        return {
            "recommendations": advice,
            "target_source": targets.source,
            "platforms": result["platforms"],
            "loudness_series": result["loudness_series"],
        }

    _measured_run(Analysis, analysis_id, finish=compare)


def analysis_fail(*, analysis_id, error: str) -> None:
    """End an analysis that is queued or running as `failed`, saying why."""
    _fail(Analysis, analysis_id, error)


def analysis_delete(*, analysis_id) -> None:
    """Delete an analysis and its stored file."""
    _delete(Analysis, analysis_id)


def reference_run(*, reference_id) -> None:
    """Measure a queued reference; a file the engine cannot read ends `failed`."""
    if _measured_run(Reference, reference_id):
        selectors.forget_vectors()


def reference_fail(*, reference_id, error: str) -> None:
    """End a reference that is queued or running as `failed`, saying why."""
    _fail(Reference, reference_id, error)


def reference_delete(*, reference_id) -> None:
    """Delete one of the references and its stored file."""
    _delete(Reference, reference_id)
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
