"""Spotify refresh tokens at rest: encrypted in the column, readable with any configured key, rotatable."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from tests.factories import SpotifyAccountFactory
from wrapped import crypto
from wrapped.models import REFRESH_TOKEN_LIFETIME, SpotifyAccount

pytestmark = pytest.mark.django_db

TOKEN = "AQD-a-refresh-token-of-the-kind-Spotify-issues-0123456789"


def raw_column(account_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT refresh_token_encrypted FROM wrapped_spotifyaccount WHERE id = %s", [account_id])
        return cursor.fetchone()[0]


def test_the_column_holds_ciphertext_not_the_token():
    account = SpotifyAccountFactory()
    account.set_refresh_token(TOKEN)
    account.save()
    raw = raw_column(account.pk)
    assert TOKEN not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert SpotifyAccount.objects.get(pk=account.pk).refresh_token() == TOKEN


def test_the_same_token_encrypts_differently_each_time():
    assert crypto.encrypt(TOKEN) != crypto.encrypt(TOKEN)


def test_without_keys_of_its_own_the_key_comes_from_the_secret_key(settings):
    settings.SPOTIFY_TOKEN_KEYS = []
    value = crypto.encrypt(TOKEN)
    assert Fernet(crypto.derived_key(settings.SECRET_KEY)).decrypt(value.encode()).decode() == TOKEN
    settings.SECRET_KEY = "another-secret-key-entirely-different-0123456789"
    with pytest.raises(crypto.TokenUnreadable):
        crypto.decrypt(value)


def test_keys_rotate_newest_first_and_the_command_re_encrypts_every_row(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SPOTIFY_TOKEN_KEYS = [old]
    accounts = [SpotifyAccountFactory() for _ in range(3)]
    for n, account in enumerate(accounts):
        account.set_refresh_token(f"{TOKEN}-{n}")
        account.save()
    assert Fernet(old).decrypt(raw_column(accounts[0].pk).encode())

    settings.SPOTIFY_TOKEN_KEYS = [new, old]  # the new key first: old tokens still read
    assert SpotifyAccount.objects.get(pk=accounts[1].pk).refresh_token() == f"{TOKEN}-1"
    out = io.StringIO()
    call_command("rotate_spotify_keys", stdout=out)
    assert "3 tokens re-encrypted" in out.getvalue()

    settings.SPOTIFY_TOKEN_KEYS = [new]  # the old key dropped: every row reads with the new one alone
    for n, account in enumerate(accounts):
        assert Fernet(new).decrypt(raw_column(account.pk).encode()).decode() == f"{TOKEN}-{n}"
        assert SpotifyAccount.objects.get(pk=account.pk).refresh_token() == f"{TOKEN}-{n}"


def test_a_row_no_key_reads_is_reported_and_left_alone(settings):
    settings.SPOTIFY_TOKEN_KEYS = [Fernet.generate_key().decode()]
    account = SpotifyAccountFactory()
    account.set_refresh_token(TOKEN)
    account.save()
    before = raw_column(account.pk)
    settings.SPOTIFY_TOKEN_KEYS = [Fernet.generate_key().decode()]
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("rotate_spotify_keys", stdout=io.StringIO(), stderr=err)
    assert f"account {account.pk}: unreadable" in err.getvalue() and TOKEN not in err.getvalue()
    assert raw_column(account.pk) == before


def test_a_malformed_key_names_its_place(settings):
    settings.SPOTIFY_TOKEN_KEYS = [Fernet.generate_key().decode(), "not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="entry 2"):
        crypto.encrypt(TOKEN)


def test_the_account_says_when_re_linking_is_due():
    account = SpotifyAccountFactory()
    assert account.reauth_due_at == account.authorized_at + REFRESH_TOKEN_LIFETIME
    assert REFRESH_TOKEN_LIFETIME.days == 182


def test_the_token_is_not_in_the_accounts_text():
    account = SpotifyAccountFactory()
    account.set_refresh_token(TOKEN)
    assert TOKEN not in str(account) and TOKEN not in repr(account)
