"""The weekly release radar for one account, in both quota modes, against the fake Spotify."""

from datetime import date

import pytest

from tests.factories import SpotifyAccountFactory
from tests.fakes.spotify import FakeSpotify
from wrapped import services, tasks
from wrapped.models import ReleaseRadarWeek, SpotifyAccount

pytestmark = pytest.mark.django_db

RUN = date(2026, 11, 29)  # a Sunday: the window is 22 to 28 November


@pytest.fixture(params=["development", "extended"])
def spotify(request, settings):
    with FakeSpotify(quota_mode=request.param) as fake:
        settings.SPOTIFY_QUOTA_MODE = request.param
        fake.point_settings_at_me(settings)
        yield fake


def catalogue(spotify, *, artists=12, user_id="listener") -> SpotifyAccount:
    """Followed artists with old albums, a new album, a new single, dates of every precision, a shared album."""
    spotify.add_user(user_id, display_name="Listener", email="l@example.com", refresh_token=f"rt-{user_id}")
    for a in range(artists):
        spotify.add_artist(f"ar{a}", f"Artist {a}")
        for n in range(14):  # more than one page of 10 artist albums
            spotify.add_track(f"old{a}n{n}", "Old", [f"ar{a}"])
            spotify.add_album(
                f"old{a}n{n}", [f"ar{a}"], release_date=f"2025-0{1 + n % 9}-1{n % 9}", track_ids=[f"old{a}n{n}"]
            )
        spotify.add_track(f"new{a}t1", "New one", [f"ar{a}"])
        spotify.add_track(f"new{a}t2", "New two", [f"ar{a}"])
        spotify.add_album(f"new{a}", [f"ar{a}"], release_date="2026-11-27", track_ids=[f"new{a}t1", f"new{a}t2"])
        spotify.add_track(f"single{a}", "Single", [f"ar{a}"])
        spotify.add_album(
            f"single{a}", [f"ar{a}"], album_type="single", release_date="2026-11-22", track_ids=[f"single{a}"]
        )
        spotify.add_track(f"edge{a}", "Run day", [f"ar{a}"])
        spotify.add_album(f"edge{a}", [f"ar{a}"], release_date="2026-11-29", track_ids=[f"edge{a}"])  # the run's day
        spotify.add_track(f"month{a}", "Month", [f"ar{a}"])
        spotify.add_album(
            f"month{a}", [f"ar{a}"], release_date="2026-11", release_date_precision="month", track_ids=[f"month{a}"]
        )
    spotify.add_track("duet", "Duet", ["ar0", "ar1"])
    spotify.add_album("duet", ["ar0", "ar1"], album_type="single", release_date="2026-11-25", track_ids=["duet"])
    spotify.follow(user_id, [f"ar{a}" for a in range(artists)])
    account = SpotifyAccountFactory(spotify_user_id=user_id)
    account.set_refresh_token(f"rt-{user_id}")
    account.save()
    return account


def run_week(account, run_date=RUN) -> ReleaseRadarWeek:
    """The account's week queued as the beat queues it and run by its task here; the row as it ended."""
    week, _ = services.release_radar_week_queue(account=account, run_date=run_date, send=False)
    tasks.release_radar_run.apply(args=(str(week.pk),))
    return ReleaseRadarWeek.objects.get(pk=week.pk)


def expected_tracks(artists: int) -> set[str]:
    ids = {"duet"}
    for a in range(artists):
        ids |= {f"new{a}t1", f"new{a}t2", f"single{a}"}
    return ids


