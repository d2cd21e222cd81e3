"""Downloads: a batch is created by the request and run by a worker, track by track, into one zip.

The job (`download_run`, on the `network` queue) is idempotent and resumes: it works only on the
tracks that are not finished, so a job handed to a second worker (its first one died, or a
storage outage made it retry) never fetches again what is already in storage. Each track:

1. reused, when the same user fetched the same URL in a download that has not expired: its
   MP3 is copied in storage, nothing is fetched;
2. else fetched (downloads.fetch: the allow-list, the egress guard, pacing, the time and size
   limits) into a temporary folder: state `downloading`;
3. checked and made an MP3 (`converting`): an MP3 source is kept as it is (core.media checks it),
   anything else is encoded by the project's one encoder (core.mp3) and verified; then tagged
   with the title and artist the client sent;
4. stored under the user's prefix (`users/<id>/downloads/<download id>/`): `done`.

A track that fails is `failed` with its reason, a sentence about the track (downloads.fetch words
the fetch's; a conversion that fails is `NOT_CONVERTED`), and never stops the others; what the
tools said (yt-dlp, ffmpeg) goes to the log with the track's id. `DOWNLOADS_CONCURRENCY`
tracks run at once, in threads of the worker (the work waits on the network and on ffmpeg).
When every track is finished the zip is written to a temporary file (the MP3s stored, not
compressed again), uploaded, and the job ends `done`; a job without a single MP3 ends `failed`.
`downloads_expire` (beat, hourly) deletes the zips and MP3s after DOWNLOADS_RETENTION_HOURS.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from core import egress, media, mp3, staging, storage
from core.errors import LimitReached
from core.jobs import Deferred, JobStatus, is_missing_object, is_transient
from core.pacing import Pace, PaceTimeout
from core.tasks import delete_objects_after_commit, enqueue_after_commit
from downloads import fetch, naming, selectors
from downloads.models import Download, DownloadTrack, TrackState

logger = logging.getLogger(__name__)

ZIP_FILE_NAME = "soundcloud-tracks.zip"
UNEXPECTED = "An unexpected error stopped this track; it has been logged for the operators."
NOT_CONVERTED = "The track's audio could not be converted to an MP3; the server's log says why."


def allowed_hosts() -> egress.HostRules:
    """The hosts a track URL may name (DOWNLOADS_ALLOWED_HOSTS): checked by the request and again by the job."""
    return egress.HostRules(settings.DOWNLOADS_ALLOWED_HOSTS)


def soundcloud_pace() -> Pace:
    """SoundCloud's request budget, shared by every worker (core.pacing)."""
    return Pace("soundcloud", limit=settings.SOUNDCLOUD_REQUESTS_PER_10_MINUTES, period=600)


# Sent as the refused request's Retry-After: even a one-track download (a fetch, then an encode)
# takes tens of seconds, so asking sooner is almost always refused again, and waiting much longer
# leaves the client idle after a download has finished. A client that wants the very moment polls
# GET /api/downloads/ instead.
BUSY_RETRY_AFTER_SECONDS = 30


@transaction.atomic
def download_create(*, owner, tracks: list[dict]) -> Download:
    """A queued download of `tracks` (already validated); LimitReached when the owner has the most allowed."""
    # Counting the owner's active downloads and inserting one are a single step: the owner's row is
    # locked first, so a second request of the same user waits here until the first one has
    # committed, then counts its download (ten requests at once all counted 0 without it). NO KEY
    # UPDATE: other rows that point at the user (any app's inserts) do not wait for this one. On
    # SQLite FOR UPDATE is a no-op, but its transactions are IMMEDIATE (config/settings.py): BEGIN
    # takes the database's write lock, which serialises the same way.
    get_user_model().objects.select_for_update(no_key=True).only("pk").get(pk=owner.pk)
    active = selectors.active_count(owner=owner)
    if active >= settings.DOWNLOADS_MAX_ACTIVE_PER_USER:
        raise LimitReached(
            f"You have {active} downloads pending or running; try again when one has finished.",
            retry_after=BUSY_RETRY_AFTER_SECONDS,
        )
    download = Download(owner=owner, total=len(tracks))
    download.mark_queued()
    download.save()
    DownloadTrack.objects.bulk_create(
        DownloadTrack(
            download=download,
            position=position,
            source_id=track["id"],
            url=track["url"],
            title=track["title"],
            artist=track.get("artist", ""),
        )
        for position, track in enumerate(tracks)
    )
    from downloads.tasks import download_run

    enqueue_after_commit(download_run, str(download.pk))
    return download


