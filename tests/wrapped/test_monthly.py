"""The monthly Wrapped for one account, against the fake Spotify (real HTTP, spotipy 2.26)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core.jobs import Deferred
from core.pacing import Pace
from tests.factories import SpotifyAccountFactory
from tests.fakes.spotify import FakeSpotify
from wrapped import services, tasks
from wrapped.models import SpotifyAccount, WrappedMonth, ids_by_range

pytestmark = pytest.mark.django_db

RANGES = ("short_term", "medium_term", "long_term")


@pytest.fixture
def spotify(settings):
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings)
        yield fake


def linked(spotify, *, user_id="listener", genres=True, tracks=60, authorized_at=None) -> SpotifyAccount:
    spotify.add_user(user_id, display_name="Listener", email="l@example.com", refresh_token=f"rt-{user_id}")
    for n in range(tracks):
        spotify.add_artist(f"ar{n}", f"Artist {n}", genres=[f"genre{n % 3}", "techno"] if genres else None)
        spotify.add_track(f"tr{n}", f"Track {n}", [f"ar{n}"])
    for shift, time_range in enumerate(RANGES):
        order = [f"tr{(n + shift) % tracks}" for n in range(tracks)]
        spotify.set_top(user_id, time_range, tracks=order, artists=[f"ar{n}" for n in range(min(tracks, 55))])
    account = SpotifyAccountFactory(spotify_user_id=user_id, authorized_at=authorized_at or timezone.now())
    account.set_refresh_token(f"rt-{user_id}")
    account.save()
    return account


def run_month(account, month_key="2026-11") -> WrappedMonth:
    """The account's month queued as the beat queues it and run by its task here; the row as it ended."""
    month, _ = services.wrapped_month_queue(account=account, month_key=month_key, send=False)
    tasks.wrapped_month_run.apply(args=(str(month.pk),))
    return WrappedMonth.objects.get(pk=month.pk)


def test_a_month_is_saved_with_a_private_playlist_of_the_short_term_tracks(spotify):
    account = linked(spotify)
    month = run_month(account)
    assert (month.status, month.error) == ("done", "")
    assert WrappedMonth.objects.get(user=account.user, month_key="2026-11") == month
    assert month.top_track_ids["short_term"] == [f"tr{n}" for n in range(50)]  # the top 50, in order
    assert month.top_track_ids["medium_term"][0] == "tr1"
    assert month.top_artist_ids["long_term"] == [f"ar{n}" for n in range(50)]
    genres = month.top_genres["short_term"]
    assert genres == {"techno": 50, "genre0": 17, "genre1": 17, "genre2": 16}
    assert spotify.playlist_track_ids(month.playlist_id) == [f"tr{n}" for n in range(50)]
    created = [r for r in spotify.requests if r[0] == "POST" and r[1].endswith("/me/playlists")]
    assert len(created) == 1
    assert month.spotify_requests == 6 + 2  # three ranges x (tracks, artists), the playlist and its items
    assert not any("/tracks" in r[1] and "/playlists/" in r[1] for r in spotify.requests)  # removed paths


def test_a_re_run_updates_the_same_row_and_playlist(spotify):
    account = linked(spotify)
    first = run_month(account)
    playlist = WrappedMonth.objects.get(user=account.user).playlist_id
    spotify.set_top("listener", "short_term", tracks=["tr5", "tr6"], artists=["ar5"])
    second = run_month(account)
    assert (first.status, second.status) == ("done", "done")
    assert WrappedMonth.objects.filter(user=account.user).count() == 1
    month = WrappedMonth.objects.get(user=account.user)
    assert month.playlist_id == playlist
    assert spotify.playlist_track_ids(playlist) == ["tr5", "tr6"]
    assert sum(1 for r in spotify.requests if r[0] == "POST" and r[1].endswith("/me/playlists")) == 1


def test_a_playlist_the_user_deleted_is_made_again(spotify):
    account = linked(spotify)
    old = run_month(account).playlist_id
    spotify.delete_playlist(old)
    assert run_month(account).status == "done"
    new = WrappedMonth.objects.get(user=account.user).playlist_id
    assert new != old and len(spotify.playlist_track_ids(new)) == 50


