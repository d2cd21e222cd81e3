"""Spotify refresh tokens encrypted at rest: Fernet with keys from settings, rotatable.

`SPOTIFY_TOKEN_KEYS` lists Fernet keys (url-safe base64 of 32 bytes, `Fernet.generate_key()`),
newest first. Tokens are encrypted with the first and read with any of them (`MultiFernet`), so
a key is rotated by putting a new one first, running `manage.py rotate_spotify_keys` (which
re-encrypts every row with it), and then dropping the old one. A key derived from
`DJANGO_SECRET_KEY` (HMAC-SHA256 with its own salt) is always tried last and is the only key
when `SPOTIFY_TOKEN_KEYS` is empty: a deployment works without a second secret, and moves to its
own keys with one rotation.

A token is never logged, never returned by the API and never passed to a task: tasks take an
account id and decrypt in the worker.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

SALT = "wrapped.crypto.spotify-refresh-token"


class TokenUnreadable(Exception):
    """A stored token that none of the configured keys can read (a key was dropped too early)."""


def derived_key(secret_key: str) -> bytes:
    digest = salted_hmac(SALT, "fernet-key", secret=secret_key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    fernets = []
    for index, key in enumerate(keys):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"SPOTIFY_TOKEN_KEYS entry {index + 1} is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from None
    fernets.append(Fernet(derived_key(secret_key)))
    return MultiFernet(fernets)


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.SPOTIFY_TOKEN_KEYS), settings.SECRET_KEY)


def encrypt(token: str) -> str:
    return cipher().encrypt(token.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    try:
        return cipher().decrypt(value.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise TokenUnreadable("The stored Spotify token cannot be read with the configured keys.") from None


def rotate(value: str) -> str:
    """The same token encrypted with the newest key."""
    try:
        return cipher().rotate(value.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        raise TokenUnreadable("The stored Spotify token cannot be read with the configured keys.") from None
