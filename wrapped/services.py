"""The two Spotify jobs for one account: the monthly Wrapped and the weekly release radar.

**Runs are rows.** Each month's Wrapped of a user is a `WrappedMonth` and each week's release
radar a `ReleaseRadarWeek`, both `core.jobs.Job` rows: `wrapped_month_queue` /
`release_radar_week_queue` make the row `pending` (a new one, or a finished one reset for a
fresh run; one that is already pending or running is left to its worker, so queuing twice runs
once: the unique (user, month_key) and (user, week_start) keep one row per run) and send its id
to the task, which runs `wrapped_month_run` / `release_radar_week_run` through
`core.jobs.run_job`. The beat fan-outs (`wrapped_months_queue`, `release_radar_weeks_queue`) and
the operators' commands queue the same way. A run ends `done` with what Spotify said, or
`failed` with a sentence its user can act on: the account was unlinked or left the job, Spotify
refused the token (the account is also marked `needs_reauth`), refused a request, or said the
app's quota is used up; or the server has no Spotify app settings (`client.NOT_CONFIGURED`, before
any request). Spotify out of reach or failing (`client.SpotifyUnavailable`) is retried
by the task with the shared backoff; a long 429 (`core.jobs.Deferred`) sends it again later.

**Monthly Wrapped**: what a user listened to most, saved once a month, with a playlist of it.
The beat entry on the 1st of each month queues one run per enrolled account for the month that
just ended, and `manage.py run_wrapped` runs the same for operators. For each time range
(`short_term`, `medium_term`, `long_term`) it reads the top 50 tracks and the top 50 artists
(one request each: 50 is the endpoint's largest page), counts genres over those artists, and
saves them on the month's row. Artists without `genres` (Spotify may leave the field out)
are not counted; when none of a range's artists has any, its genres are "unavailable" rather
than an empty count. The playlist `Wrapped YYYY-MM` (private: `public: false`, which Spotify
treats as "not on the profile", not as access control) holds the short-term top tracks. A
re-run updates the same row and replaces the items of the same playlist; a playlist the user
deleted is made again. An account within 14 days of its refresh token's six months is marked
`needs_reauth` (the token still works this time).

**Weekly release radar** (beat on Sundays, `manage.py run_release_radar`): every followed artist
(cursor pages of 50), their albums, singles and compilations (pages of 10 in development mode,
50 with extended quota), those released on a day in the 7 days before the run (year- and
month-precision dates are skipped: they cannot be placed in a week), each album once; their
tracks (one album per request in development mode, 20 albums per request with extended quota),
each track once; then the user's release radar playlist gets exactly those tracks (replaced,
then added in chunks of 100), made again when missing or deleted, its id saved. The week's row
keeps the tracks.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta
from typing import TypedDict, Unpack

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from spotipy.exceptions import SpotifyException

from core.errors import Conflict
from core.jobs import JobStatus
from core.tasks import enqueue_after_commit
from wrapped import client as spotify
from wrapped import linking, selectors
from wrapped.models import (
    ReleaseRadarWeek,
    SpotifyAccount,
    TimeRange,
    WrappedMonth,
    genres_by_range,
    ids_by_range,
)

logger = logging.getLogger(__name__)

TOP_LIMIT = 50  # the top-items endpoints' largest page
PLAYLIST_WRITE_LIMIT = 100  # uris per playlist write
REAUTH_NOTICE = timedelta(days=14)
GENRES_UNAVAILABLE = "unavailable"
NOT_LINKED = "No Spotify account is linked. Open GET /api/wrapped/spotify/authorize/ and follow its URL."
UNLINKED = "Spotify was unlinked before this run; link it again to have the next one."
WRAPPED_LEFT = "This account left the monthly Wrapped (or its jobs were switched off) before this run."
RADAR_LEFT = "This account left the weekly release radar (or its jobs were switched off) before this run."
AUTHORISATION_ENDED = "Spotify's authorisation of this account ended on {date}; link Spotify again."


# --- the account -----------------------------------------------------------------------------------


class AccountFields(TypedDict, total=False):
    """The enrollment flags a user changes; a change names only those it changes."""

    active: bool
    active_wrapped: bool
    active_release_radar: bool


def account_update(*, user, refresh_token: str | None = None, **changes: Unpack[AccountFields]) -> SpotifyAccount:
    """Link (or re-link) the user's Spotify with `refresh_token` when given, then change the enrollment flags."""
    if refresh_token:
        linking.link_with_refresh_token(user=user, refresh_token=refresh_token)
    with transaction.atomic():
        account = SpotifyAccount.objects.select_for_update().filter(user=user).first()
        if account is None:
            raise Conflict({"detail": NOT_LINKED})
        if changes:
            for name, value in changes.items():
                setattr(account, name, value)
            account.save(update_fields=[*changes, "updated_at"])
    return account