def test_genres_missing_from_every_artist_say_unavailable(spotify):
    account = linked(spotify, genres=False)
    run_month(account)
    assert WrappedMonth.objects.get(user=account.user).top_genres == dict.fromkeys(RANGES, "unavailable")


def test_a_revoked_token_marks_the_account_and_fails_the_month_saying_to_link_again(spotify):
    account = linked(spotify)
    spotify.revoke("rt-listener")
    month = run_month(account)
    assert month.status == "failed"
    assert month.error == "Spotify no longer accepts this account's authorisation; link Spotify again."
    assert month.top_track_ids == ids_by_range() and month.playlist_id == ""  # nothing of a run is kept
    assert SpotifyAccount.objects.get(pk=account.pk).needs_reauth
    assert spotify.count("/v1/") == 0 and spotify.token_requests == 1  # refused once, not retried


def test_an_account_near_its_six_months_is_asked_to_re_link(spotify):
    account = linked(spotify, authorized_at=timezone.now() - timedelta(days=175))
    assert run_month(account).status == "done"
    assert SpotifyAccount.objects.get(pk=account.pk).needs_reauth  # due within 14 days
    fresh = linked(spotify, user_id="fresh")
    run_month(fresh)
    assert not SpotifyAccount.objects.get(pk=fresh.pk).needs_reauth


def test_an_account_that_left_before_its_run_fails_it_without_asking_spotify(spotify):
    account = linked(spotify)
    month, _ = services.wrapped_month_queue(account=account, month_key="2026-11", send=False)
    SpotifyAccount.objects.filter(pk=account.pk).update(active_wrapped=False)
    tasks.wrapped_month_run.apply(args=(str(month.pk),))
    month.refresh_from_db()
    assert (month.status, month.error) == ("failed", services.WRAPPED_LEFT)
    assert spotify.requests == []


def test_a_rotated_refresh_token_is_saved_encrypted(spotify):
    account = linked(spotify)
    spotify.rotate_refresh_tokens = True
    run_month(account)
    stored = SpotifyAccount.objects.get(pk=account.pk)
    assert stored.refresh_token() != "rt-listener"
    assert stored.refresh_token() not in stored.refresh_token_encrypted
    assert run_month(account).status == "done"


def test_a_short_429_is_waited_out_and_shared(spotify, settings):
    account = linked(spotify)
    spotify.fail_next("/v1/me/top/artists", 429, retry_after=1)
    assert run_month(account).status == "done"
    assert Pace("spotify", limit=1, period=30).paused_until() > 0  # written where every worker reads it


def test_a_long_429_defers_the_task_instead_of_holding_the_worker(spotify, settings):
    account = linked(spotify)
    settings.SPOTIFY_MAX_WAIT_SECONDS = 5
    spotify.fail_next("/v1/me/top/tracks", 429, retry_after=3600)
    month, _ = services.wrapped_month_queue(account=account, month_key="2026-11", send=False)
    with pytest.raises(Deferred) as deferred:
        services.wrapped_month_run(month_id=month.pk)
    assert deferred.value.seconds == 3600
    month.refresh_from_db()
    assert month.status == "pending" and month.top_track_ids == ids_by_range()


def test_quota_exceeded_is_reported_not_retried(spotify):
    account = linked(spotify)
    spotify.fail_next(
        "/v1/me/top/tracks", 429, times=5, retry_after=1, body={"error": {"status": 429, "message": "QUOTA_EXCEEDED"}}
    )
    month = run_month(account)
    assert (month.status, month.error) == ("failed", "Spotify says the app's request quota is used up.")
    assert spotify.count("/v1/me/top/tracks") == 1


def test_a_server_error_is_retried(spotify, monkeypatch):
    account = linked(spotify)
    monkeypatch.setattr("wrapped.client.time.sleep", lambda seconds: None)
    spotify.fail_next("/v1/me/top/artists", 500, times=2)
    assert run_month(account).status == "done"


@pytest.mark.parametrize(("today", "key"), [(date(2026, 12, 1), "2026-11"), (date(2026, 1, 1), "2025-12")])
def test_the_run_on_the_first_saves_the_month_that_ended(today, key):
    assert services.previous_month_key(today) == key
