"""Spotify's Web API through spotipy, as the jobs use it: tokens, rate limits, retries, paging, counting.

* **Base URLs from settings.** `SPOTIFY_API_BASE_URL` becomes spotipy's `prefix` (it has no
  constructor argument for it) and `SPOTIFY_ACCOUNTS_BASE_URL` + `api/token` the OAuth token URL,
  so the tests' fake Spotify is reached exactly as the real one.
* **Access tokens** come from the account's refresh token (`SpotifyOAuth.refresh_access_token`,
  with an in-memory cache handler so nothing is written to a `.cache` file) and are kept in the
  shared cache, encrypted like the refresh token, until a minute before they expire. A refresh
  that returns a new refresh token hands it to `on_new_refresh_token` (most return none: the old
  one stays). `invalid_grant` (the user revoked the app, or six months passed) raises `Revoked`.
  A client made with `cache_tokens=False` (the check of a token a user gives) neither reads nor
  writes that cache: it refreshes with the token it was given, so what it reads is that token's
  account, never one whose access token another check left in the cache.
* **No sleeping inside spotipy.** It is given a plain `requests.Session`, on which it mounts no
  retrying adapter (with its own, urllib3 would sleep a whole `Retry-After`, an hour in spotipy's
  issue #766, and a 500 would come back as a 429 without one), so every answer reaches this module
  as Spotify sent it. A 429 pauses the
  shared budget (`core.pacing`, in Redis when configured) for its `Retry-After`, so every worker
  process waits, and the same request is tried again after the pause; a `Retry-After` over
  `SPOTIFY_MAX_WAIT_SECONDS` raises `core.jobs.Deferred` instead, so the task is sent again later
  and no worker is held. A 429 whose message is `QUOTA_EXCEEDED` raises `QuotaExceeded`: waiting
  does not help there. 5xx answers and connection errors are retried with exponential backoff
  (1, 2, 4, 8 s; four times at most); when they persist, or the accounts service cannot be
  reached or fails, `SpotifyUnavailable` is raised: a built-in `ConnectionError`, so
  `core.jobs.is_transient` has the job's task retried later with the shared backoff.
* **Counting.** `requests` counts every Web API request made, so the jobs can report and bound it.
* **Not configured.** Without `SPOTIFY_CLIENT_ID`, `SPOTIFY_CLIENT_SECRET` and `SPOTIFY_REDIRECT_URI`
  (`is_configured`) nothing is asked of Spotify: `oauth()` raises `NotConfigured` (a `SpotifyError`,
  so a job's run fails with `NOT_CONFIGURED` rather than retrying), and no consent URL is ever made
  with placeholder values.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import requests
import spotipy
from django.conf import settings
from django.core.cache import cache
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException
from spotipy.oauth2 import SpotifyOAuth, SpotifyOauthError

from core import health
from core.jobs import Deferred
from core.pacing import Pace, retry_after_seconds
from wrapped import crypto

SCOPES = "user-top-read user-follow-read playlist-read-private playlist-modify-private playlist-modify-public"
SERVER_ERROR_RETRIES = 4
TIMEOUT_SECONDS = 10
REQUIRED_SETTINGS = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI")
NOT_CONFIGURED = f"Spotify is not configured on this server ({', '.join(REQUIRED_SETTINGS)})."


class SpotifyError(Exception):
    """Spotify refused or failed a request in a way that retrying now will not fix; the message says why."""


class Revoked(SpotifyError):
    """The refresh token no longer works: the user must link Spotify again."""


class QuotaExceeded(SpotifyError):
    """Spotify says the app's quota is used up (429 QUOTA_EXCEEDED): not a pause to wait out."""


class NotConfigured(SpotifyError):
    """The server has no Spotify app credentials: nothing can be asked of Spotify, now or on a retry."""