# --- queuing runs ----------------------------------------------------------------------------------


def wrapped_month_queue(*, account: SpotifyAccount, month_key: str, send: bool = True) -> tuple[WrappedMonth, bool]:
    """The account's Wrapped of `month_key` made pending and sent to a worker: (row, whether it was queued now).

    A row already pending or running is left to its worker (False). `send=False`: the caller runs
    the task itself (an operator's command); a row it never runs is sent again by the stalled sweep.
    """
    return _queue(
        WrappedMonth,
        "wrapped.tasks.wrapped_month_run",
        key={"user_id": account.user_id, "month_key": month_key},
        fresh={"top_track_ids": ids_by_range(), "top_artist_ids": ids_by_range(), "top_genres": genres_by_range()},
        send=send,
    )


def release_radar_week_queue(
    *, account: SpotifyAccount, run_date: date, send: bool = True
) -> tuple[ReleaseRadarWeek, bool]:
    """The account's release radar of the 7 days before `run_date`, pending and sent: as wrapped_month_queue."""
    start, _ = release_window(run_date)
    return _queue(
        ReleaseRadarWeek,
        "wrapped.tasks.release_radar_run",
        key={"user_id": account.user_id, "week_start": start},
        fresh={"track_ids": []},
        send=send,
    )


def _queue(model: type[models.Model], task_path: str, *, key: dict, fresh: dict, send: bool) -> tuple:
    with transaction.atomic():
        # Locked, so two fan-outs at once queue a row once; get_or_create takes a row made meanwhile.
        row, created = model.objects.select_for_update().get_or_create(**key, defaults={"queued_at": timezone.now()})
        if not created:
            if row.status in JobStatus.active():
                return row, False
            for name, value in fresh.items():  # the last run's data goes: a month shows data only once done
                setattr(row, name, value)
            row.save(update_fields=[*fresh, *row.mark_queued()])
        if send:
            enqueue_after_commit(import_string(task_path), str(row.pk))
    return row, True


def wrapped_months_queue(*, month_key: str) -> int:
    """Every enrolled account's Wrapped of `month_key` queued (the monthly fan-out); how many were queued now."""
    accounts = selectors.wrapped_enrolled().only("pk", "user_id")
    return sum(wrapped_month_queue(account=account, month_key=month_key)[1] for account in accounts)


def release_radar_weeks_queue(*, run_date: date) -> int:
    """Every enrolled account's release radar of the week before `run_date` queued; how many were queued now."""
    accounts = selectors.release_radar_enrolled().only("pk", "user_id")
    return sum(release_radar_week_queue(account=account, run_date=run_date)[1] for account in accounts)


# --- ending runs -----------------------------------------------------------------------------------


@transaction.atomic
def _fail(model: type[models.Model], pk, error: str) -> None:
    row = model.objects.select_for_update().filter(pk=pk, status__in=JobStatus.active()).first()
    if row is not None:
        row.save(update_fields=row.mark_finished(JobStatus.FAILED, error=error))
        logger.info("%s %s failed: %s", model._meta.verbose_name, pk, error)


