"""Writes to a DJ's track library: one function per use case."""

from __future__ import annotations

import io
import logging
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import media, mp3, staging, storage
from core.errors import Conflict, Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType
from core.tasks import delete_objects_after_commit, enqueue_after_commit
from tracks import files, tags
from tracks.models import Track, TrackDetails
from tracks.signals import track_ready

logger = logging.getLogger(__name__)
COPY_CHUNK = 1024 * 1024
# The statuses whose bytes count as in the library (see the track_sha256_unique_per_owner constraint).
KEPT_STATUSES = (Track.Status.PROCESSING, Track.Status.READY)


@dataclass(frozen=True)
class UploadSlot:
    track: Track
    upload: storage.PresignedUpload  # writes to track.upload_key


@dataclass(frozen=True)
class ConfirmResult:
    track_id: uuid.UUID
    file_name: str
    status: str
    error: str = ""
    duplicate_of: uuid.UUID | None = None


def max_upload_bytes() -> int:
    return settings.TRACKS_MAX_UPLOAD_MB * 1024 * 1024


def check_upload(*, file_name: str, content_type: str, size: int | None) -> None:
    """Refuse, before any bytes move, what can never become a track."""
    if not files.is_audio_file_name(file_name):
        raise UnsupportedMediaType(
            f"{file_name!r} is not an audio file name; use one of {', '.join(sorted(files.AUDIO_EXTENSIONS))}."
        )
    base_type = media.normalize_content_type(content_type)
    if base_type not in files.AUDIO_CONTENT_TYPES:
        raise UnsupportedMediaType(f"{file_name!r}: content type {base_type!r} is not audio.")
    if size is not None and size > max_upload_bytes():
        raise PayloadTooLarge(
            f"{file_name!r} is {size} bytes; the largest accepted is {settings.TRACKS_MAX_UPLOAD_MB} MB."
        )


def _track_for_upload(*, owner, file_name: str, upload_key: str) -> Track:
    """The owner's track for this file name, new or one whose upload never completed, now awaiting `upload_key`."""
    existing = Track.objects.select_for_update().filter(owner=owner, file_name=file_name).first()
    if existing is not None:
        if existing.status in (Track.Status.READY, Track.Status.PROCESSING):
            raise Conflict({"detail": f"{file_name!r} is already in your library.", "track_id": str(existing.pk)})
        existing.upload_key = upload_key
        existing.save(update_fields=["upload_key", *existing.mark_waiting(Track.Status.AWAITING_UPLOAD)])
        return existing
    artist, title = tags.split_file_name(file_name)
    track = Track(owner=owner, file_name=file_name, name=title, artist=artist, upload_key=upload_key)
    try:
        with transaction.atomic():
            track.save()
    except IntegrityError as exc:  # the same name created by a concurrent request
        raise Conflict(f"{file_name!r} is already being added to your library.") from exc
    return track


@transaction.atomic
def track_upload_urls_create(*, owner, uploads: list[dict]) -> list[UploadSlot]:
    """Tracks awaiting their bytes, each with a presigned URL to PUT the file to."""
    for upload in uploads:
        check_upload(file_name=upload["file_name"], content_type=upload["content_type"], size=upload.get("size"))
    slots = []
    for upload in uploads:
        # A fresh staging key for each URL: bytes PUT to an earlier one can no longer be confirmed.
        upload_key, presigned = staging.staged_upload(
            user_id=owner.pk, content_type=upload["content_type"], max_bytes=max_upload_bytes()
        )
        track = _track_for_upload(owner=owner, file_name=upload["file_name"], upload_key=upload_key)
        slots.append(UploadSlot(track=track, upload=presigned))
    return slots


NOT_UPLOADED = "No file has been uploaded to this track's upload URL yet."
GONE_FROM_STAGING = "The uploaded file is no longer in staging; upload it again."
EMPTY = "The file is empty."
# What a run of the job stores and a fresh upload of the same track therefore clears.
ATTEMPT_FIELDS = (
    "original_key",
    "mp3_key",
    "artwork_key",
    "sha256",
    "mp3_bitrate",
    "mp3_sample_rate",
    "mp3_channels",
    "duplicate_of",
)


def _too_large() -> str:
    return f"The file is larger than the {settings.TRACKS_MAX_UPLOAD_MB} MB accepted."