def test_the_weeks_releases_replace_the_playlist(spotify):
    account = catalogue(spotify)
    assert run_week(account).status == "done"
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert week.week_start == date(2026, 11, 22)
    assert set(week.track_ids) == expected_tracks(12) and len(week.track_ids) == len(set(week.track_ids))
    assert SpotifyAccount.objects.get(pk=account.pk).release_radar_playlist_id == week.playlist_id
    assert spotify.playlist_track_ids(week.playlist_id) == week.track_ids
    # No removed endpoint, and artist-album pages no larger than the mode allows.
    assert not any("/tracks" in path and "/playlists/" in path for _, path, _ in spotify.requests)
    pages = [q for _, path, q in spotify.requests if path.endswith("/albums") and "/artists/" in path]
    limit = "10" if spotify.quota_mode == "development" else "50"
    assert pages and all(q["limit"] == limit for q in pages)
    several = [path for _, path, _ in spotify.requests if path == "/v1/albums"]
    assert bool(several) == (spotify.quota_mode == "extended")


def test_requests_stay_within_the_bound(spotify):
    artists = 12
    account = catalogue(spotify, artists=artists)
    week = run_week(account)
    new_albums = 2 * artists + 1
    followed_pages = 1
    album_pages = artists * (2 if spotify.quota_mode == "development" else 1)  # 18 albums each: 2 pages of 10
    per_album = new_albums if spotify.quota_mode == "development" else -(-new_albums // 20)
    writes = 1  # 37 tracks: one replace
    assert (
        0 < week.spotify_requests <= followed_pages + album_pages + per_album + writes + 1
    )  # + the playlist's creation


def test_more_than_100_tracks_are_written_in_chunks(spotify):
    account = catalogue(spotify, artists=40)  # 121 tracks
    run_week(account)
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert len(week.track_ids) == 121
    assert spotify.playlist_track_ids(week.playlist_id) == week.track_ids
    writes = [m for m, path, _ in spotify.requests if path.endswith("/items") and m in ("PUT", "POST")]
    assert writes == ["PUT", "POST"]


def test_a_second_week_reuses_the_playlist_and_a_deleted_one_is_made_again(spotify):
    account = catalogue(spotify)
    run_week(account)
    playlist = SpotifyAccount.objects.get(pk=account.pk).release_radar_playlist_id
    run_week(account, date(2026, 12, 6))  # nothing new that week
    assert SpotifyAccount.objects.get(pk=account.pk).release_radar_playlist_id == playlist
    assert set(spotify.playlist_track_ids(playlist)) == {f"edge{a}" for a in range(12)}  # released on the 29th
    assert ReleaseRadarWeek.objects.filter(user=account.user).count() == 2
    spotify.delete_playlist(playlist)
    run_week(account)
    again = SpotifyAccount.objects.get(pk=account.pk).release_radar_playlist_id
    assert again != playlist and set(spotify.playlist_track_ids(again)) == expected_tracks(12)
    assert ReleaseRadarWeek.objects.filter(user=account.user).count() == 2  # the same week, updated


def test_one_revoked_account_leaves_the_others_done(spotify):
    first, second = catalogue(spotify, artists=2), catalogue(spotify, artists=2, user_id="other")
    spotify.revoke("rt-listener")
    assert run_week(first).status == "failed"
    assert run_week(second).status == "done"
    assert SpotifyAccount.objects.get(pk=first.pk).needs_reauth
    assert ReleaseRadarWeek.objects.get(user=first.user).error == (
        "Spotify no longer accepts this account's authorisation; link Spotify again."
    )


@pytest.mark.parametrize(
    ("album", "new"),
    [
        ({"release_date": "2026-11-22", "release_date_precision": "day"}, True),
        ({"release_date": "2026-11-28", "release_date_precision": "day"}, True),
        ({"release_date": "2026-11-29", "release_date_precision": "day"}, False),
        ({"release_date": "2026-11-21", "release_date_precision": "day"}, False),
        ({"release_date": "2026-11", "release_date_precision": "month"}, False),
        ({"release_date": "2026", "release_date_precision": "year"}, False),
        ({"release_date": "not a date", "release_date_precision": "day"}, False),
    ],
)
def test_what_counts_as_released_in_the_week(album, new):
    assert services.is_new_release(album, *services.release_window(RUN)) is new
