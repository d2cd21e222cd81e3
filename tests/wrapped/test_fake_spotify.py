"""FakeSpotify driven by spotipy 2.26.0 itself, configured the way the wrapped app will use it."""

from __future__ import annotations

import threading

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyOAuth

from tests.fakes.spotify import FakeSpotify

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
REDIRECT_URI = "http://127.0.0.1:8000/wrapped/callback/"


def client(spotify: FakeSpotify, access_token: str) -> spotipy.Spotify:
    sp = spotipy.Spotify(
        auth=access_token,
        requests_timeout=5,
        retries=0,
        status_retries=0,
        status_forcelist=(500, 502, 503, 504),
    )
    sp.prefix = spotify.api_url
    return sp


def oauth(spotify: FakeSpotify, *, secret: str = CLIENT_SECRET) -> SpotifyOAuth:
    manager = SpotifyOAuth(
        CLIENT_ID, secret, REDIRECT_URI, cache_handler=MemoryCacheHandler(), requests_timeout=5, open_browser=False
    )
    manager.OAUTH_TOKEN_URL = spotify.accounts_url + "api/token"
    return manager


def with_catalog(spotify: FakeSpotify, *, tracks: int = 0, artists: int = 0) -> None:
    for n in range(artists):
        spotify.add_artist(f"ar{n:03d}", f"Artist {n}", genres=["chant"] if n % 2 else None)
    if tracks:
        spotify.add_artist("main", "Main Artist", genres=["gregorian"])
    for n in range(tracks):
        spotify.add_track(f"tr{n:03d}", f"Track {n}", ["main"])


@pytest.fixture
def dev():
    with FakeSpotify(quota_mode="development") as spotify:
        spotify.add_user("alice", display_name="Alice", email="alice@example.com", refresh_token="rt-alice")
        yield spotify


@pytest.fixture
def extended():
    with FakeSpotify(quota_mode="extended") as spotify:
        spotify.add_user("alice", display_name="Alice", email="alice@example.com", refresh_token="rt-alice")
        yield spotify


# ---- accounts ------------------------------------------------------------------------------


def test_refresh_gives_a_working_access_token_and_keeps_the_refresh_token(dev):
    token_info = oauth(dev).refresh_access_token("rt-alice")

    assert token_info["token_type"] == "Bearer"
    assert token_info["expires_in"] == 3600
    assert token_info["refresh_token"] == "rt-alice"  # not rotated: spotipy copies the one passed in
    me = client(dev, token_info["access_token"]).me()
    assert me["id"] == "alice"
    assert me["display_name"] == "Alice"
    assert "email" not in me  # removed for development-mode apps
    assert dev.token_requests == 1
    assert dev.requests[0][:2] == ("POST", "/accounts/api/token")


def test_me_has_the_email_in_extended_mode(extended):
    assert client(extended, extended.issue_access_token("alice")).me()["email"] == "alice@example.com"


def test_revoked_or_unknown_refresh_token_is_invalid_grant(dev):
    dev.revoke("rt-alice")
    for token in ("rt-alice", "rt-never-issued"):
        with pytest.raises(SpotifyOauthError) as caught:
            oauth(dev).refresh_access_token(token)
        assert caught.value.error == "invalid_grant"
        assert caught.value.error_description == "Refresh token revoked"


def test_wrong_client_secret_is_invalid_client(dev):
    with pytest.raises(SpotifyOauthError) as caught:
        oauth(dev, secret="wrong").refresh_access_token("rt-alice")
    assert caught.value.error == "invalid_client"


def test_rotated_refresh_token_replaces_the_old_one(dev):
    dev.rotate_refresh_tokens = True
    first = oauth(dev).refresh_access_token("rt-alice")

    assert first["refresh_token"] != "rt-alice"
    assert dev.users["alice"].refresh_token == first["refresh_token"]
    with pytest.raises(SpotifyOauthError) as caught:
        oauth(dev).refresh_access_token("rt-alice")
    assert caught.value.error == "invalid_grant"
    second = oauth(dev).refresh_access_token(first["refresh_token"])
    assert second["refresh_token"] not in ("rt-alice", first["refresh_token"])
    assert dev.token_requests == 3