def track_uploads_confirm(*, owner, confirmations: list[dict]) -> list[ConfirmResult]:
    """Queue each uploaded file's processing (audio queue); only ids, keys and sizes are checked here.

    A file that is refused (never PUT, empty, too large) is reported in its own result and does
    not affect the others; the copy, hash, tags and transcode happen on a worker (`track_process`).
    """
    ids = [item["track_id"] for item in confirmations]
    tracks = Track.objects.filter(owner=owner, pk__in=ids).in_bulk()
    unknown = [str(track_id) for track_id in ids if track_id not in tracks]
    if unknown:
        raise NotFound(f"No track of yours has the id {', '.join(unknown)}.")
    for item in confirmations:
        track = tracks[item["track_id"]]
        if not track.upload_key or item["key"] != track.upload_key:
            raise Invalid({"files": [f"{item['key']!r} is not the upload key of track {track.pk}."]})
        if item["file_name"] != track.file_name:
            raise Invalid({"files": [f"Track {track.pk} was created for {track.file_name!r}."]})
    # Whether each file arrived and how large it is, before any row is locked: one listing of the
    # user's staging folder on S3 (a stat per file on local storage). No bytes move in the request.
    waiting = [track for track in tracks.values() if track.status == Track.Status.AWAITING_UPLOAD]
    staged = storage.object_sizes(track.upload_key for track in waiting)
    sizes = {track.pk: staged.get(track.upload_key) for track in waiting}
    return _track_uploads_queue(confirmations=confirmations, sizes=sizes)


@transaction.atomic
def _track_uploads_queue(*, confirmations: list[dict], sizes: dict) -> list[ConfirmResult]:
    from tracks.tasks import track_process

    # Locked in one order, so confirms of overlapping batches cannot deadlock; a track another
    # confirm queued meanwhile is no longer awaiting its upload and is answered as it is.
    rows = Track.objects.select_for_update().filter(pk__in=[item["track_id"] for item in confirmations])
    locked = {track.pk: track for track in rows.order_by("pk")}
    now = timezone.now()
    results, earlier_objects = [], []
    for item in confirmations:
        track = locked.get(item["track_id"])
        if track is None:
            raise NotFound(f"Track {item['track_id']} was deleted.")
        size = sizes.get(track.pk)
        if track.status != Track.Status.AWAITING_UPLOAD or track.upload_key != item["key"]:
            results.append(_result(track))  # confirmed before (or given a new URL since): nothing to do
        elif size is None:
            results.append(_result(track, NOT_UPLOADED))
        elif size == 0 or size > max_upload_bytes():
            error = EMPTY if size == 0 else _too_large()
            track.save(update_fields=track.mark_finished(Track.Status.FAILED, error=error, now=now))
            logger.info("track %s failed: %s", track.pk, error)
            results.append(_result(track))
        else:
            earlier_objects += _earlier_attempt_forgotten(track)
            track.save(update_fields=[*ATTEMPT_FIELDS, *track.mark_queued(now=now)])
            enqueue_after_commit(track_process, str(track.pk))
            results.append(_result(track))
    delete_objects_after_commit(earlier_objects)
    return results


def _earlier_attempt_forgotten(track: Track) -> list[str]:
    """Clear what an earlier, failed run stored for the track (ATTEMPT_FIELDS); the objects to delete.

    A track is uploaded again only after it failed (a ready or processing name is refused), and
    the new bytes replace everything its last run kept.
    """
    keys = [track.original_key, track.mp3_key, track.artwork_key]
    track.original_key = track.mp3_key = track.artwork_key = track.sha256 = ""
    track.mp3_bitrate = track.mp3_sample_rate = track.mp3_channels = track.duplicate_of = None
    return keys


def track_create_from_file(*, owner, uploaded, name: str = "", artist: str = "") -> ConfirmResult:
    """The direct upload: its header checked where Django received it, staged once, then a confirm's job.

    Nothing heavy happens here: the copy, hash, tags and transcode are the worker's, as for a
    confirmed upload. A `name` or `artist` given here wins over the file's tags (_track_accept_once).
    """
    check_upload(file_name=uploaded.name, content_type=uploaded.content_type or "", size=uploaded.size)
    try:
        media.check_uploaded_audio(uploaded)
    except media.MediaRejected as exc:
        raise UnsupportedMediaType(f"{uploaded.name!r}: {exc}") from exc
    from tracks.tasks import track_process

    with transaction.atomic():
        # The row first: a name already in the library is refused before any bytes are stored.
        track = _track_for_upload(owner=owner, file_name=uploaded.name, upload_key="")
        track.name, track.artist = name or track.name, artist or track.artist
        track.upload_key = staging.stage_file(user_id=owner.pk, file=uploaded)
        delete_objects_after_commit(_earlier_attempt_forgotten(track))
        track.save(update_fields=["upload_key", "name", "artist", *ATTEMPT_FIELDS, *track.mark_queued()])
        enqueue_after_commit(track_process, str(track.pk))
    return _result(track)