# --- the job -----------------------------------------------------------------------------------


def download_run(*, download_id) -> None:
    """Fetch every unfinished track of an active download, then zip what was fetched."""
    download = Download.objects.filter(pk=download_id, status__in=JobStatus.active()).first()
    if download is None:
        return  # finished, expired or deleted: a duplicate or late task
    # Tracks a dead worker left half-done start again.
    download.tracks.filter(state__in=(TrackState.DOWNLOADING, TrackState.CONVERTING)).update(
        state=TrackState.QUEUED, started_at=None
    )
    queued = list(download.tracks.filter(state=TrackState.QUEUED).values_list("pk", flat=True))
    if queued:
        _run_tracks(download, queued)
    _finish(download_id)


def _run_tracks(download: Download, track_ids: list[int]) -> None:
    context = _Context.from_settings(owner_id=download.owner_id)
    workers = max(1, min(settings.DOWNLOADS_CONCURRENCY, len(track_ids)))
    deferred: list[float] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"download-{download.pk}") as pool:
        outcomes = list(pool.map(lambda pk: _in_thread(track_run, pk, context), track_ids))
    for track_id, outcome in zip(track_ids, outcomes, strict=True):
        if outcome is None:
            continue
        if isinstance(outcome, PaceTimeout):
            deferred.append(outcome.wait_seconds)
        elif is_transient(outcome) or is_missing_object(outcome):
            raise outcome  # storage: run_job retries the job (done tracks are kept) or ends it failed
        else:  # a bug must not take the other tracks with it
            logger.error("download track %s failed unexpectedly", track_id, exc_info=outcome)
            DownloadTrack.objects.filter(pk=track_id).exclude(state__in=TrackState.finished()).update(
                state=TrackState.FAILED, error=UNEXPECTED, finished_at=timezone.now()
            )
    if deferred:
        raise Deferred(max(deferred), "SoundCloud's request budget is used up")


def _in_thread(function, *args) -> Exception | None:
    """Run `function` in a pool thread with its own database connection; its exception is returned."""
    try:
        function(*args)
        return None
    except Exception as error:  # noqa: BLE001 - handed to the job's thread, which decides
        return error
    finally:
        connection.close()


class _Context:
    """What every track of a run needs: the owner, the source rules and limits, the budget."""

    def __init__(self, *, owner_id, source: fetch.Source, limits: fetch.Limits, pace: Pace) -> None:
        self.owner_id, self.source, self.limits, self.pace = owner_id, source, limits, pace

    @classmethod
    def from_settings(cls, *, owner_id) -> _Context:
        return cls(
            owner_id=owner_id,
            source=fetch.Source(
                allowed=allowed_hosts(),
                soundcloud_media=egress.HostRules(settings.DOWNLOADS_SOUNDCLOUD_MEDIA_HOSTS),
                client_id=settings.SOUNDCLOUD_CLIENT_ID,
                auth_token=settings.SOUNDCLOUD_AUTH_TOKEN,
            ),
            limits=fetch.Limits(
                timeout_seconds=settings.DOWNLOADS_TRACK_TIMEOUT_SECONDS,
                max_bytes=settings.DOWNLOADS_MAX_TRACK_MB * 1024 * 1024,
            ),
            pace=soundcloud_pace(),
        )