def test_authorization_code_is_exchanged_once(dev):
    code = dev.issue_code("alice", redirect_uri=REDIRECT_URI)

    token_info = oauth(dev).get_access_token(code, as_dict=False, check_cache=False)
    assert client(dev, token_info).me()["id"] == "alice"
    assert dev.users["alice"].refresh_token.startswith("rt-")
    with pytest.raises(SpotifyOauthError) as caught:
        oauth(dev).get_access_token(code, as_dict=False, check_cache=False)
    assert caught.value.error == "invalid_grant"


def test_unknown_and_expired_access_tokens_are_401(dev):
    with pytest.raises(SpotifyException) as caught:
        client(dev, "not-a-token").me()
    assert caught.value.http_status == 401
    assert "Invalid access token" in caught.value.msg

    token = dev.issue_access_token("alice")
    dev.expire_access_tokens()
    with pytest.raises(SpotifyException) as caught:
        client(dev, token).me()
    assert caught.value.http_status == 401
    assert "expired" in caught.value.msg


# ---- top items and follows -----------------------------------------------------------------


def test_top_tracks_page_past_fifty(dev):
    with_catalog(dev, tracks=60)
    dev.set_top("alice", "long_term", tracks=[f"tr{n:03d}" for n in range(60)])
    dev.set_top("alice", "short_term", tracks=["tr007"])
    sp = client(dev, dev.issue_access_token("alice"))

    first = sp.current_user_top_tracks(limit=50, time_range="long_term")
    assert (len(first["items"]), first["total"], first["offset"]) == (50, 60, 0)
    assert first["next"].startswith(dev.api_url)
    second = sp.next(first)
    assert [t["id"] for t in second["items"]] == [f"tr{n:03d}" for n in range(50, 60)]
    assert second["next"] is None
    assert second["items"][0]["uri"] == "spotify:track:tr050"
    assert second["items"][0]["artists"][0]["name"] == "Main Artist"
    assert "popularity" not in second["items"][0]
    assert [t["id"] for t in sp.current_user_top_tracks(limit=50, time_range="short_term")["items"]] == ["tr007"]
    assert sp.current_user_top_tracks(time_range="medium_term")["items"] == []

    with pytest.raises(SpotifyException) as caught:
        sp.current_user_top_tracks(limit=51, time_range="long_term")
    assert caught.value.http_status == 400


def test_top_artists_leave_out_missing_genres(dev):
    with_catalog(dev, artists=3)
    dev.set_top("alice", "medium_term", artists=["ar000", "ar001", "ar002"])
    sp = client(dev, dev.issue_access_token("alice"))

    page = sp.current_user_top_artists(limit=2)
    assert [a["id"] for a in page["items"]] == ["ar000", "ar001"]
    assert "genres" not in page["items"][0]
    assert page["items"][1]["genres"] == ["chant"]
    assert [a["id"] for a in sp.next(page)["items"]] == ["ar002"]


def test_followed_artists_cursor_paging_over_two_pages(dev):
    with_catalog(dev, artists=15)
    dev.follow("alice", [f"ar{n:03d}" for n in range(15)])
    sp = client(dev, dev.issue_access_token("alice"))

    first = sp.current_user_followed_artists(limit=10)["artists"]
    assert (len(first["items"]), first["total"], first["cursors"]["after"]) == (10, 15, "ar009")
    by_cursor = sp.current_user_followed_artists(limit=10, after=first["cursors"]["after"])["artists"]
    by_next = sp.next(first)["artists"]
    for second in (by_cursor, by_next):
        assert [a["id"] for a in second["items"]] == [f"ar{n:03d}" for n in range(10, 15)]
        assert second["next"] is None
        assert second["cursors"]["after"] is None

    with pytest.raises(SpotifyException) as caught:
        sp.current_user_followed_artists(limit=51)
    assert caught.value.http_status == 400


# ---- artists and albums --------------------------------------------------------------------


def with_discography(spotify: FakeSpotify) -> None:
    spotify.add_artist("schola", "Schola", genres=["chant"])
    spotify.add_artist("guest", "Guest")
    spotify.add_track("g1", "Guest spot", ["schola", "guest"])
    spotify.add_album("comp", ["guest"], album_type="compilation", track_ids=["g1"])
    for n in range(12):
        spotify.add_track(f"t{n}", f"Song {n}", ["schola"])
        kind = "single" if n % 3 == 0 else "album"
        spotify.add_album(f"al{n:02d}", ["schola"], album_type=kind, release_date=f"20{10 + n}", track_ids=[f"t{n}"])
        spotify.albums[f"al{n:02d}"]["release_date_precision"] = "year"