def _result(track: Track, error: str = "") -> ConfirmResult:
    return ConfirmResult(
        track_id=track.pk,
        file_name=track.file_name,
        status=track.status,
        error=error or track.error,
        duplicate_of=track.duplicate_of_id,
    )


def track_process(*, track_id) -> None:
    """A confirmed upload's job: the staged file accepted, then, in the next run, its MP3 made."""
    track = Track.objects.filter(pk=track_id, status=Track.Status.PROCESSING).first()
    if track is None:
        logger.info("track %s is not being processed; nothing to do", track_id)
        return
    if track.original_key:
        track_transcode(track_id=track.pk)
    else:
        _track_accept_upload(track)


def track_process_fail(*, track_id, error: str) -> None:
    """End a track's job as failed, saying why; an original already stored is kept."""
    _track_fail(track_id=track_id, error=error)


def _track_accept_upload(track: Track) -> None:
    """Copy the staged object once, check it, read its tags and art, and make it ready or queue its MP3.

    The hash, the tags and the stored original all come from that one copy, so a PUT racing the
    job changes nothing that the track describes or serves.
    """
    with tempfile.TemporaryDirectory(prefix="track-") as folder:
        local = Path(folder) / f"original{files.extension(track.file_name)}"
        try:
            size, digest = staging.fetch(track.upload_key, local, max_bytes=max_upload_bytes())
        except staging.NotStaged:
            _track_fail(track_id=track.pk, error=GONE_FROM_STAGING)
            return
        if size == 0 or size > max_upload_bytes():
            _track_fail(track_id=track.pk, error=EMPTY if size == 0 else _too_large())
            return
        duplicate = _kept_twin(track, digest)
        if duplicate is not None:
            _track_fail_duplicate(track_id=track.pk, duplicate=duplicate, size=size, digest=digest)
            return
        try:
            info = tags.read_audio_file(local)
        except tags.NotAudio as exc:
            _track_fail(track_id=track.pk, error=str(exc))
            return
        attempt = uuid.uuid4().hex[:12]
        stored = _StoredCopies(
            original_key=files.original_key(track.owner_id, track.pk, attempt, info.properties.format),
            artwork_key=_store_cover(track, info.cover, attempt),
        )
        storage.save_file(stored.original_key, local)
    _track_accept(track_id=track.pk, info=info, size=size, digest=digest, stored=stored)


@dataclass(frozen=True)
class _StoredCopies:
    """The checked objects one run stored: the row takes them, or they are deleted."""

    original_key: str
    artwork_key: str

    def keys(self) -> list[str]:
        return [key for key in (self.original_key, self.artwork_key) if key]


def _kept_twin(track: Track, digest: str) -> Track | None:
    """Another track of the same owner whose bytes are these (one being transcoded or ready)."""
    twins = Track.objects.filter(owner_id=track.owner_id, sha256=digest, status__in=KEPT_STATUSES)
    return twins.exclude(pk=track.pk).first()


def _store_cover(track: Track, cover: tags.CoverArt | None, attempt: str) -> str:
    """Store the embedded cover if it decodes as an image; its type is what the decoder found."""
    if cover is None:
        return ""
    try:
        checked = media.check_image(io.BytesIO(cover.data))
    except media.MediaRejected:
        logger.info("track %s: the embedded cover is not an image we accept; no artwork", track.pk)
        return ""
    key = files.artwork_key(track.owner_id, track.pk, attempt, checked.content_type)
    storage.save_bytes(key, cover.data)
    return key


@transaction.atomic
def _track_fail(*, track_id, error: str) -> None:
    track = Track.objects.select_for_update().filter(pk=track_id).first()
    if track is not None and track.status in (Track.Status.AWAITING_UPLOAD, Track.Status.PROCESSING):
        track.save(update_fields=track.mark_finished(Track.Status.FAILED, error=error))
        logger.info("track %s failed: %s", track_id, error)


def duplicate_error(duplicate: Track) -> str:
    return (
        f"These bytes are already in your library as {duplicate.file_name or duplicate.name!r} "
        f"(track {duplicate.pk}); this upload was not kept."
    )


