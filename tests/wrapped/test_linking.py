"""Re-linking checks the token it is given, against the fake Spotify holding two people's accounts.

Each check must refresh with the given token itself: the fake counts its token-endpoint hits, so a
check that read an access token cached by an earlier one (the account it names) fails these tests.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.spotify import FakeSpotify
from wrapped.models import SpotifyAccount

pytestmark = pytest.mark.django_db

ACCOUNT = "/api/wrapped/account/"


@pytest.fixture
def spotify(settings):
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings, redirect_uri="http://127.0.0.1:4200/spotify/callback")
        fake.add_user("sp-alice", display_name="Alice", email="alice@example.com", refresh_token="rt-alice")
        fake.add_user("sp-bob", display_name="Bob", email="bob@example.com", refresh_token="rt-bob")
        yield fake


@pytest.fixture
def linked_as_bob(client_a, user, spotify):
    assert client_a.put(ACCOUNT, {"refresh_token": "rt-bob"}, format="json").status_code == 200
    return SpotifyAccount.objects.get(user=user)


def stored(user) -> tuple[str, str]:
    account = SpotifyAccount.objects.get(user=user)
    return account.spotify_user_id, account.refresh_token()


def test_another_persons_token_is_a_409_and_the_account_keeps_its_own(client_a, user, spotify, linked_as_bob):
    before = spotify.token_requests
    response = client_a.put(ACCOUNT, {"refresh_token": "rt-alice"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This token belongs to Spotify account sp-alice, and this user is linked to Spotify account sp-bob; "
        "unlink first (DELETE /api/wrapped/account/) to link another account."
    )
    assert spotify.token_requests == before + 1  # refreshed with Alice's token, not a cached one of Bob's
    assert stored(user) == ("sp-bob", "rt-bob")

    # The link moves through an explicit unlink only.
    assert client_a.delete(ACCOUNT).status_code == 204
    assert client_a.put(ACCOUNT, {"refresh_token": "rt-alice"}, format="json").status_code == 200
    assert stored(user) == ("sp-alice", "rt-alice")


def test_a_token_spotify_refuses_is_a_400_and_nothing_is_stored(client_a, user, spotify, linked_as_bob):
    before = spotify.token_requests
    response = client_a.put(ACCOUNT, {"refresh_token": "garbage", "active_wrapped": False}, format="json")
    assert response.status_code == 400
    assert response.json()["refresh_token"] == ["Spotify does not accept this refresh token."]
    assert spotify.token_requests == before + 1
    assert stored(user) == ("sp-bob", "rt-bob")
    assert SpotifyAccount.objects.get(user=user).active_wrapped is True  # the flags of a refused request neither


def test_a_new_token_of_the_same_account_replaces_the_stored_one(client_a, user, spotify, linked_as_bob):
    newer = spotify.issue_refresh_token("sp-bob")  # Bob consented again
    before = spotify.token_requests
    response = client_a.put(ACCOUNT, {"refresh_token": newer}, format="json")
    assert response.status_code == 200 and response.json()["spotify_user_id"] == "sp-bob"
    assert spotify.token_requests == before + 1
    assert stored(user) == ("sp-bob", newer)


def test_a_callback_code_of_another_account_is_a_409(client_a, user, spotify, linked_as_bob):
    url = urlsplit(client_a.get("/api/wrapped/spotify/authorize/").json()["authorize_url"])
    state = parse_qs(url.query)["state"][0]
    before = spotify.token_requests
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-alice"), "state": state})
    assert response.status_code == 409
    assert "belongs to Spotify account sp-alice" in response.json()["detail"]
    assert spotify.token_requests == before + 2  # the code's exchange, then the check's own refresh
    assert stored(user) == ("sp-bob", "rt-bob")


def test_a_callback_code_of_the_same_account_re_links(client_a, user, spotify, linked_as_bob):
    url = urlsplit(client_a.get("/api/wrapped/spotify/authorize/").json()["authorize_url"])
    state = parse_qs(url.query)["state"][0]
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-bob"), "state": state})
    assert response.status_code == 200
    account_id, token = stored(user)
    assert account_id == "sp-bob" and token == spotify.users["sp-bob"].refresh_token != "rt-bob"


def test_an_account_linked_to_another_user_is_a_409(client_a, client_b, other_user, spotify, linked_as_bob):
    response = client_b.put(ACCOUNT, {"refresh_token": "rt-bob"}, format="json")
    assert response.status_code == 409 and "linked to another user" in response.json()["detail"]
    assert not SpotifyAccount.objects.filter(user=other_user).exists()