def test_artist_albums_development_limit_is_ten(dev):
    with_discography(dev)
    sp = client(dev, dev.issue_access_token("alice"))

    page = sp.artist_albums("schola", include_groups="album,single", limit=10)
    assert (len(page["items"]), page["total"]) == (10, 12)
    first = page["items"][0]
    assert set(first) >= {"id", "name", "album_type", "release_date", "release_date_precision", "artists"}
    assert first["total_tracks"] == 1
    assert "album_group" not in first
    assert [a["album_type"] for a in page["items"][:8]] == ["album"] * 8
    rest = sp.next(page)
    assert [a["album_type"] for a in rest["items"]] == ["single", "single"]
    assert rest["next"] is None

    with pytest.raises(SpotifyException) as caught:
        sp.artist_albums("schola", include_groups="album,single", limit=20)
    assert caught.value.http_status == 400
    assert "Invalid limit" in caught.value.msg
    with pytest.raises(SpotifyException):
        sp.artist_albums("schola")  # spotipy 2.26's default limit is 20


def test_artist_albums_extended_allows_fifty_and_has_album_group(extended):
    with_discography(extended)
    sp = client(extended, extended.issue_access_token("alice"))

    page = sp.artist_albums("schola", limit=20)
    assert page["total"] == 13
    assert page["next"] is None
    groups = [a["album_group"] for a in page["items"]]
    assert groups == ["album"] * 8 + ["single"] * 4 + ["appears_on"]
    assert page["items"][0]["release_date"] == "2021"  # newest first within a group
    only_appears_on = sp.artist_albums("schola", include_groups="appears_on", limit=50)
    assert [a["id"] for a in only_appears_on["items"]] == ["comp"]
    with pytest.raises(SpotifyException) as caught:
        sp.artist_albums("schola", limit=51)
    assert caught.value.http_status == 400


def test_album_tracks(dev):
    with_catalog(dev, tracks=3)
    dev.add_album("alb", ["main"], track_ids=["tr000", "tr001", "tr002"])
    sp = client(dev, dev.issue_access_token("alice"))

    page = sp.album_tracks("alb", limit=2)
    assert [(t["id"], t["uri"], t["track_number"]) for t in page["items"]] == [
        ("tr000", "spotify:track:tr000", 1),
        ("tr001", "spotify:track:tr001", 2),
    ]
    assert page["items"][0]["artists"] == [
        {
            "id": "main",
            "name": "Main Artist",
            "type": "artist",
            "uri": "spotify:artist:main",
            "href": dev.api_url + "artists/main",
            "external_urls": {"spotify": "https://open.spotify.com/artist/main"},
        }
    ]
    assert [t["id"] for t in sp.next(page)["items"]] == ["tr002"]
    assert sp.album_tracks("alb")["total"] == 3  # spotipy's default limit of 50 is fine
    assert sp.album("alb")["tracks"]["total"] == 3


def test_several_albums_forbidden_in_development_mode(dev):
    with_catalog(dev, tracks=1)
    dev.add_album("alb", ["main"], track_ids=["tr000"])
    with pytest.raises(SpotifyException) as caught:
        client(dev, dev.issue_access_token("alice")).albums(["alb"])
    assert caught.value.http_status == 403
    assert "Forbidden" in caught.value.msg


def test_several_albums_in_extended_mode(extended):
    with_catalog(extended, tracks=60)
    extended.add_album("big", ["main"], track_ids=[f"tr{n:03d}" for n in range(55)])
    extended.add_album("small", ["main"], album_type="single", track_ids=["tr055"])
    sp = client(extended, extended.issue_access_token("alice"))

    albums = sp.albums(["big", "small"])["albums"]
    assert [a["id"] for a in albums] == ["big", "small"]
    assert (len(albums[0]["tracks"]["items"]), albums[0]["tracks"]["total"]) == (50, 55)
    assert [t["id"] for t in sp.next(albums[0]["tracks"])["items"]] == [f"tr{n:03d}" for n in range(50, 55)]
    assert albums[1]["tracks"]["next"] is None
    with pytest.raises(SpotifyException) as caught:
        sp.albums(["big"] * 21)
    assert caught.value.http_status == 400