@transaction.atomic
def _track_fail_duplicate(
    *, track_id, duplicate: Track, size: int, digest: str, stored: _StoredCopies | None = None
) -> None:
    """The bytes are already the library's as `duplicate`: the track ends failed pointing at it, nothing kept.

    The track that has the bytes keeps them, untouched; this one's staged object and any copy
    this run stored are deleted.
    """
    track = Track.objects.select_for_update().filter(pk=track_id).first()
    copies = stored.keys() if stored else []
    if track is None or track.status != Track.Status.PROCESSING:
        delete_objects_after_commit(copies)  # deleted or finished meanwhile
        return
    track.duplicate_of, track.size, track.sha256 = duplicate, size, digest
    fields = track.mark_finished(Track.Status.FAILED, error=duplicate_error(duplicate))
    track.save(update_fields=["duplicate_of", "size", "sha256", *fields])
    delete_objects_after_commit([track.upload_key, *copies])
    logger.info("track %s failed: same bytes as track %s", track_id, duplicate.pk)


def _announce_ready_after_commit(track_id) -> None:
    transaction.on_commit(lambda: track_ready.send(sender=Track, track_id=track_id))


_YEAR = re.compile(r"[0-9]{4}")


def _year(date: str) -> int | None:
    """The year a date tag starts with, in ASCII digits ("¹⁹⁹⁹" is not one), when it is plausible."""
    match = _YEAR.match(date)
    return int(match.group()) if match and 1000 <= int(match.group()) <= 2999 else None


def _track_accept(*, track_id, info: tags.AudioFileInfo, size: int, digest: str, stored: _StoredCopies) -> None:
    try:
        _track_accept_once(track_id=track_id, info=info, size=size, digest=digest, stored=stored)
    except IntegrityError:
        # Same bytes kept by another track since this run looked: that one keeps them.
        track = Track.objects.filter(pk=track_id).first()
        duplicate = _kept_twin(track, digest) if track is not None else None
        if duplicate is None:
            storage.delete_objects(stored.keys())  # no row will ever point at them
            raise
        _track_fail_duplicate(track_id=track_id, duplicate=duplicate, size=size, digest=digest, stored=stored)


@transaction.atomic
def _track_accept_once(*, track_id, info: tags.AudioFileInfo, size: int, digest: str, stored: _StoredCopies) -> None:
    from tracks.tasks import track_process

    track = Track.objects.select_for_update().filter(pk=track_id).first()
    if track is None or track.status != Track.Status.PROCESSING or track.original_key:
        # Deleted, or accepted by another delivery of the job meanwhile: that one's copies are the track's.
        delete_objects_after_commit(stored.keys())
        logger.info("track %s was deleted or accepted meanwhile; this run's copies are dropped", track_id)
        return
    found, props = info.tags, info.properties
    named_artist, named_title = tags.split_file_name(track.file_name)
    text = _fitted(
        Track,
        {
            # Tags fill in what the file name said; a name the user gave (the direct upload's
            # fields, or a rename while the job ran) is kept.
            "name": found.title if found.title and track.name == named_title else track.name,
            "artist": found.artist if found.artist and track.artist == named_artist else track.artist,
            "album": found.album,
            "genre": found.genre,
            "musical_key": found.initial_key,
        },
    )
    for name, value in text.items():
        setattr(track, name, value)
    track.year, track.bpm = _year(found.date), found.bpm
    track.duration_seconds, track.bitrate = props.duration_seconds, props.bitrate_kbps
    track.sample_rate, track.channels, track.format = props.sample_rate, props.channels, props.format
    track.size, track.sha256, track.error = size, digest, ""
    track.original_key, track.artwork_key = stored.original_key, stored.artwork_key
    playable = props.format in files.PLAYABLE_FORMATS
    if playable:  # served as it is: the MP3 is the original
        track.mp3_key = track.original_key
        track.mp3_bitrate, track.mp3_sample_rate = props.bitrate_kbps, props.sample_rate
        track.mp3_channels = props.channels
        track.mark_finished(Track.Status.READY)
    else:
        # The transcode is the job's next run: a fresh start, with its own time limit and attempts.
        track.mark_queued()
    track.save()  # IntegrityError when another track has just kept the same bytes
    delete_objects_after_commit([track.upload_key])
    TrackDetails.objects.update_or_create(track=track, defaults=_details_fields(found))
    if playable:
        _announce_ready_after_commit(track.pk)
    else:
        enqueue_after_commit(track_process, str(track.pk))


def _details_fields(found: tags.TagSet) -> dict:
    return _fitted(TrackDetails, {item.name: getattr(found, item.name) for item in fields(tags.TagSet)})