class SpotifyUnavailable(ConnectionError):
    """Spotify could not be reached, or kept failing (5xx), through this client's own retries.

    A `ConnectionError` (an `OSError`) on purpose: `core.jobs.is_transient` counts it as an outage,
    so a job's task is retried later with the shared backoff. The message says what happened.
    """


def spotify_pace() -> Pace:
    """The app's request budget, shared by every worker: Spotify counts over a rolling 30 s."""
    return Pace("spotify", limit=settings.SPOTIFY_REQUESTS_PER_30_SECONDS, period=30)


def missing_settings() -> list[str]:
    """The names of the Spotify app's settings that are empty."""
    return [name for name in REQUIRED_SETTINGS if not getattr(settings, name, "")]


def is_configured() -> bool:
    """Whether the server has the Spotify app's id, secret and redirect URI."""
    return not missing_settings()


def health_check() -> dict:
    """/api/health/'s `spotify`: whether the app's settings are there; Spotify itself is not asked.

    A probe every few seconds would spend the app's request budget, and Spotify being out of reach
    is not this server being down (the runs retry it).
    """
    missing = missing_settings()
    if missing:
        return {"status": health.NOT_CONFIGURED, "missing": missing}
    return {"status": "ok"}


def oauth() -> SpotifyOAuth:
    """spotipy's OAuth manager for the app; NotConfigured without its settings (never a placeholder)."""
    if not is_configured():
        raise NotConfigured(NOT_CONFIGURED)
    manager = SpotifyOAuth(
        client_id=settings.SPOTIFY_CLIENT_ID,
        client_secret=settings.SPOTIFY_CLIENT_SECRET,
        redirect_uri=settings.SPOTIFY_REDIRECT_URI,
        scope=SCOPES,
        cache_handler=MemoryCacheHandler(),
        open_browser=False,
        requests_timeout=TIMEOUT_SECONDS,
    )
    base = settings.SPOTIFY_ACCOUNTS_BASE_URL.rstrip("/")
    manager.OAUTH_AUTHORIZE_URL = f"{base}/authorize"
    manager.OAUTH_TOKEN_URL = f"{base}/api/token"
    return manager


