"""Linking a Spotify account: the OAuth authorisation code flow with a signed state, or a refresh token.

`authorize_url(user)` is Spotify's consent page for the app with a `state` that names the user,
carries a random nonce and is signed (django.core.signing, 10 minutes). The front end that Spotify
sends back to (`SPOTIFY_REDIRECT_URI`) passes `code` and `state` to the callback, which links the
account only when the state is intact, fresh, unused (its nonce is burnt in the shared cache on
first use) and names the user who calls. The code is exchanged for tokens, `GET /me` names the
Spotify user, and the refresh token is stored encrypted. A refresh token can also be given
directly (the old backend's way), checked the same way before it is stored.

The check is a client of its own that shares no cached access token (`cache_tokens=False`): it
refreshes with the very token given and asks `GET /me` with what that refresh returned, so the
answer names the account the token belongs to. A token Spotify refuses is a 400 and nothing is
stored. A user already linked stays linked to that Spotify account: a token (or a code) of
another one is a 409, and the link moves only through an explicit unlink (`DELETE`).

Without the Spotify app's settings (`client.is_configured`) each of these refuses first, before
any state is read or burnt: a 503 `SpotifyNotConfigured` whose body carries
`"code": "spotify_not_configured"` beside its `detail`, so a client can tell it from an outage.
"""

from __future__ import annotations

import secrets

import requests
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from spotipy.exceptions import SpotifyException
from spotipy.oauth2 import SpotifyOauthError

from core.errors import Conflict, Invalid, UpstreamUnavailable
from core.jobs import Deferred
from wrapped import client as spotify
from wrapped.models import SpotifyAccount

STATE_SALT = "wrapped.linking.state"
STATE_MAX_AGE = 600
OTHER_ACCOUNT = (
    "This token belongs to Spotify account {given}, and this user is linked to Spotify account {linked}; "
    "unlink first (DELETE /api/wrapped/account/) to link another account."
)
TAKEN = "This Spotify account is linked to another user here."
NOT_CONFIGURED_CODE = "spotify_not_configured"
AT_ONCE = "Another request linked this user or this Spotify account at the same moment; read your account and retry."


class SpotifyNotConfigured(UpstreamUnavailable):
    """503: the server has no Spotify app credentials, so nothing that asks Spotify can work here."""

    default_detail = spotify.NOT_CONFIGURED
    default_code = NOT_CONFIGURED_CODE

    def __init__(self) -> None:
        # DRF sends a dict detail as the body itself: the code reaches the client beside `detail`.
        super().__init__({"detail": self.default_detail, "code": self.default_code})


def require_configured() -> None:
    """Raise SpotifyNotConfigured (503) unless the server has the Spotify app's settings."""
    if not spotify.is_configured():
        raise SpotifyNotConfigured()


def authorize_url(user) -> str:
    require_configured()
    nonce = secrets.token_urlsafe(16)
    state = signing.dumps({"u": str(user.pk), "n": nonce}, salt=STATE_SALT, compress=True)
    return spotify.oauth().get_authorize_url(state=state)


def _check_state(user, state: str) -> None:
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise Invalid({"state": ["This authorisation has expired; start again."]}) from None
    except signing.BadSignature:
        raise Invalid({"state": ["This state was not issued by this server."]}) from None
    if not isinstance(payload, dict) or payload.get("u") != str(user.pk) or not isinstance(payload.get("n"), str):
        raise Invalid({"state": ["This state was issued to another user."]})
    if not cache.add(f"wrapped:state-used:{payload['n']}", 1, timeout=STATE_MAX_AGE + 60):
        raise Invalid({"state": ["This authorisation was already used; start again."]})


def link_with_code(*, user, code: str, state: str) -> SpotifyAccount:
    require_configured()  # before the state is checked: a refusal here leaves it unused
    _check_state(user, state)
    manager = spotify.oauth()
    try:
        manager.get_access_token(code, as_dict=False, check_cache=False)
        tokens = manager.cache_handler.get_cached_token()  # the whole answer, refresh token included
    except SpotifyOauthError as error:
        raise Invalid({"code": [f"Spotify refused the code ({error.error})."]}) from None
    except requests.RequestException:
        raise UpstreamUnavailable("Spotify's accounts service could not be reached; try again.") from None
    return link_with_refresh_token(user=user, refresh_token=tokens["refresh_token"])


def link_with_refresh_token(*, user, refresh_token: str) -> SpotifyAccount:
    """Check the token with Spotify (its own refresh and `GET /me`), then store it for `user`."""
    require_configured()
    profile, token = _whose(refresh_token)
    try:
        with transaction.atomic():
            account = SpotifyAccount.objects.select_for_update().filter(user=user).first()
            if account is not None and account.spotify_user_id != profile["id"]:
                raise Conflict({"detail": OTHER_ACCOUNT.format(given=profile["id"], linked=account.spotify_user_id)})
            if SpotifyAccount.objects.filter(spotify_user_id=profile["id"]).exclude(user=user).exists():
                raise Conflict({"detail": TAKEN})
            account = account or SpotifyAccount(user=user)
            account.spotify_user_id = profile["id"]
            account.display_name = profile.get("display_name") or ""
            account.email = profile.get("email") or ""
            account.set_refresh_token(token)
            account.needs_reauth = False
            account.authorized_at = timezone.now()
            account.save()
    except IntegrityError:  # the unique user or Spotify account, taken by a request that committed first
        raise Conflict({"detail": AT_ONCE}) from None
    cache.delete(f"wrapped:access-token:{account.pk}")  # the jobs' cached access token of the old refresh token
    return account


def _whose(refresh_token: str) -> tuple[dict, str]:
    """The Spotify profile of the token's account, and the token to keep (a refresh may rotate it)."""
    # Nothing cached is read or written: the access token /me is asked with comes from this refresh.
    session = spotify.SpotifyClient(account_id=None, refresh_token=refresh_token, cache_tokens=False)
    try:
        profile = session.call("me")
    except spotify.Revoked:
        raise Invalid({"refresh_token": ["Spotify does not accept this refresh token."]}) from None
    except (spotify.SpotifyError, Deferred, ConnectionError, requests.RequestException, SpotifyException) as error:
        raise UpstreamUnavailable(f"Spotify could not check the token ({type(error).__name__}); try again.") from None
    finally:
        session.close()
    return profile, session.refresh_token


def unlink(*, user) -> None:
    account = SpotifyAccount.objects.filter(user=user).first()
    if account is not None:
        cache.delete(f"wrapped:access-token:{account.pk}")
        account.delete()