def track_run(track_id: int, context: _Context) -> None:
    """One track, from queued to done or failed (see the module docstring)."""
    close_old_connections()
    track = DownloadTrack.objects.select_related("download").filter(pk=track_id).first()
    if track is None or track.state != TrackState.QUEUED:
        return  # the download was deleted meanwhile, or another run took the track
    if _reuse(track):
        return
    _set_state(track, TrackState.DOWNLOADING, started_at=timezone.now())
    folder = Path(tempfile.mkdtemp(prefix="download-track-"))
    try:
        try:
            fetched = fetch.fetch(track.url, folder, source=context.source, limits=context.limits, pace=context.pace)
        except fetch.FetchFailed as failure:
            unexplained = str(failure) == fetch.GENERIC
            level = logging.WARNING if unexplained else logging.INFO
            logger.log(level, "download track %s not fetched: %s (%s)", track.pk, failure, failure.detail or "-")
            _set_state(track, TrackState.FAILED, error=str(failure), finished_at=timezone.now())
            return
        except PaceTimeout:
            _set_state(track, TrackState.QUEUED, started_at=None)
            raise
        _set_state(track, TrackState.CONVERTING)
        try:
            path, source_format = _to_mp3(fetched.path, folder, track=track, timeout=context.limits.timeout_seconds)
        except (mp3.TranscodeError, media.MediaRejected) as failure:
            logger.warning("download track %s not converted: %s", track.pk, failure)
            _set_state(track, TrackState.FAILED, error=NOT_CONVERTED, finished_at=timezone.now())
            return
        key = storage.new_object_key(context.owner_id, "downloads", str(track.download_id), extension=".mp3")
        storage.save_file(key, path)
        _set_state(
            track,
            TrackState.DONE,
            mp3_key=key,
            mp3_size=path.stat().st_size,
            source_format=source_format,
            finished_at=timezone.now(),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _to_mp3(source: Path, folder: Path, *, track: DownloadTrack, timeout: float) -> tuple[Path, str]:
    """The tagged MP3 of a fetched file, and the format it came in (an MP3 is not re-encoded)."""
    try:
        checked = media.check_audio(source)
    except media.MediaRejected:
        checked = None  # a container mutagen does not read (an HLS transport stream): ffmpeg decides
    if checked is not None and checked.format == "mp3":
        target, source_format = source, "mp3"
    else:
        target = folder / "converted.mp3"
        mp3.transcode_to_mp3(
            source,
            target,
            sample_rate=checked.sample_rate if checked else None,
            channels=checked.channels if checked else None,
            timeout_seconds=timeout,
        )
        expected = checked.duration_seconds if checked else mp3.mp3_duration(target)
        mp3.verify_mp3(target, expected_duration=expected, tolerance_seconds=max(0.1, expected * 0.002))
        source_format = checked.format if checked else source.suffix.lstrip(".")[:16] or "unknown"
    mp3.write_title_artist(target, title=track.title, artist=track.artist)
    media.check_audio(target)  # what is stored is an MP3 the project reads, tags and all
    return target, source_format


def _reuse(track: DownloadTrack) -> bool:
    """Copy the MP3 of the same user's recent fetch of this URL, if its download has not expired."""
    earlier = (
        DownloadTrack.objects.filter(
            download__owner_id=track.download.owner_id,
            download__status__in=(JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE),
            url=track.url,
            state=TrackState.DONE,
            finished_at__gte=timezone.now() - timedelta(hours=settings.DOWNLOADS_RETENTION_HOURS),
        )
        .exclude(mp3_key="")
        .exclude(download_id=track.download_id)
        .order_by("-finished_at")
        .first()
    )
    if earlier is None or not storage.object_exists(earlier.mp3_key):
        return False
    key = storage.new_object_key(track.download.owner_id, "downloads", str(track.download_id), extension=".mp3")
    storage.copy_object(earlier.mp3_key, key)
    _set_state(
        track,
        TrackState.DONE,
        mp3_key=key,
        mp3_size=earlier.mp3_size,
        source_format=earlier.source_format,
        reused=True,
        finished_at=timezone.now(),
    )
    return True


def _set_state(track: DownloadTrack, state: str, **fields) -> None:
    if state != TrackState.FAILED:
        fields.setdefault("error", "")
    for name, value in {"state": state, **fields}.items():
        setattr(track, name, value)
    DownloadTrack.objects.filter(pk=track.pk).update(state=state, **fields)


def _finish(download_id) -> None:
    """Zip the done tracks and end the job, or end it failed when no track could be fetched."""
    download = Download.objects.get(pk=download_id)
    done = list(download.tracks.filter(state=TrackState.DONE).order_by("position"))
    if not done:
        _end(download_id, JobStatus.FAILED, error=f"None of the {download.total} tracks could be downloaded.")
        return
    names = naming.unique_names([(t.artist, t.title, t.source_id) for t in done])
    key = storage.user_key(download.owner_id, "downloads", str(download.pk), ZIP_FILE_NAME)
    folder = Path(tempfile.mkdtemp(prefix="download-zip-"))
    try:
        archive = folder / ZIP_FILE_NAME
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
            for track, name in zip(done, names, strict=True):
                local = folder / "track.mp3"
                staging.fetch(track.mp3_key, local)
                zipped.write(local, arcname=name)
                local.unlink()
        storage.delete_objects([key])  # a run that died after its upload made it: replaced, not twinned
        storage.save_file(key, archive)
        size = archive.stat().st_size
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for track, name in zip(done, names, strict=True):
        DownloadTrack.objects.filter(pk=track.pk).update(file_name=name)
    _end(download_id, JobStatus.DONE, zip_key=key, zip_size=size)


@transaction.atomic
def _end(download_id, status: JobStatus, *, error: str = "", **fields) -> None:
    download = Download.objects.select_for_update().filter(pk=download_id, status__in=JobStatus.active()).first()
    if download is None:
        return
    update_fields = download.mark_finished(status, error=error)  # expires_at too (Download.mark_finished)
    for name, value in fields.items():
        setattr(download, name, value)
    download.save(update_fields=[*update_fields, *fields])


def download_fail(*, download_id, error: str) -> None:
    """The job's last word when it cannot go on (time limit, storage gone): failed, tracks kept as they are."""
    _end(download_id, JobStatus.FAILED, error=error)


# --- links and clean-up ----------------------------------------------------------------------------


def download_url(download: Download) -> str | None:
    """A presigned URL of the zip, valid DOWNLOADS_URL_TTL seconds; None when there is no zip."""
    if download.status != JobStatus.DONE or not download.zip_key:
        return None
    stamp = (download.finished_at or download.created_at).strftime("%Y%m%d-%H%M")
    return storage.presigned_download(
        download.zip_key, expires=settings.DOWNLOADS_URL_TTL, filename=f"soundcloud-tracks-{stamp}.zip"
    )


def downloads_expire(*, now=None) -> int:
    """Delete the zips and MP3s of downloads past their retention; done ones become `expired`."""
    now = now or timezone.now()
    expired = 0
    ids = Download.objects.filter(status__in=(JobStatus.DONE, JobStatus.FAILED), expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for download_id in list(ids):
        with transaction.atomic():
            download = (
                Download.objects.select_for_update()
                .filter(pk=download_id, status__in=(JobStatus.DONE, JobStatus.FAILED), expires_at__lte=now)
                .first()
            )
            if download is None:
                continue
            keys = [download.zip_key, *download.tracks.exclude(mp3_key="").values_list("mp3_key", flat=True)]
            download.tracks.exclude(mp3_key="").update(mp3_key="")
            if download.status == JobStatus.DONE:
                download.status = JobStatus.EXPIRED
            download.zip_key, download.expires_at = "", None
            download.save(update_fields=["status", "zip_key", "expires_at", "updated_at"])
            delete_objects_after_commit(keys)
            expired += 1
    return expired


def download_delete(*, download: Download) -> None:
    """Forget a download and delete its files (a running one is refused by the view)."""
    with transaction.atomic():
        keys = [download.zip_key, *download.tracks.exclude(mp3_key="").values_list("mp3_key", flat=True)]
        download.delete()
        delete_objects_after_commit(keys)
