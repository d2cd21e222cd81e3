"""Writes to the song catalogue: one function per use case."""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TypedDict, Unpack

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chants import assets, selectors
from chants import cache as song_cache
from chants.models import AssetKind, AssetUpload, Song, asset_key
from core import media, staging, storage
from core.conditional import if_match_fails, make_etag
from core.errors import PreconditionFailed, UnsupportedMediaType
from core.tasks import delete_objects_after_commit, enqueue_after_commit

logger = logging.getLogger(__name__)


class SongFields(TypedDict, total=False):
    """The fields of a song a person edits; a change names only those it changes."""

    title: str
    artist: str
    album: str
    genre: str
    language: str
    duration_seconds: float | None
    lyrics: str


EDITABLE_FIELDS = tuple(SongFields.__annotations__)
UPLOAD_WAIT_LIMIT = timedelta(days=1)


def song_etag(row: dict) -> str:
    """The ETag of a song's detail, from its row (selectors.song_detail / song_row)."""
    has_urls = bool(row["audio"] or row["artwork"])
    return make_etag(row["id"], row["updated_at"].isoformat(), with_urls=has_urls)


def cache_after_commit(song: Song) -> None:
    """Put the song's new detail in the shared cache once the change is committed."""
    row = selectors.song_row(song)
    transaction.on_commit(lambda: song_cache.put(row))


def song_asset_keys(song: Song) -> list[str]:
    """Every object the song owns: its current files and all its uploads, staged or checked."""
    keys = [song.audio.name, song.artwork.name]
    for key, upload_key in song.asset_uploads.values_list("key", "upload_key"):
        keys += [key, upload_key]
    return sorted({key for key in keys if key})


@transaction.atomic
def song_create(*, user, **fields: Unpack[SongFields]) -> Song:
    """Add a song to the catalogue, created by `user`."""
    song = Song(created_by=user, **{name: fields[name] for name in EDITABLE_FIELDS if name in fields})
    song.full_clean()
    song.save()
    cache_after_commit(song)
    return song


@transaction.atomic
def song_update(*, song_id, if_match: str | None = None, **fields: Unpack[SongFields]) -> Song:
    """Change a song's fields; with If-Match, only if nobody changed it since that ETag."""
    song = Song.objects.select_for_update().get(pk=song_id)
    if if_match_fails(if_match, song_etag(selectors.song_row(song))):
        raise PreconditionFailed()
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(song, name, fields[name])
    song.full_clean()
    song.save()
    cache_after_commit(song)
    return song


@transaction.atomic
def song_delete(*, song_id, if_match: str | None = None) -> None:
    """Remove a song and, once that is committed, every object it owns."""
    song = Song.objects.select_for_update().get(pk=song_id)
    if if_match_fails(if_match, song_etag(selectors.song_row(song))):
        raise PreconditionFailed()
    keys = song_asset_keys(song)
    song.delete()
    transaction.on_commit(lambda: song_cache.mark_gone(song_id))
    delete_objects_after_commit(keys)
    logger.info("song %s deleted with %s objects", song_id, len(keys))


def max_asset_bytes(kind: str) -> int:
    megabytes = settings.CHANTS_MAX_AUDIO_MB if kind == AssetKind.AUDIO else settings.CHANTS_MAX_ARTWORK_MB
    return megabytes * 1024 * 1024


@transaction.atomic
def asset_upload_start(*, song: Song, user, kind: str, file_name: str, content_type: str):
    """Record an upload and return it with the presigned URL the client PUTs the file to."""
    content_type = media.normalize_content_type(content_type)
    refusal = assets.content_type_refusal(kind, content_type)
    if refusal:
        raise UnsupportedMediaType(refusal)
    upload_key, presigned = staging.staged_upload(
        user_id=user.pk, content_type=content_type, max_bytes=max_asset_bytes(kind)
    )
    upload = AssetUpload.objects.create(
        song=song,
        kind=kind,
        file_name=file_name,
        content_type=content_type,
        upload_key=upload_key,
        created_by=user,
    )
    return upload, presigned


@transaction.atomic
def asset_upload_complete(*, upload_id) -> AssetUpload:
    """The client says the bytes are uploaded: queue the check. Repeating it changes nothing."""
    from chants.tasks import asset_upload_process

    upload = AssetUpload.objects.select_for_update().get(pk=upload_id)
    if upload.status in (AssetUpload.Status.AWAITING_UPLOAD, AssetUpload.Status.FAILED):
        upload.save(update_fields=upload.mark_queued())
        enqueue_after_commit(asset_upload_process, str(upload.pk))
    return upload