# ---- playlists -----------------------------------------------------------------------------


def test_playlist_create_replace_add_and_read(dev):
    with_catalog(dev, tracks=130)
    sp = client(dev, dev.issue_access_token("alice"))
    uris = [f"spotify:track:tr{n:03d}" for n in range(130)]

    playlist = sp.current_user_playlist_create("Wrapped 2026", public=False, description="Your year")
    assert (playlist["name"], playlist["public"], playlist["owner"]["id"]) == ("Wrapped 2026", False, "alice")
    assert playlist["uri"] == f"spotify:playlist:{playlist['id']}"
    assert playlist["items"]["total"] == 0
    assert "tracks" not in playlist

    with pytest.raises(SpotifyException) as caught:
        sp.playlist_replace_items(playlist["id"], uris[:101])
    assert caught.value.http_status == 400
    assert sp.playlist_replace_items(playlist["id"], uris[:100])["snapshot_id"]
    assert sp.playlist_replace_items(playlist["id"], uris[:100])["snapshot_id"]  # replacing twice does not grow
    assert sp.playlist_add_items(playlist["id"], uris[100:])["snapshot_id"]  # a bare JSON list
    assert sp.playlist(playlist["id"])["items"]["total"] == 130

    page = sp.playlist_items(playlist["id"])
    assert (len(page["items"]), page["total"], page["limit"]) == (50, 130, 50)
    entry = page["items"][0]
    assert "track" not in entry
    assert entry["item"]["id"] == "tr000"
    assert entry["added_at"].endswith("Z")
    seen = [e["item"]["uri"] for e in page["items"]]
    while page["next"]:
        page = sp.next(page)
        seen += [e["item"]["uri"] for e in page["items"]]
    assert seen == uris
    assert dev.playlist_track_ids(playlist["id"])[-1] == "tr129"

    with pytest.raises(SpotifyException) as caught:
        sp.playlist_items(playlist["id"], limit=51)
    assert caught.value.http_status == 400
    with pytest.raises(SpotifyException) as caught:
        sp.playlist_add_items(playlist["id"], uris[:101])
    assert caught.value.http_status == 400


def test_only_the_owner_may_write_or_read_items(dev):
    with_catalog(dev, tracks=1)
    dev.add_user("bob", display_name="Bob", email="bob@example.com", refresh_token="rt-bob")
    playlist = client(dev, dev.issue_access_token("alice")).current_user_playlist_create("Mine", public=False)
    bob = client(dev, dev.issue_access_token("bob"))

    for call in (
        lambda: bob.playlist_replace_items(playlist["id"], ["tr000"]),
        lambda: bob.playlist_add_items(playlist["id"], ["tr000"]),
        lambda: bob.playlist_items(playlist["id"]),
    ):
        with pytest.raises(SpotifyException) as caught:
            call()
        assert caught.value.http_status == 403
    assert "items" not in bob.playlist(playlist["id"])  # other people's playlists: metadata only


def test_removed_playlist_endpoints_are_forbidden(dev):
    sp = client(dev, dev.issue_access_token("alice"))
    with pytest.warns(DeprecationWarning), pytest.raises(SpotifyException) as caught:
        sp.user_playlist_create("alice", "Old way", public=False)
    assert caught.value.http_status == 403
    playlist = sp.current_user_playlist_create("New way", public=False)
    for method in ("get", "post", "put"):
        with pytest.raises(SpotifyException) as caught:
            getattr(sp, f"_{method}")(f"playlists/{playlist['id']}/tracks")
        assert caught.value.http_status == 403


def test_deleted_playlist_is_404(dev):
    with_catalog(dev, tracks=1)
    sp = client(dev, dev.issue_access_token("alice"))
    playlist = sp.current_user_playlist_create("Gone soon", public=False)
    dev.delete_playlist(playlist["id"])

    for call in (
        lambda: sp.playlist(playlist["id"]),
        lambda: sp.playlist_items(playlist["id"]),
        lambda: sp.playlist_replace_items(playlist["id"], ["tr000"]),
    ):
        with pytest.raises(SpotifyException) as caught:
            call()
        assert caught.value.http_status == 404


