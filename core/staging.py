"""Staged uploads: where client bytes land before they are checked, and how checked bytes move on.

A presigned PUT stays usable until it expires, however many times it is used, on S3 as on
local storage. So upload URLs only ever name a staging key, and completing an upload is:
copy the staged object to a local file, check that file, store those same bytes under a
fresh final key (which no upload URL can name), then delete the staged object. A PUT that
comes later (a replay, or after the row was deleted) lands in staging again, where nothing
serves it, and is removed by `staged_objects_sweep` once its URL can no longer be used.

Every staging key handed out is recorded (core.models.StagedObject) with the time its URL
expires; the sweep deletes whatever is at a recorded key a retention period after that, and
forgets the key. The retention (STORAGE_STAGING_RETENTION_HOURS) leaves time to complete an
upload whose URL has just expired.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from core import storage
from core.models import StagedObject

logger = logging.getLogger(__name__)
COPY_CHUNK = 1024 * 1024
SWEEP_BATCH = 500
NOT_UPLOADED = "No file was uploaded to the upload URL (or it has not arrived yet)."


class NotStaged(Exception):
    """Nothing was uploaded to the staging key (yet)."""

    def __init__(self, message: str = NOT_UPLOADED):
        super().__init__(message)


def staged_upload(*, user_id, content_type: str, max_bytes: int | None = None) -> tuple[str, storage.PresignedUpload]:
    """A fresh staging key for the user, and the presigned URL that PUTs to it."""
    key = storage.new_staging_key(user_id)
    upload = storage.presigned_upload(key, content_type, max_bytes=max_bytes)
    StagedObject.objects.create(key=key, expires_at=timezone.now() + timedelta(seconds=upload.expires_in))
    return key, upload


def stage_file(*, user_id, file) -> str:
    """Stage bytes the server received itself (a multipart upload); no URL can write to the key."""
    key = storage.new_staging_key(user_id)
    StagedObject.objects.create(key=key, expires_at=timezone.now())
    storage.save_exactly(key, file)
    return key


def fetch(key: str, local_path: str | os.PathLike[str], *, max_bytes: int | None = None) -> tuple[int, str]:
    """Copy the staged object to a local file; (size, sha256 hex). NotStaged when nothing is there.

    With `max_bytes`, copying stops once the object is known to be larger: the size returned is
    then over the limit (and the digest incomplete), which the caller refuses.
    """
    if not storage.object_exists(key):
        raise NotStaged()
    digest = hashlib.sha256()
    size = 0
    with default_storage.open(key, "rb") as remote, open(local_path, "wb") as out:
        while chunk := remote.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                break
            out.write(chunk)
    return size, digest.hexdigest()


def staged_objects_sweep(*, now=None) -> int:
    """Delete staged objects whose upload URL expired more than the retention ago; returns how many keys."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.STORAGE_STAGING_RETENTION_HOURS)
    swept = 0
    while True:
        batch = list(
            StagedObject.objects.filter(expires_at__lt=cutoff)
            .order_by("expires_at")
            .values_list("pk", "key")[:SWEEP_BATCH]
        )
        if not batch:
            break
        # Objects first, then the record: a crash in between leaves a record to sweep again.
        storage.delete_objects(key for _, key in batch)
        StagedObject.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        swept += len(batch)
    if swept:
        logger.info("swept %s staged upload keys", swept)
    return swept
