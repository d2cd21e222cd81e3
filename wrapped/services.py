"""The two Spotify jobs for one account: the monthly Wrapped and the weekly release radar.

**Monthly Wrapped**: what a user listened to most, saved once a month, with a playlist of it.

`wrapped_month_run(account_id=..., month_key="2026-11")` is the whole job for one user; the
beat entry on the 1st of each month queues one task per enrolled account for the month that just
ended, and `manage.py run_wrapped` runs the same function for operators. For each time range
(`short_term`, `medium_term`, `long_term`) it reads the top 50 tracks and the top 50 artists
(one request each: 50 is the endpoint's largest page), counts genres over those artists, and
saves the month's `WrappedMonth`. Artists without `genres` (Spotify may leave the field out)
are not counted; when none of a range's artists has any, its genres are "unavailable" rather
than an empty count. The playlist `Wrapped YYYY-MM` (private: `public: false`, which Spotify
treats as "not on the profile", not as access control) holds the short-term top tracks. A
re-run updates the same row and replaces the items of the same playlist; a playlist the user
deleted is made again.

Failures: a revoked token marks the account `needs_reauth` and the job ends for that user only;
an account within 14 days of its refresh token's six months is marked `needs_reauth` too (the
token still works this time).

**Weekly release radar** (`release_radar_run(account_id=..., run_date=...)`, beat on Sundays):
every followed artist (cursor pages of 50), their albums, singles and compilations (pages of 10
in development mode, 50 with extended quota), those released on a day in the 7 days before the
run (year- and month-precision dates are skipped: they cannot be placed in a week), each album
once; their tracks (one album per request in development mode, 20 albums per request with
extended quota), each track once; then the user's release radar playlist gets exactly those
tracks (replaced, then added in chunks of 100), made again when missing or deleted, its id
saved. The week is kept as a `ReleaseRadarWeek`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from spotipy.exceptions import SpotifyException

from wrapped import client as spotify
from wrapped.models import REFRESH_TOKEN_LIFETIME, ReleaseRadarWeek, SpotifyAccount, TimeRange, WrappedMonth

logger = logging.getLogger(__name__)

TOP_LIMIT = 50  # the top-items endpoints' largest page
PLAYLIST_WRITE_LIMIT = 100  # uris per playlist write
REAUTH_NOTICE = timedelta(days=14)
GENRES_UNAVAILABLE = "unavailable"


@dataclass
class RunResult:
    status: str  # "done", "skipped" or "failed"
    requests: int = 0
    reason: str = ""


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


def wrapped_month_run(*, account_id: int, month_key: str, now=None) -> RunResult:
    now = now or timezone.now()
    account = SpotifyAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or not (account.active and account.active_wrapped):
        return RunResult("skipped", reason="not enrolled")
    if account.needs_reauth and now >= account.authorized_at + REFRESH_TOKEN_LIFETIME:
        return RunResult("skipped", reason="needs re-linking")
    session = client_for(account)
    try:
        tops = _read_tops(session)
        playlist_id = _month_playlist(session, account, month_key, tops["tracks"][TimeRange.SHORT_TERM])
    except spotify.Revoked as revoked:
        _mark_reauth(account)
        return RunResult("failed", session.requests, str(revoked))
    finally:
        session.close()
    with transaction.atomic():
        WrappedMonth.objects.update_or_create(
            user=account.user,
            month_key=month_key,
            defaults={
                "top_track_ids": tops["tracks"],
                "top_artist_ids": {r: [a["id"] for a in artists] for r, artists in tops["artists"].items()},
                "top_genres": {r: count_genres(artists) for r, artists in tops["artists"].items()},
                "playlist_id": playlist_id,
            },
        )
        if now + REAUTH_NOTICE >= account.authorized_at + REFRESH_TOKEN_LIFETIME:
            _mark_reauth(account)
    logger.info("wrapped %s for account %s: %d requests", month_key, account.pk, session.requests)
    return RunResult("done", session.requests)


def _read_tops(session: spotify.SpotifyClient) -> dict:
    tracks, artists = {}, {}
    for time_range in TimeRange.values:
        answer = session.call("current_user_top_tracks", limit=TOP_LIMIT, time_range=time_range)
        tracks[time_range] = [item["id"] for item in answer.get("items", []) if item and item.get("id")]
        answer = session.call("current_user_top_artists", limit=TOP_LIMIT, time_range=time_range)
        artists[time_range] = [item for item in answer.get("items", []) if item and item.get("id")]
    return {"tracks": tracks, "artists": artists}


def _month_playlist(session: spotify.SpotifyClient, account: SpotifyAccount, month_key: str, track_ids) -> str:
    """The month's playlist id: the saved one with its items replaced, or a new one."""
    existing = WrappedMonth.objects.filter(user=account.user, month_key=month_key).values_list("playlist_id", flat=True)
    playlist_id = next(iter(existing), "")
    uris = [f"spotify:track:{track_id}" for track_id in track_ids][:PLAYLIST_WRITE_LIMIT]
    if playlist_id:
        try:
            session.call("playlist_replace_items", playlist_id, uris)
            return playlist_id
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


def release_radar_run(*, account_id: int, run_date: date) -> RunResult:
    account = SpotifyAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or not (account.active and account.active_release_radar):
        return RunResult("skipped", reason="not enrolled")
    session = client_for(account)
    start, end = release_window(run_date)
    try:
        albums = _new_albums(session, start, end)
        track_ids = _album_track_ids(session, albums)
        playlist_id = _release_radar_playlist(session, account, track_ids)
    except spotify.Revoked as revoked:
        _mark_reauth(account)
        return RunResult("failed", session.requests, str(revoked))
    finally:
        session.close()
    with transaction.atomic():
        SpotifyAccount.objects.filter(pk=account.pk).update(release_radar_playlist_id=playlist_id)
        ReleaseRadarWeek.objects.update_or_create(
            user=account.user, week_start=start, defaults={"track_ids": track_ids, "playlist_id": playlist_id}
        )
    logger.info(
        "release radar %s for account %s: %d tracks, %d requests", start, account.pk, len(track_ids), session.requests
    )
    return RunResult("done", session.requests)


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