# ---- faults --------------------------------------------------------------------------------


def test_429_with_retry_after_reaches_the_caller(dev):
    sp = client(dev, dev.issue_access_token("alice"))
    dev.fail_next("/v1/me/top/tracks", 429, retry_after=2)

    with pytest.raises(SpotifyException) as caught:
        sp.current_user_top_tracks(limit=50)
    assert caught.value.http_status == 429
    assert caught.value.headers["Retry-After"] == "2"
    assert sp.current_user_top_tracks(limit=50)["items"] == []
    assert dev.count("/v1/me/top/tracks") == 2


def test_quota_exceeded_is_visible(dev):
    sp = client(dev, dev.issue_access_token("alice"))
    dev.fail_next("/v1/me", 429, retry_after=86400, body={"error": {"status": 429, "message": "QUOTA_EXCEEDED"}})
    dev.fail_next(
        "/v1/me",
        429,
        body={"error": {"status": 429, "message": "Quota exceeded", "reason": "QUOTA_EXCEEDED"}},
    )

    with pytest.raises(SpotifyException) as caught:
        sp.me()
    assert "QUOTA_EXCEEDED" in caught.value.msg
    assert caught.value.headers["Retry-After"] == "86400"
    with pytest.raises(SpotifyException) as caught:
        sp.me()
    assert caught.value.reason == "QUOTA_EXCEEDED"
    assert sp.me()["id"] == "alice"


def test_500_once_then_success(dev):
    """With 500 in status_forcelist and retries=0, spotipy reports a 500 as http_status 429 "Max Retries"."""
    sp = client(dev, dev.issue_access_token("alice"))
    dev.fail_next("/v1/me", 500, times=1)

    with pytest.raises(SpotifyException) as caught:
        sp.me()
    assert caught.value.http_status == 429
    assert "Max Retries" in caught.value.msg
    assert "500" in str(caught.value.reason)
    assert sp.me()["id"] == "alice"


def test_500_surfaces_as_500_without_it_in_the_forcelist(dev):
    sp = client(dev, dev.issue_access_token("alice"))
    sp2 = spotipy.Spotify(auth=dev.issue_access_token("alice"), requests_timeout=5, retries=0, status_forcelist=(502,))
    sp2.prefix = dev.api_url
    dev.fail_next("/v1/me", 500, times=2)

    for _ in range(2):
        with pytest.raises(SpotifyException) as caught:
            sp2.me()
        assert caught.value.http_status == 500
    assert sp.me()["id"] == "alice"


def test_token_endpoint_faults(dev):
    dev.fail_next("/accounts/api/token", 503)
    with pytest.raises(SpotifyOauthError):
        oauth(dev).refresh_access_token("rt-alice")
    assert oauth(dev).refresh_access_token("rt-alice")["access_token"]
    assert dev.token_requests == 2


def test_a_dropped_connection_is_requests_own_connection_error_then_it_answers(dev):
    sp = client(dev, dev.issue_access_token("alice"))
    dev.drop_next("/v1/me", times=1)

    with pytest.raises(requests.ConnectionError):
        sp.me()
    assert sp.me()["id"] == "alice"
    assert dev.count("/v1/me") == 2


def test_a_second_refresh_token_of_a_user_works_beside_the_first(dev):
    second = dev.issue_refresh_token("alice")

    assert second != "rt-alice"
    for token in ("rt-alice", second):
        assert client(dev, oauth(dev).refresh_access_token(token)["access_token"]).me()["id"] == "alice"


# ---- counters and latency ------------------------------------------------------------------


def test_requests_are_recorded_and_concurrency_is_measured():
    with FakeSpotify(latency=0.2) as spotify:
        spotify.add_user("alice", display_name="Alice", email="a@example.com", refresh_token="rt")
        token = spotify.issue_access_token("alice")
        errors = []

        def call() -> None:
            try:
                client(spotify, token).current_user_top_artists(limit=5, time_range="short_term")
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)

        assert errors == []
        assert spotify.count("/v1/me/top/artists") == 4
        assert spotify.max_in_flight >= 2
        method, path, query = spotify.requests[0]
        assert (method, path) == ("GET", "/v1/me/top/artists")
        assert query == {"time_range": "short_term", "limit": "5", "offset": "0"}
