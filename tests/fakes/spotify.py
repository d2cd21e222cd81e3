"""A local stand-in for Spotify: accounts.spotify.com and api.spotify.com/v1 on 127.0.0.1.

``with FakeSpotify(quota_mode="development") as spotify:`` serves ``spotify.accounts_url``
(``http://127.0.0.1:PORT/accounts/``) and ``spotify.api_url`` (``http://127.0.0.1:PORT/v1/``).
Point spotipy at it with ``sp.prefix = spotify.api_url`` and ``oauth.OAUTH_TOKEN_URL =
spotify.accounts_url + "api/token"``. Test code sets up users, artists, albums, tracks, follows
and top items through plain methods; playlists are created through the API.

Implemented (paths relative to the two base URLs; a trailing slash is ignored):

* ``POST accounts/api/token``: ``grant_type=refresh_token`` and ``grant_type=authorization_code``
  (codes from ``issue_code``, single use). Client credentials in an HTTP Basic header (or a
  ``client_id`` form field, as PKCE sends). Refresh tokens rotate only when
  ``rotate_refresh_tokens`` is True; an unknown or revoked one gets 400 ``invalid_grant``.
* ``GET v1/me``; ``GET v1/me/top/{tracks,artists}`` (offset paging, limit <= 50);
  ``GET v1/me/following?type=artist`` (cursor paging, limit <= 50).
* ``GET v1/artists/{id}/albums`` (limit <= 10 in development mode, else 400 "Invalid limit";
  <= 50 in extended mode), ``GET v1/albums/{id}``, ``GET v1/albums/{id}/tracks`` (limit <= 50),
  ``GET v1/albums?ids=`` (403 in development mode, <= 20 ids in extended mode).
* ``POST v1/me/playlists`` (201), ``POST v1/users/{id}/playlists`` (403 in development mode),
  ``GET``/``PUT v1/playlists/{id}``, ``GET``/``PUT``/``POST v1/playlists/{id}/items``
  (writes <= 100 uris, reads limit <= 50, owner only). ``v1/playlists/{id}/tracks`` is 403 in both
  modes: Spotify removed it for development-mode apps and spotipy 2.26 never calls it.

Faults and knobs: ``fail_next(prefix, status, times=, retry_after=, body=)``,
``drop_next(prefix, times=)`` (the connection is closed without an answer, as a crashed proxy
or a reset would: ``requests`` raises its ``ConnectionError``), ``revoke(token)``,
``issue_refresh_token(user_id)`` (another refresh token of the same user, as a second consent
gives), ``expire_access_tokens()``, ``delete_playlist(id)``, ``latency`` (seconds slept before each
``v1`` answer). Counters: ``requests`` (method, path, query dict), ``count(prefix)``,
``token_requests``, ``max_in_flight``. A fault, dropped or not, is counted in ``requests``.

Where it differs from Spotify (on purpose, to stay small):

* Objects carry the fields the app reads, not every field; ``images`` are always empty and there
  is no ``popularity``, ``followers``, ``available_markets`` or ``label`` (removed by Spotify in
  2026 anyway). ``genres`` is left out when an artist was added with ``genres=None``.
* ``GET v1/me`` has no ``email`` in development mode (Spotify removed it there), only in extended.
* ``album_group`` appears in artist albums only in extended mode. Artist albums are ordered by
  group (album, single, compilation, appears_on), then newest first; ``appears_on`` means the
  artist is on one of the album's tracks but not among its artists.
* Followed artists are ordered by artist id, so ``after`` is a keyset cursor.
* Scopes are not enforced; ``market``, ``country``, ``fields`` and ``additional_types`` are ignored.
  Only ``spotify:track:`` uris can go into playlists. Access tokens never expire on their own.
* Error messages are plausible, not copied byte for byte; errors always use
  ``{"error": {"status": N, "message": "..."}}`` (accounts: ``{"error", "error_description"}``).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

TIME_RANGES = ("short_term", "medium_term", "long_term")
ALBUM_GROUPS = ("album", "single", "compilation", "appears_on")
DEFAULT_SCOPE = "user-top-read user-follow-read playlist-read-private playlist-modify-private"


@dataclass
class FakeUser:
    id: str
    display_name: str
    email: str
    refresh_token: str


@dataclass
class _Playlist:
    id: str
    owner_id: str
    name: str
    public: bool
    collaborative: bool
    description: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (track id, added_at)
    version: int = 0


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    user_id: str | None = None

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise ApiError(400, "Error parsing JSON.") from None


@dataclass
class _Response:
    status: int
    payload: object = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection instead of answering


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeSpotify:
    ROUTES = [
        ("POST", r"/accounts/api/token", "_token"),
        ("GET", r"/v1/me", "_me"),
        ("GET", r"/v1/me/top/(tracks|artists)", "_top_items"),
        ("GET", r"/v1/me/following", "_following"),
        ("GET", r"/v1/artists/([^/]+)/albums", "_artist_albums"),
        ("GET", r"/v1/albums", "_several_albums"),
        ("GET", r"/v1/albums/([^/]+)", "_album"),
        ("GET", r"/v1/albums/([^/]+)/tracks", "_album_tracks"),
        ("POST", r"/v1/me/playlists", "_create_playlist"),
        ("POST", r"/v1/users/([^/]+)/playlists", "_create_user_playlist"),
        ("GET", r"/v1/playlists/([^/]+)", "_get_playlist"),
        ("PUT", r"/v1/playlists/([^/]+)", "_change_playlist"),
        ("GET", r"/v1/playlists/([^/]+)/items", "_playlist_items"),
        ("PUT", r"/v1/playlists/([^/]+)/items", "_replace_items"),
        ("POST", r"/v1/playlists/([^/]+)/items", "_add_items"),
        ("*", r"/v1/playlists/([^/]+)/tracks", "_removed_endpoint"),
    ]

    def __init__(
        self,
        *,
        quota_mode: str = "development",
        latency: float = 0.0,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        scope: str = DEFAULT_SCOPE,
    ) -> None:
        if quota_mode not in ("development", "extended"):
            raise ValueError(f"quota_mode must be 'development' or 'extended', not {quota_mode!r}")
        self.quota_mode = quota_mode
        self.latency = latency
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.rotate_refresh_tokens = False
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.request_times: list[float] = []  # time.monotonic() of each entry of `requests`
        self.in_flight = 0
        self.max_in_flight = 0
        self.users: dict[str, FakeUser] = {}
        self.artists: dict[str, dict] = {}
        self.albums: dict[str, dict] = {}
        self.tracks: dict[str, dict] = {}
        self.playlists: dict[str, _Playlist] = {}
        self._follows: dict[str, set[str]] = {}
        self._top: dict[tuple[str, str], dict[str, list[str]]] = {}
        self._refresh_tokens: dict[str, str] = {}  # token -> user id
        self._access_tokens: dict[str, str] = {}
        self._expired_tokens: set[str] = set()
        self._codes: dict[str, tuple[str, str | None]] = {}  # code -> (user id, redirect uri)
        self._faults: list[dict] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.accounts_url = f"{self.base_url}/accounts/"
        self.api_url = f"{self.base_url}/v1/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._routes = [(method, re.compile(pattern), name) for method, pattern, name in self.ROUTES]

    def __enter__(self) -> FakeSpotify:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # ---- setup, from test code -------------------------------------------------------------

    def add_user(self, user_id: str, *, display_name: str, email: str, refresh_token: str) -> FakeUser:
        with self._lock:
            user = FakeUser(user_id, display_name, email, refresh_token)
            self.users[user_id] = user
            self._refresh_tokens[refresh_token] = user_id
            return user

    def add_artist(self, artist_id: str, name: str, genres: list[str] | None = None) -> None:
        with self._lock:
            self.artists[artist_id] = {"id": artist_id, "name": name, "genres": genres}

    def add_track(self, track_id: str, name: str, artist_ids: list[str]) -> None:
        with self._lock:
            self._check_known(self.artists, artist_ids, "artist")
            self.tracks[track_id] = {"id": track_id, "name": name, "artist_ids": list(artist_ids), "album_id": None}

    def add_album(
        self,
        album_id: str,
        artist_ids: list[str],
        *,
        name: str | None = None,
        album_type: str = "album",
        release_date: str = "2026-11-20",
        release_date_precision: str = "day",
        track_ids: list[str] = (),
    ) -> None:
        if album_type not in ("album", "single", "compilation"):
            raise ValueError(f"unknown album_type {album_type!r}")
        if release_date_precision not in ("day", "month", "year"):
            raise ValueError(f"unknown release_date_precision {release_date_precision!r}")
        with self._lock:
            self._check_known(self.artists, artist_ids, "artist")
            self._check_known(self.tracks, track_ids, "track")
            self.albums[album_id] = {
                "id": album_id,
                "name": name or f"Album {album_id}",
                "artist_ids": list(artist_ids),
                "album_type": album_type,
                "release_date": release_date,
                "release_date_precision": release_date_precision,
                "track_ids": list(track_ids),
            }
            for track_id in track_ids:
                self.tracks[track_id]["album_id"] = album_id

    def follow(self, user_id: str, artist_ids: list[str]) -> None:
        with self._lock:
            self._check_known(self.artists, artist_ids, "artist")
            self._follows.setdefault(user_id, set()).update(artist_ids)

    def set_top(self, user_id: str, time_range: str, tracks: list[str] = (), artists: list[str] = ()) -> None:
        if time_range not in TIME_RANGES:
            raise ValueError(f"unknown time_range {time_range!r}")
        with self._lock:
            self._check_known(self.tracks, tracks, "track")
            self._check_known(self.artists, artists, "artist")
            self._top[(user_id, time_range)] = {"tracks": list(tracks), "artists": list(artists)}

    def issue_code(self, user_id: str, redirect_uri: str | None = None) -> str:
        """An authorization code for the callback; single use, checked against redirect_uri if given."""
        with self._lock:
            code = "code-" + secrets.token_urlsafe(12)
            self._codes[code] = (user_id, redirect_uri)
            return code

    def issue_refresh_token(self, user_id: str) -> str:
        """Another refresh token of the user (the first stays valid), as a second consent gives."""
        with self._lock:
            self._check_known(self.users, [user_id], "user")
            token = "rt-" + secrets.token_urlsafe(16)
            self._refresh_tokens[token] = user_id
            return token

    def issue_access_token(self, user_id: str) -> str:
        """An access token without a token request, for tests that skip the refresh."""
        with self._lock:
            return self._new_access_token(user_id)

    # ---- faults and counters ---------------------------------------------------------------

    def point_settings_at_me(self, settings, *, redirect_uri: str = "http://127.0.0.1/callback") -> None:
        """Point the project's Spotify settings (pytest-django's `settings`) at this fake."""
        settings.SPOTIFY_API_BASE_URL = self.api_url
        settings.SPOTIFY_ACCOUNTS_BASE_URL = self.accounts_url
        settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = self.client_id, self.client_secret
        settings.SPOTIFY_REDIRECT_URI = redirect_uri

    def fail_next(
        self, path_prefix: str, status: int, *, times: int = 1, retry_after: int | None = None, body=None
    ) -> None:
        """The next `times` requests whose path starts with `path_prefix` (e.g. "/v1/me/top") get `status`.

        `body` is JSON-encoded unless it is bytes or str; by default it is Spotify's error object.
        """
        if body is None:
            body = {"error": {"status": status, "message": HTTPStatus(status).phrase}}
        with self._lock:
            self._faults.append(
                {"prefix": path_prefix, "status": status, "left": times, "retry_after": retry_after, "body": body}
            )

    def drop_next(self, path_prefix: str, *, times: int = 1) -> None:
        """The next `times` requests whose path starts with `path_prefix` get no answer: the connection is closed."""
        with self._lock:
            self._faults.append({"prefix": path_prefix, "drop": True, "left": times})

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh_tokens.pop(refresh_token, None)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now gets 401 "The access token expired"."""
        with self._lock:
            self._expired_tokens.update(self._access_tokens)
            self._access_tokens.clear()

    def delete_playlist(self, playlist_id: str) -> None:
        """The user deleted (unfollowed) the playlist in Spotify; it is 404 from now on."""
        with self._lock:
            del self.playlists[playlist_id]

    def playlist_track_ids(self, playlist_id: str) -> list[str]:
        with self._lock:
            return [track_id for track_id, _ in self.playlists[playlist_id].items]

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for _, path, _ in self.requests if path.startswith(prefix))

    @property
    def token_requests(self) -> int:
        return self.count("/accounts/api/token")

    # ---- dispatch --------------------------------------------------------------------------

    def _handle(self, request: _Request) -> _Response:
        with self._lock:
            self.requests.append((request.method, request.path, dict(request.query)))
            self.request_times.append(time.monotonic())
            fault = self._take_fault(request.path)
            if fault:
                return fault
            try:
                handler, args = self._route(request)
                if request.path.startswith("/v1/"):
                    request.user_id = self._authenticate(request)
                return handler(request, *args)
            except ApiError as error:
                return _Response(error.status, {"error": {"status": error.status, "message": error.message}})
            except OAuthError as error:
                return _Response(400, {"error": error.error, "error_description": error.description})

    def _take_fault(self, path: str) -> _Response | None:
        for fault in self._faults:
            if fault["left"] > 0 and path.startswith(fault["prefix"]):
                fault["left"] -= 1
                if fault.get("drop"):
                    return _Response(0, drop=True)
                headers = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] is not None else {}
                return _Response(fault["status"], fault["body"], headers)
        return None

    def _route(self, request: _Request):
        path_matched = False
        for method, pattern, name in self._routes:
            match = pattern.fullmatch(request.path)
            if match:
                path_matched = True
                if method in ("*", request.method):
                    return getattr(self, name), match.groups()
        if path_matched:
            raise ApiError(405, "Method not allowed")
        raise ApiError(404, "Service not found")

    def _authenticate(self, request: _Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "No token provided")
        if token in self._expired_tokens:
            raise ApiError(401, "The access token expired")
        if token not in self._access_tokens:
            raise ApiError(401, "Invalid access token")
        return self._access_tokens[token]

    # ---- accounts --------------------------------------------------------------------------

    def _token(self, request: _Request) -> _Response:
        form = dict(parse_qsl(request.body.decode()))
        self._check_client(request, form)
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            return self._refresh_grant(form)
        if grant_type == "authorization_code":
            return self._code_grant(form)
        raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")

    def _check_client(self, request: _Request, form: dict) -> None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            if client_id == self.client_id and secret == self.client_secret:
                return
        elif form.get("client_id") == self.client_id:
            return
        raise OAuthError("invalid_client", "Invalid client")

    def _refresh_grant(self, form: dict) -> _Response:
        refresh_token = form.get("refresh_token", "")
        user_id = self._refresh_tokens.get(refresh_token)
        if user_id is None:
            raise OAuthError("invalid_grant", "Refresh token revoked")
        payload = self._token_payload(user_id)
        if self.rotate_refresh_tokens:
            del self._refresh_tokens[refresh_token]
            payload["refresh_token"] = self._new_refresh_token(user_id)
        return _Response(200, payload)

    def _code_grant(self, form: dict) -> _Response:
        code = form.get("code", "")
        if code not in self._codes:
            raise OAuthError("invalid_grant", "Invalid authorization code")
        user_id, redirect_uri = self._codes.pop(code)
        if redirect_uri is not None and form.get("redirect_uri") != redirect_uri:
            raise OAuthError("invalid_grant", "Invalid redirect URI")
        payload = self._token_payload(user_id)
        payload["refresh_token"] = self._new_refresh_token(user_id)
        return _Response(200, payload)

    def _token_payload(self, user_id: str) -> dict:
        return {
            "access_token": self._new_access_token(user_id),
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": self.scope,
        }

    def _new_access_token(self, user_id: str) -> str:
        token = "at-" + secrets.token_urlsafe(16)
        self._access_tokens[token] = user_id
        return token

    def _new_refresh_token(self, user_id: str) -> str:
        token = "rt-" + secrets.token_urlsafe(16)
        self._refresh_tokens[token] = user_id
        if user_id in self.users:
            self.users[user_id].refresh_token = token
        return token

    # ---- v1: user, top items, follows ------------------------------------------------------

    def _me(self, request: _Request) -> _Response:
        user = self.users[request.user_id]
        payload = {
            "id": user.id,
            "display_name": user.display_name,
            "type": "user",
            "uri": f"spotify:user:{user.id}",
            "href": f"{self.api_url}users/{user.id}",
            "external_urls": {"spotify": f"https://open.spotify.com/user/{user.id}"},
            "images": [],
        }
        if self.quota_mode == "extended":
            payload["email"] = user.email
        return _Response(200, payload)

    def _top_items(self, request: _Request, kind: str) -> _Response:
        time_range = request.query.get("time_range", "medium_term")
        if time_range not in TIME_RANGES:
            raise ApiError(400, "Invalid time range")
        ids = self._top.get((request.user_id, time_range), {}).get(kind, [])
        render = self._track_full if kind == "tracks" else self._artist_full
        return _Response(200, self._offset_page(request, [render(i) for i in ids], max_limit=50, default=20))

    def _following(self, request: _Request) -> _Response:
        if request.query.get("type") != "artist":
            raise ApiError(400, "Only valid type is artist")
        limit = self._limit(request, max_limit=50, default=20)
        ids = sorted(self._follows.get(request.user_id, ()))
        after = request.query.get("after")
        remaining = [i for i in ids if after is None or i > after]
        page = remaining[:limit]
        more = len(remaining) > limit
        next_url = self._url(request.path, {"type": "artist", "after": page[-1], "limit": limit}) if more else None
        artists = {
            "href": self._url(request.path, request.query),
            "items": [self._artist_full(i) for i in page],
            "next": next_url,
            "cursors": {"after": page[-1] if more else None},
            "limit": limit,
            "total": len(ids),
        }
        return _Response(200, {"artists": artists})

    # ---- v1: artists and albums ------------------------------------------------------------

    def _artist_albums(self, request: _Request, artist_id: str) -> _Response:
        if artist_id not in self.artists:
            raise ApiError(404, "Resource not found")
        if self.quota_mode == "development":
            self._limit(request, max_limit=10, default=5)
        groups = request.query.get("include_groups") or ",".join(ALBUM_GROUPS)
        wanted = [g.strip() for g in groups.split(",") if g.strip()]
        if any(g not in ALBUM_GROUPS for g in wanted):
            raise ApiError(400, "Invalid include_groups")
        found = [(self._album_group(album, artist_id), album) for album in self.albums.values()]
        found = [(group, album) for group, album in found if group in wanted]
        found.sort(key=lambda pair: pair[1]["release_date"], reverse=True)
        found.sort(key=lambda pair: ALBUM_GROUPS.index(pair[0]))
        items = [self._album_simple(album["id"], group) for group, album in found]
        default, max_limit = (5, 10) if self.quota_mode == "development" else (20, 50)
        return _Response(200, self._offset_page(request, items, max_limit=max_limit, default=default))

    def _album_group(self, album: dict, artist_id: str) -> str | None:
        if artist_id in album["artist_ids"]:
            return album["album_type"]
        if any(artist_id in self.tracks[t]["artist_ids"] for t in album["track_ids"]):
            return "appears_on"
        return None

    def _album(self, request: _Request, album_id: str) -> _Response:
        if album_id not in self.albums:
            raise ApiError(404, "Resource not found")
        return _Response(200, self._album_full(album_id))

    def _album_tracks(self, request: _Request, album_id: str) -> _Response:
        if album_id not in self.albums:
            raise ApiError(404, "Resource not found")
        items = [self._track_simple(t) for t in self.albums[album_id]["track_ids"]]
        return _Response(200, self._offset_page(request, items, max_limit=50, default=20))

    def _several_albums(self, request: _Request) -> _Response:
        if self.quota_mode == "development":
            raise ApiError(403, "Forbidden")
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids:
            raise ApiError(400, "Missing required parameter: ids")
        if len(ids) > 20:
            raise ApiError(400, "Too many ids requested")
        return _Response(200, {"albums": [self._album_full(i) if i in self.albums else None for i in ids]})

    # ---- v1: playlists ---------------------------------------------------------------------

    def _create_playlist(self, request: _Request) -> _Response:
        body = request.json() or {}
        if not isinstance(body, dict) or not body.get("name"):
            raise ApiError(400, "Missing required field: name")
        playlist = _Playlist(
            id=f"pl{next(self._ids):020d}",
            owner_id=request.user_id,
            name=body["name"],
            public=bool(body.get("public", True)),
            collaborative=bool(body.get("collaborative", False)),
            description=body.get("description") or "",
        )
        self.playlists[playlist.id] = playlist
        return _Response(201, self._playlist_json(playlist, request.user_id))

    def _create_user_playlist(self, request: _Request, user_id: str) -> _Response:
        if self.quota_mode == "development" or user_id != request.user_id:
            raise ApiError(403, "Forbidden")
        return self._create_playlist(request)

    def _removed_endpoint(self, request: _Request, *args) -> _Response:
        raise ApiError(403, "Forbidden")

    def _get_playlist(self, request: _Request, playlist_id: str) -> _Response:
        return _Response(200, self._playlist_json(self._playlist(playlist_id), request.user_id))

    def _change_playlist(self, request: _Request, playlist_id: str) -> _Response:
        playlist = self._owned_playlist(request, playlist_id)
        body = request.json() or {}
        for key in ("name", "public", "collaborative", "description"):
            if key in body:
                setattr(playlist, key, body[key])
        playlist.version += 1
        return _Response(200, None)

    def _playlist_items(self, request: _Request, playlist_id: str) -> _Response:
        playlist = self._owned_playlist(request, playlist_id)
        items = [
            {
                "added_at": added_at,
                "added_by": {"id": playlist.owner_id, "type": "user"},
                "is_local": False,
                "item": self._track_full(track_id),
            }
            for track_id, added_at in playlist.items
        ]
        return _Response(200, self._offset_page(request, items, max_limit=50, default=20))

    def _replace_items(self, request: _Request, playlist_id: str) -> _Response:
        playlist = self._owned_playlist(request, playlist_id)
        body = request.json()
        uris = body.get("uris", []) if isinstance(body, dict) else []
        if "uris" in request.query:
            uris = request.query["uris"].split(",")
        added_at = _now()
        playlist.items = [(track_id, added_at) for track_id in self._track_ids(uris)]
        playlist.version += 1
        return _Response(200, {"snapshot_id": self._snapshot(playlist)})

    def _add_items(self, request: _Request, playlist_id: str) -> _Response:
        playlist = self._owned_playlist(request, playlist_id)
        body = request.json()
        if isinstance(body, list):  # spotipy 2.26 posts a bare list of uris
            uris, position = body, None
        else:
            uris, position = (body or {}).get("uris", []), (body or {}).get("position")
        if "uris" in request.query:
            uris = request.query["uris"].split(",")
        if "position" in request.query:
            position = int(request.query["position"])
        added_at = _now()
        new = [(track_id, added_at) for track_id in self._track_ids(uris)]
        at = len(playlist.items) if position is None else position
        playlist.items[at:at] = new
        playlist.version += 1
        return _Response(201, {"snapshot_id": self._snapshot(playlist)})

    def _playlist(self, playlist_id: str) -> _Playlist:
        if playlist_id not in self.playlists:
            raise ApiError(404, "Resource not found")
        return self.playlists[playlist_id]

    def _owned_playlist(self, request: _Request, playlist_id: str) -> _Playlist:
        playlist = self._playlist(playlist_id)
        if playlist.owner_id != request.user_id:
            raise ApiError(403, "Forbidden")
        return playlist

    def _track_ids(self, uris) -> list[str]:
        if not isinstance(uris, list):
            raise ApiError(400, "uris must be a list")
        if len(uris) > 100:
            raise ApiError(400, "You can add a maximum of 100 tracks per request.")
        ids = []
        for uri in uris:
            kind, _, track_id = str(uri).removeprefix("spotify:").partition(":")
            if kind != "track" or track_id not in self.tracks:
                raise ApiError(400, f"Invalid track uri: {uri}")
            ids.append(track_id)
        return ids

    def _snapshot(self, playlist: _Playlist) -> str:
        return base64.b64encode(f"{playlist.id}:{playlist.version}".encode()).decode()

    def _playlist_json(self, playlist: _Playlist, viewer_id: str) -> dict:
        payload = {
            "id": playlist.id,
            "name": playlist.name,
            "public": playlist.public,
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "owner": {"id": playlist.owner_id, "type": "user", "uri": f"spotify:user:{playlist.owner_id}"},
            "uri": f"spotify:playlist:{playlist.id}",
            "href": f"{self.api_url}playlists/{playlist.id}",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "snapshot_id": self._snapshot(playlist),
            "images": [],
            "type": "playlist",
        }
        if viewer_id == playlist.owner_id:  # other people's playlists only carry metadata
            payload["items"] = {"href": f"{self.api_url}playlists/{playlist.id}/items", "total": len(playlist.items)}
        return payload

    # ---- JSON objects ----------------------------------------------------------------------

    def _artist_simple(self, artist_id: str) -> dict:
        artist = self.artists[artist_id]
        return {
            "id": artist_id,
            "name": artist["name"],
            "type": "artist",
            "uri": f"spotify:artist:{artist_id}",
            "href": f"{self.api_url}artists/{artist_id}",
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
        }

    def _artist_full(self, artist_id: str) -> dict:
        payload = self._artist_simple(artist_id) | {"images": []}
        if self.artists[artist_id]["genres"] is not None:
            payload["genres"] = list(self.artists[artist_id]["genres"])
        return payload

    def _track_simple(self, track_id: str) -> dict:
        track = self.tracks[track_id]
        album = self.albums.get(track["album_id"]) if track["album_id"] else None
        number = album["track_ids"].index(track_id) + 1 if album else 1
        return {
            "id": track_id,
            "name": track["name"],
            "type": "track",
            "uri": f"spotify:track:{track_id}",
            "href": f"{self.api_url}tracks/{track_id}",
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "artists": [self._artist_simple(a) for a in track["artist_ids"]],
            "duration_ms": 180000,
            "explicit": False,
            "is_local": False,
            "track_number": number,
            "disc_number": 1,
        }

    def _track_full(self, track_id: str) -> dict:
        payload = self._track_simple(track_id)
        album_id = self.tracks[track_id]["album_id"]
        if album_id:
            payload["album"] = self._album_simple(album_id)
        return payload

    def _album_simple(self, album_id: str, group: str | None = None) -> dict:
        album = self.albums[album_id]
        payload = {
            "id": album_id,
            "name": album["name"],
            "type": "album",
            "uri": f"spotify:album:{album_id}",
            "href": f"{self.api_url}albums/{album_id}",
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
            "album_type": album["album_type"],
            "release_date": album["release_date"],
            "release_date_precision": album["release_date_precision"],
            "artists": [self._artist_simple(a) for a in album["artist_ids"]],
            "total_tracks": len(album["track_ids"]),
            "images": [],
        }
        if group and self.quota_mode == "extended":
            payload["album_group"] = group
        return payload

    def _album_full(self, album_id: str) -> dict:
        tracks = [self._track_simple(t) for t in self.albums[album_id]["track_ids"]]
        path = f"/v1/albums/{album_id}/tracks"
        page = self._page(tracks, path, {}, limit=50, offset=0)
        return self._album_simple(album_id) | {"tracks": page}

    # ---- paging ----------------------------------------------------------------------------

    def _limit(self, request: _Request, *, max_limit: int, default: int) -> int:
        try:
            limit = int(request.query.get("limit", default))
        except ValueError:
            raise ApiError(400, "Invalid limit") from None
        if not 1 <= limit <= max_limit:
            raise ApiError(400, "Invalid limit")
        return limit

    def _offset_page(self, request: _Request, items: list, *, max_limit: int, default: int) -> dict:
        limit = self._limit(request, max_limit=max_limit, default=default)
        try:
            offset = int(request.query.get("offset", 0))
        except ValueError:
            raise ApiError(400, "Invalid offset") from None
        if offset < 0:
            raise ApiError(400, "Invalid offset")
        return self._page(items, request.path, request.query, limit=limit, offset=offset)

    def _page(self, items: list, path: str, query: dict, *, limit: int, offset: int) -> dict:
        def link(at: int) -> str:
            return self._url(path, {**query, "offset": at, "limit": limit})

        return {
            "href": link(offset),
            "items": items[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "total": len(items),
            "next": link(offset + limit) if offset + limit < len(items) else None,
            "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        }

    def _url(self, path: str, query: dict) -> str:
        return f"{self.base_url}{path}?{urlencode(query)}" if query else f"{self.base_url}{path}"

    @staticmethod
    def _check_known(table: dict, ids, kind: str) -> None:
        unknown = [i for i in ids if i not in table]
        if unknown:
            raise ValueError(f"unknown {kind} ids: {unknown}")

    # ---- HTTP ------------------------------------------------------------------------------

    def _handler(self):
        spotify = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold every keep-alive answer back about 40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def do_PUT(self) -> None:
                self._answer()

            def do_DELETE(self) -> None:
                self._answer()

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = _Request(
                    method=self.command,
                    path=parts.path.rstrip("/") or "/",
                    query=dict(parse_qsl(parts.query)),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with spotify._lock:
                    spotify.in_flight += 1
                    spotify.max_in_flight = max(spotify.max_in_flight, spotify.in_flight)
                try:
                    if request.path.startswith("/v1/") and spotify.latency:
                        spotify._stopping.wait(spotify.latency)
                    self._send(spotify._handle(request))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with spotify._lock:
                        spotify.in_flight -= 1

            def _send(self, response: _Response) -> None:
                if response.drop:
                    self.close_connection = True  # nothing written: the client reads an empty answer
                    return
                payload = response.payload
                if payload is None:
                    data = b""
                elif isinstance(payload, bytes):
                    data = payload
                elif isinstance(payload, str):
                    data = payload.encode()
                else:
                    data = json.dumps(payload).encode()
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if data:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