def wrapped_month_fail(*, month_id, error: str) -> None:
    """End a month's run that is queued or running as `failed`, saying why."""
    _fail(WrappedMonth, month_id, error)


def release_radar_week_fail(*, week_id, error: str) -> None:
    """End a week's run that is queued or running as `failed`, saying why."""
    _fail(ReleaseRadarWeek, week_id, error)


def _refused(error: SpotifyException) -> str:
    """A Spotify refusal (4xx) in words: spotipy's message is the URL, a newline, then Spotify's own."""
    said = str(error.msg).rsplit("\n", 1)[-1].strip() or "no reason given"
    return f"Spotify refused a request of this run (HTTP {error.http_status}: {said})."


def _account_of(row, *, enrolled: str, left: str, now) -> SpotifyAccount | str:
    """The row's user's account, or why the run cannot go on."""
    if not spotify.is_configured():  # no retry would help: the run fails saying so, and asks nothing
        return spotify.NOT_CONFIGURED
    account = SpotifyAccount.objects.filter(user_id=row.user_id).first()
    if account is None:
        return UNLINKED
    if not (account.active and getattr(account, enrolled)):
        return left
    if account.needs_reauth and now >= account.reauth_due_at:
        return AUTHORISATION_ENDED.format(date=account.reauth_due_at.date().isoformat())
    return account


def _spotify_work(session: spotify.SpotifyClient, account: SpotifyAccount, work) -> tuple[object, str]:
    """`work()`'s result, or why Spotify stopped it (a revoked token also marks the account)."""
    try:
        return work(), ""
    except spotify.Revoked as revoked:
        _mark_reauth(account)
        return None, str(revoked)
    except spotify.SpotifyError as error:
        return None, str(error)
    except SpotifyException as error:  # a 4xx: 429s are waited out or deferred, 5xx raise SpotifyUnavailable
        return None, _refused(error)
    finally:
        session.close()