def _fitted(model, values: dict) -> dict:
    """Text values cut to the length of the model's field: tags can be longer than any column."""
    fitted = dict(values)
    for name, value in values.items():
        max_length = model._meta.get_field(name).max_length
        if max_length and isinstance(value, str):
            fitted[name] = value[:max_length]
    return fitted


def tag_set_of(details: TrackDetails | None) -> tags.TagSet:
    if details is None:
        return tags.TagSet()
    return tags.TagSet(**{item.name: getattr(details, item.name) for item in fields(tags.TagSet)})


@transaction.atomic
def track_update(*, track_id, name: str | None = None, artist: str | None = None) -> Track:
    """Rename a track: its name and artist are the only fields a DJ edits (None leaves one as it is)."""
    track = Track.objects.select_for_update().get(pk=track_id)
    if name is not None:
        track.name = name
    if artist is not None:
        track.artist = artist
    track.save(update_fields=["name", "artist", "updated_at"])
    return track


@transaction.atomic
def track_item_create(*, owner, name: str, artist: str = "") -> Track:
    """A placeholder track with a name and no file yet (WaveLoft's track items)."""
    return Track.objects.create(owner=owner, name=name, artist=artist)


@transaction.atomic
def track_delete(*, track_id) -> None:
    """Remove the track and, once that is committed, every object it owns."""
    track = Track.objects.select_for_update().get(pk=track_id)
    keys = [track.upload_key, track.original_key, track.mp3_key, track.artwork_key]
    track.delete()
    delete_objects_after_commit(keys)
    logger.info("track %s deleted", track_id)


def track_transcode(*, track_id) -> None:
    """Make the 320 kbps MP3 of a processing track; a bad file ends `failed`, the original kept."""
    track = Track.objects.filter(pk=track_id, status=Track.Status.PROCESSING).select_related("details").first()
    if track is None:
        logger.info("track %s is not waiting for a transcode; nothing to do", track_id)
        return
    attempt = uuid.uuid4().hex[:12]
    with tempfile.TemporaryDirectory(prefix="transcode-") as folder:
        source = Path(folder) / f"original{files.extension(track.file_name)}"
        target = Path(folder) / "track.mp3"
        with default_storage.open(track.original_key, "rb") as remote, open(source, "wb") as out:
            shutil.copyfileobj(remote, out, COPY_CHUNK)
        sample_rate = mp3.target_sample_rate(track.sample_rate)
        try:
            mp3.transcode_to_mp3(
                source,
                target,
                sample_rate=sample_rate,
                channels=track.channels,
                timeout_seconds=settings.TRACKS_TRANSCODE_TIMEOUT_SECONDS,
            )
            tags.write_id3_tags(target, tag_set_of(getattr(track, "details", None)), _cover_of(track))
            measured = mp3.verify_mp3(
                target, expected_duration=track.duration_seconds or 0.0, expected_sample_rate=sample_rate
            )
        except mp3.TranscodeError as exc:
            _track_fail(track_id=track.pk, error=str(exc))
            return
        key = files.mp3_key(track.owner_id, track.pk, attempt)
        storage.save_file(key, target)
    _track_transcoded(track_id=track.pk, key=key, measured=measured)


def _cover_of(track: Track) -> tags.CoverArt | None:
    if not track.artwork_key or not storage.object_exists(track.artwork_key):
        return None
    with default_storage.open(track.artwork_key, "rb") as handle:
        data = handle.read()
    return tags.CoverArt(data=data, mime=media.served_type(track.artwork_key).content_type)


@transaction.atomic
def _track_transcoded(*, track_id, key: str, measured: mp3.Mp3Properties) -> None:
    """The MP3 at `key` is the track's, described by what its check measured; the track is ready."""
    track = Track.objects.select_for_update().filter(pk=track_id).first()
    if track is None or track.status != Track.Status.PROCESSING:
        # Deleted meanwhile, or another delivery of the task finished first: drop our copy.
        delete_objects_after_commit([key])
        return
    track.mp3_key = key
    track.mp3_bitrate, track.mp3_sample_rate, track.mp3_channels = (
        measured.bitrate_kbps,
        measured.sample_rate,
        measured.channels,
    )
    track.save(
        update_fields=[
            "mp3_key",
            "mp3_bitrate",
            "mp3_sample_rate",
            "mp3_channels",
            *track.mark_finished(Track.Status.READY),
        ]
    )
    _announce_ready_after_commit(track.pk)
    logger.info("track %s transcoded to %s", track_id, key)