def asset_uploads_expire(*, now=None) -> int:
    """Fail uploads whose bytes never came within a day, and delete what was staged for them.

    Uploads being processed are core.jobs' to recover or give up (stalled_jobs_requeue).
    """
    now = now or timezone.now()
    stale = AssetUpload.objects.filter(
        status=AssetUpload.Status.AWAITING_UPLOAD, created_at__lt=now - UPLOAD_WAIT_LIMIT
    )
    expired = 0
    for upload_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            upload = stale.select_for_update().filter(pk=upload_id).first()
            if upload is None:  # finished meanwhile
                continue
            error = "The file was never uploaded and confirmed within a day."
            upload.save(update_fields=upload.mark_finished(AssetUpload.Status.FAILED, error=error, now=now))
            delete_objects_after_commit([upload.upload_key])
        expired += 1
    if expired:
        logger.info("expired %s unfinished song asset uploads", expired)
    return expired


def asset_upload_process(*, upload_id) -> None:
    """Check an uploaded object and make it the song's asset; bad files end `failed`.

    The staged bytes are copied here, checked here, and these same bytes are stored under a
    fresh key that no upload URL can write to: a PUT racing the check changes nothing served.
    """
    upload = AssetUpload.objects.filter(pk=upload_id, status=AssetUpload.Status.PROCESSING).first()
    if upload is None:
        logger.info("asset upload %s is not waiting to be processed; nothing to do", upload_id)
        return
    limit = max_asset_bytes(upload.kind)
    with tempfile.TemporaryDirectory(prefix="asset-") as folder:
        local = Path(folder) / "asset"
        try:
            size, _ = staging.fetch(upload.upload_key, local, max_bytes=limit)
            checked = assets.check_file(upload.kind, local, size=size, max_bytes=limit)
        except (staging.NotStaged, assets.AssetRejected) as exc:
            asset_upload_fail(upload_id=upload.pk, error=str(exc))
            return
        key = asset_key(upload.created_by_id, upload.song_id, upload.kind, checked.content_type)
        storage.save_file(key, local)
    _asset_upload_promote(upload_id=upload.pk, key=key, size=size, checked=checked)


@transaction.atomic
def asset_upload_fail(*, upload_id, error: str) -> None:
    """End an upload that is being processed as `failed`, saying why."""
    upload = AssetUpload.objects.select_for_update().filter(pk=upload_id).first()
    if upload is None or upload.status != AssetUpload.Status.PROCESSING:
        return
    upload.save(update_fields=upload.mark_finished(AssetUpload.Status.FAILED, error=error))
    logger.info("asset upload %s failed: %s", upload_id, error)


@transaction.atomic
def _asset_upload_promote(*, upload_id, key: str, size: int, checked: assets.CheckedAsset) -> None:
    # The song's lock first, then the upload's: the order song_delete takes them in (its cascade
    # deletes the uploads), so a promote and a delete of the same song never deadlock.
    song_id = AssetUpload.objects.filter(pk=upload_id).values_list("song_id", flat=True).first()
    song = Song.objects.select_for_update().filter(pk=song_id).first() if song_id else None
    upload = AssetUpload.objects.select_for_update().filter(pk=upload_id).first() if song else None
    if upload is None or upload.status != AssetUpload.Status.PROCESSING:
        # Deleted with its song, or finished by another delivery meanwhile: our copy is nobody's.
        logger.info("asset upload %s is no longer processing; its checked copy is dropped", upload_id)
        delete_objects_after_commit([key])
        return
    field = song.audio if upload.kind == AssetKind.AUDIO else song.artwork
    replaced_key = field.name
    field.name = key
    if checked.duration_seconds is not None:
        song.duration_seconds = round(checked.duration_seconds, 3)
    song.save()
    cache_after_commit(song)
    upload.key, upload.size, upload.content_type = key, size, checked.content_type
    upload.save(update_fields=["key", "size", "content_type", *upload.mark_finished(AssetUpload.Status.READY)])
    delete_objects_after_commit([upload.upload_key])
    if replaced_key:
        AssetUpload.objects.filter(key=replaced_key).update(status=AssetUpload.Status.REPLACED)
        delete_objects_after_commit([replaced_key])
    logger.info("asset upload %s is now the %s of song %s", upload_id, upload.kind, song.pk)