class SpotifyClient:
    """One account's session with the Web API: a fresh access token, the shared budget, the count."""

    def __init__(
        self,
        *,
        account_id: int | None,
        refresh_token: str,
        on_new_refresh_token: Callable[[str], None] = lambda token: None,
        pace: Pace | None = None,
        sleep: Callable[[float], None] | None = None,
        cache_tokens: bool = True,
    ) -> None:
        if cache_tokens and account_id is None:
            raise ValueError("a client that caches access tokens needs the account's id to key them")
        self.account_id = account_id
        self.cache_tokens = cache_tokens
        self._refresh_token = refresh_token
        self._on_new_refresh_token = on_new_refresh_token
        self.pace = pace or spotify_pace()
        self.sleep = sleep or time.sleep
        self.requests = 0
        self._spotify: spotipy.Spotify | None = None
        self._session = requests.Session()

    # --- tokens --------------------------------------------------------------------------------

    def _cache_key(self) -> str:
        return f"wrapped:access-token:{self.account_id}"

    def _access_token(self, *, fresh: bool = False) -> str:
        if self.cache_tokens and not fresh:
            cached = cache.get(self._cache_key())
            if cached:
                try:
                    return crypto.decrypt(cached)
                except crypto.TokenUnreadable:
                    pass
        try:
            answer = oauth().refresh_access_token(self._refresh_token)
        except SpotifyOauthError as error:
            if getattr(error, "error", None) == "invalid_grant":
                raise Revoked("Spotify no longer accepts this account's authorisation; link Spotify again.") from None
            # spotipy raises this while handling the HTTPError: a 5xx is the service failing, not refusing.
            status = getattr(getattr(error.__context__, "response", None), "status_code", None) or 0
            if status >= 500:
                raise SpotifyUnavailable(
                    f"Spotify's accounts service failed to refresh the access token (HTTP {status})."
                ) from None
            raise SpotifyError(f"Spotify's accounts service refused the token refresh ({error.error}).") from None
        except requests.RequestException as error:
            raise SpotifyUnavailable(
                f"Spotify's accounts service could not be reached ({type(error).__name__})."
            ) from None
        rotated = answer.get("refresh_token")
        if rotated and rotated != self._refresh_token:
            self._refresh_token = rotated
            self._on_new_refresh_token(rotated)
        token = answer["access_token"]
        if self.cache_tokens:
            lifetime = max(int(answer.get("expires_in", 3600)) - 60, 1)
            cache.set(self._cache_key(), crypto.encrypt(token), timeout=lifetime)
        return token

    def _client(self, *, fresh: bool = False) -> spotipy.Spotify:
        if self._spotify is None or fresh:
            # A plain requests session: spotipy mounts its retrying adapter only on a session it
            # makes itself, and with it a 429 would sleep inside urllib3 and a 500 come back as a
            # header-less 429 ("Max Retries"). Here every answer reaches `call` as it was.
            spotify = spotipy.Spotify(
                auth=self._access_token(fresh=fresh),
                requests_session=self._session,
                requests_timeout=TIMEOUT_SECONDS,
            )
            spotify.prefix = settings.SPOTIFY_API_BASE_URL
            self._spotify = spotify
        return self._spotify

    # --- one request ----------------------------------------------------------------------------

    def call(self, method: str, *args, **kwargs):
        """`spotipy.Spotify.<method>(*args, **kwargs)` under the rules of the module docstring."""
        server_errors = 0
        refreshed = False
        while True:
            wait = self.pace.paused_for()
            if wait > settings.SPOTIFY_MAX_WAIT_SECONDS:
                raise Deferred(wait, "Spotify asked to wait")
            self.pace.acquire()
            self.requests += 1
            try:
                return getattr(self._client(), method)(*args, **kwargs)
            except SpotifyException as error:
                if error.http_status == 429:
                    if "QUOTA_EXCEEDED" in str(error.msg) or "QUOTA_EXCEEDED" in str(getattr(error, "reason", "")):
                        raise QuotaExceeded("Spotify says the app's request quota is used up.") from None
                    seconds = retry_after_seconds((error.headers or {}).get("Retry-After"), default=30.0)
                    self.pace.pause(seconds)
                    if seconds > settings.SPOTIFY_MAX_WAIT_SECONDS:
                        raise Deferred(seconds, "Spotify answered 429") from None
                    continue
                if error.http_status == 401 and not refreshed:
                    refreshed = True
                    self._client(fresh=True)
                    continue
                if error.http_status >= 500:
                    if server_errors < SERVER_ERROR_RETRIES:
                        self.sleep(2**server_errors)
                        server_errors += 1
                        continue
                    raise SpotifyUnavailable(
                        f"Spotify's Web API kept failing: HTTP {error.http_status} to {SERVER_ERROR_RETRIES + 1} "
                        f"tries of one request."
                    ) from None
                raise
            except requests.RequestException as error:
                if server_errors >= SERVER_ERROR_RETRIES:
                    raise SpotifyUnavailable(
                        f"Spotify's Web API could not be reached ({type(error).__name__}, "
                        f"{SERVER_ERROR_RETRIES + 1} tries of one request)."
                    ) from None
                self.sleep(2**server_errors)
                server_errors += 1

    @property
    def refresh_token(self) -> str:
        """The refresh token in use: the one given, or the one a refresh rotated it to."""
        return self._refresh_token

    def close(self) -> None:
        self._session.close()

    def pages(self, first: dict, *, key: str | None = None) -> Iterator[dict]:
        """Every item of a paged answer, following `next` (`key` names the wrapper, as `artists`)."""
        page = first[key] if key else first
        while True:
            yield from page.get("items") or []
            if not page.get("next"):
                return
            answer = self.call("next", page)
            page = answer[key] if key else answer