def previous_month_key(today: date) -> str:
    """The month that ended before `today`'s: what the run on the 1st saves."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def client_for(account: SpotifyAccount) -> spotify.SpotifyClient:
    def save_rotated(token: str) -> None:
        account.set_refresh_token(token)
        SpotifyAccount.objects.filter(pk=account.pk).update(
            refresh_token_encrypted=account.refresh_token_encrypted, updated_at=timezone.now()
        )

    return spotify.SpotifyClient(
        account_id=account.pk, refresh_token=account.refresh_token(), on_new_refresh_token=save_rotated
    )


def count_genres(artists: list[dict]) -> dict[str, int] | str:
    """{genre: number of artists}; "unavailable" when no artist has genres.

    Written most common first, but a JSON object has no order (PostgreSQL's jsonb keeps none).
    """
    known = [artist["genres"] for artist in artists if artist.get("genres")]
    if not known:
        return GENRES_UNAVAILABLE
    counts = Counter(genre for genres in known for genre in genres)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _mark_reauth(account: SpotifyAccount) -> None:
    SpotifyAccount.objects.filter(pk=account.pk).update(needs_reauth=True, updated_at=timezone.now())


def wrapped_month_run(*, month_id, now=None) -> None:
    """Run a queued month: read the tops, fill its playlist, and end the row `done` (or `failed`, saying why)."""
    now = now or timezone.now()
    month = WrappedMonth.objects.filter(pk=month_id, status__in=JobStatus.active()).first()
    if month is None:
        logger.info("wrapped month %s is not waiting to run; nothing to do", month_id)
        return
    account = _account_of(month, enrolled="active_wrapped", left=WRAPPED_LEFT, now=now)
    if isinstance(account, str):
        _fail(WrappedMonth, month_id, account)
        return
    session = client_for(account)

    def work() -> tuple[dict, str]:
        tops = _read_tops(session)
        return tops, _month_playlist(session, month, tops["tracks"][TimeRange.SHORT_TERM])

    done, refused = _spotify_work(session, account, work)
    if refused:
        _fail(WrappedMonth, month_id, refused)
        return
    tops, playlist_id = done
    with transaction.atomic():
        locked = WrappedMonth.objects.select_for_update().filter(pk=month_id, status__in=JobStatus.active()).first()
        if locked is None:
            return  # ended meanwhile (given up by the sweep, or deleted with its user)
        locked.top_track_ids = tops["tracks"]
        locked.top_artist_ids = {r: [a["id"] for a in artists] for r, artists in tops["artists"].items()}
        locked.top_genres = {r: count_genres(artists) for r, artists in tops["artists"].items()}
        locked.playlist_id, locked.spotify_requests = playlist_id, session.requests
        data = ["top_track_ids", "top_artist_ids", "top_genres", "playlist_id", "spotify_requests"]
        locked.save(update_fields=[*data, *locked.mark_finished(JobStatus.DONE)])
        if now + REAUTH_NOTICE >= account.reauth_due_at:
            _mark_reauth(account)
    logger.info("wrapped %s for account %s: %d requests", month.month_key, account.pk, session.requests)


def _read_tops(session: spotify.SpotifyClient) -> dict:
    tracks, artists = {}, {}
    for time_range in TimeRange.values:
        answer = session.call("current_user_top_tracks", limit=TOP_LIMIT, time_range=time_range)
        tracks[time_range] = [item["id"] for item in answer.get("items", []) if item and item.get("id")]
        answer = session.call("current_user_top_artists", limit=TOP_LIMIT, time_range=time_range)
        artists[time_range] = [item for item in answer.get("items", []) if item and item.get("id")]
    return {"tracks": tracks, "artists": artists}


def _month_playlist(session: spotify.SpotifyClient, month: WrappedMonth, track_ids) -> str:
    """The month's playlist id: the saved one with its items replaced, or a new one."""
    month_key = month.month_key
    uris = [f"spotify:track:{track_id}" for track_id in track_ids][:PLAYLIST_WRITE_LIMIT]
    if month.playlist_id:
        try:
            session.call("playlist_replace_items", month.playlist_id, uris)
            return month.playlist_id
        except SpotifyException as error:
            if error.http_status != 404:
                raise
    created = session.call(
        "current_user_playlist_create",
        f"Wrapped {month_key}",
        public=False,
        description=f"Your most played tracks of the four weeks before {month_key} ended.",
    )
    session.call("playlist_replace_items", created["id"], uris)
    return created["id"]


# --- the weekly release radar ----------------------------------------------------------------------

RELEASE_GROUPS = "album,single,compilation"
RELEASE_RADAR_NAME = "Release Radar"
SEVERAL_ALBUMS = 20  # GET /albums?ids= takes at most 20 (extended quota only)


def album_page_limit() -> int:
    """Artist albums per page: 10 for development-mode apps since February 2026, 50 with extended quota."""
    return 50 if settings.SPOTIFY_QUOTA_MODE == "extended" else 10


def release_window(run_date: date) -> tuple[date, date]:
    """The 7 days before the run: [run_date - 7, run_date)."""
    return run_date - timedelta(days=7), run_date


def is_new_release(album: dict, start: date, end: date) -> bool:
    """Released on a day within [start, end); a year- or month-precision date says too little."""
    if album.get("release_date_precision") != "day":
        return False
    try:
        released = date.fromisoformat(album.get("release_date") or "")
    except ValueError:
        return False
    return start <= released < end


def release_radar_week_run(*, week_id, now=None) -> None:
    """Run a queued week: the new releases into the user's playlist; the row ends `done` (or `failed`, saying why)."""
    week = ReleaseRadarWeek.objects.filter(pk=week_id, status__in=JobStatus.active()).first()
    if week is None:
        logger.info("release radar week %s is not waiting to run; nothing to do", week_id)
        return
    account = _account_of(week, enrolled="active_release_radar", left=RADAR_LEFT, now=now or timezone.now())
    if isinstance(account, str):
        _fail(ReleaseRadarWeek, week_id, account)
        return
    session = client_for(account)
    start, end = release_window(week.run_date)

    def work() -> tuple[list[str], str]:
        track_ids = _album_track_ids(session, _new_albums(session, start, end))
        return track_ids, _release_radar_playlist(session, account, track_ids)

    done, refused = _spotify_work(session, account, work)
    if refused:
        _fail(ReleaseRadarWeek, week_id, refused)
        return
    track_ids, playlist_id = done
    with transaction.atomic():
        locked = ReleaseRadarWeek.objects.select_for_update().filter(pk=week_id, status__in=JobStatus.active()).first()
        if locked is None:
            return  # ended meanwhile
        SpotifyAccount.objects.filter(pk=account.pk).update(release_radar_playlist_id=playlist_id)
        locked.track_ids, locked.playlist_id, locked.spotify_requests = track_ids, playlist_id, session.requests
        data = ["track_ids", "playlist_id", "spotify_requests"]
        locked.save(update_fields=[*data, *locked.mark_finished(JobStatus.DONE)])
    logger.info(
        "release radar %s for account %s: %d tracks, %d requests", start, account.pk, len(track_ids), session.requests
    )


def _new_albums(session: spotify.SpotifyClient, start: date, end: date) -> list[dict]:
    """Albums, singles and compilations of every followed artist released in the window, each once."""
    followed = session.call("current_user_followed_artists", limit=50)
    albums: dict[str, dict] = {}
    for artist in session.pages(followed, key="artists"):
        first = session.call("artist_albums", artist["id"], include_groups=RELEASE_GROUPS, limit=album_page_limit())
        for album in session.pages(first):
            if album.get("id") and is_new_release(album, start, end):
                albums.setdefault(album["id"], album)
    return list(albums.values())


def _album_track_ids(session: spotify.SpotifyClient, albums: list[dict]) -> list[str]:
    """The albums' track ids in order, without repeats: one album per request in development mode."""
    ids: list[str] = []
    if settings.SPOTIFY_QUOTA_MODE == "extended":
        pages = []
        for i in range(0, len(albums), SEVERAL_ALBUMS):
            answer = session.call("albums", [a["id"] for a in albums[i : i + SEVERAL_ALBUMS]])
            pages += [album["tracks"] for album in answer.get("albums") or [] if album]
    else:
        pages = [session.call("album_tracks", album["id"], limit=50) for album in albums]
    for page in pages:
        ids += [track["id"] for track in session.pages(page) if track and track.get("id")]
    return list(dict.fromkeys(ids))


def _release_radar_playlist(session: spotify.SpotifyClient, account: SpotifyAccount, track_ids: list[str]) -> str:
    """The account's release radar playlist with exactly these tracks, in chunks of 100."""
    uris = [f"spotify:track:{track_id}" for track_id in track_ids]
    playlist_id = account.release_radar_playlist_id
    if playlist_id:
        try:
            _write_items(session, playlist_id, uris)
            return playlist_id
        except SpotifyException as error:
            if error.http_status != 404:
                raise
    created = session.call(
        "current_user_playlist_create",
        RELEASE_RADAR_NAME,
        public=False,
        description="New releases of the artists you follow, every Sunday.",
    )
    _write_items(session, created["id"], uris)
    return created["id"]


def _write_items(session: spotify.SpotifyClient, playlist_id: str, uris: list[str]) -> None:
    session.call("playlist_replace_items", playlist_id, uris[:PLAYLIST_WRITE_LIMIT])
    for i in range(PLAYLIST_WRITE_LIMIT, len(uris), PLAYLIST_WRITE_LIMIT):
        session.call("playlist_add_items", playlist_id, uris[i : i + PLAYLIST_WRITE_LIMIT])
