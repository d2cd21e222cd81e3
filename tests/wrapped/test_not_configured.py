"""A server without Spotify app settings: what needs Spotify says so (503 with a code), the rest works.

The fake Spotify runs and the Web API and accounts URLs point at it, so a request made despite the
missing settings would show in its log: every test here also checks that Spotify was asked nothing.
"""

import json
from datetime import date

import pytest
from django.core import signing

from tests.factories import ReleaseRadarWeekFactory, SpotifyAccountFactory, WrappedMonthFactory
from tests.fakes.spotify import FakeSpotify
from wrapped import linking, tasks
from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth

pytestmark = pytest.mark.django_db

SENTENCE = "Spotify is not configured on this server (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET, SPOTIFY_REDIRECT_URI)."
NOT_CONFIGURED = {"detail": SENTENCE, "code": "spotify_not_configured"}


@pytest.fixture
def spotify(settings):
    """The fake Spotify, reachable, while the app's id, secret and redirect URI are unset (env_str gives "")."""
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings)
        settings.SPOTIFY_CLIENT_ID = settings.SPOTIFY_CLIENT_SECRET = settings.SPOTIFY_REDIRECT_URI = ""
        yield fake


def a_state_for(user) -> str:
    """A state as GET /spotify/authorize/ signs it (that endpoint is refused here)."""
    return signing.dumps({"u": str(user.pk), "n": "nonce-1"}, salt=linking.STATE_SALT, compress=True)


def test_linking_answers_503_with_the_code_and_hands_out_no_url(client_a, user, spotify):
    authorize = client_a.get("/api/wrapped/spotify/authorize/")
    callback = client_a.get("/api/wrapped/spotify/callback/", {"code": "a-code", "state": a_state_for(user)})
    put = client_a.put("/api/wrapped/account/", {"refresh_token": "rt", "active_wrapped": False}, format="json")
    patch = client_a.patch("/api/wrapped/account/", {"refresh_token": "rt"}, format="json")

    for response in (authorize, callback, put, patch):
        assert response.status_code == 503, response.content
        assert response.json() == NOT_CONFIGURED
        assert b"unset" not in response.content and b"authorize_url" not in response.content
    assert not SpotifyAccount.objects.exists()
    assert spotify.requests == []


def test_a_refused_callback_leaves_its_state_usable_once_spotify_is_configured(client_a, user, spotify, settings):
    state = a_state_for(user)
    spotify.add_user("sp-user", display_name="DJ", email="dj@example.com", refresh_token="rt")
    assert client_a.get("/api/wrapped/spotify/callback/", {"code": "c", "state": state}).status_code == 503

    spotify.point_settings_at_me(settings)  # the operator sets the app up
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-user"), "state": state})

    assert response.status_code == 200, response.content
    assert SpotifyAccount.objects.get(user=user).spotify_user_id == "sp-user"


def test_what_is_stored_still_reads_and_the_flags_still_change(client_a, user, spotify):
    SpotifyAccountFactory(user=user, spotify_user_id="sp-user")
    WrappedMonthFactory(user=user, status="done", month_key="2026-10")
    ReleaseRadarWeekFactory(user=user, status="done", week_start=date(2026, 11, 22))

    reads = [
        client_a.get(path)
        for path in (
            "/api/wrapped/",
            "/api/wrapped/account/",
            "/api/wrapped/months/2026-10/",
            "/api/wrapped/years/2026/",
            "/api/wrapped/release-radar/",
        )
    ]
    flags = client_a.put("/api/wrapped/account/", {"active_release_radar": False}, format="json")
    enrollment = client_a.post("/api/wrapped/enrollment/", {"active_wrapped": False}, format="json")
    linking_again = client_a.put("/api/wrapped/account/", {"refresh_token": "rt-new"}, format="json")

    assert [response.status_code for response in reads] == [200] * 5
    assert reads[2].json()["month_key"] == "2026-10"
    assert (flags.status_code, flags.json()["active_release_radar"]) == (200, False)
    assert (enrollment.status_code, enrollment.json()["active_wrapped"]) == (200, False)
    assert linking_again.json() == NOT_CONFIGURED
    assert SpotifyAccount.objects.get(user=user).refresh_token() != "rt-new"
    assert client_a.delete("/api/wrapped/account/").status_code == 204
    assert spotify.requests == []


def test_the_beat_runs_fail_with_the_sentence_and_ask_spotify_nothing(spotify, django_capture_on_commit_callbacks):
    account = SpotifyAccountFactory()

    with django_capture_on_commit_callbacks(execute=True):  # the fan-outs send each run's task at commit
        assert tasks.wrapped_monthly.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.release_radar_weekly.apply().get() == 1

    month = WrappedMonth.objects.get(user=account.user)
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert (month.status, month.error) == ("failed", SENTENCE)
    assert (week.status, week.error) == ("failed", SENTENCE)
    assert month.attempts == week.attempts == 1  # failed at once, not retried as an outage
    assert spotify.requests == []
    account.refresh_from_db()
    assert not account.needs_reauth  # the account did nothing wrong


def test_the_schema_documents_the_503_and_its_code(client_a):
    schema = json.loads(client_a.get("/api/schema/", {"output_format": "json"}).content)
    component = schema["components"]["schemas"]["SpotifyUnavailable"]
    operations = [
        ("/api/wrapped/spotify/authorize/", "get"),
        ("/api/wrapped/spotify/callback/", "get"),
        ("/api/wrapped/account/", "put"),
        ("/api/wrapped/account/", "patch"),
    ]

    for path, method in operations:
        refused = schema["paths"][path][method]["responses"]["503"]
        assert refused["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SpotifyUnavailable"}
        assert "spotify_not_configured" in refused["description"]
    code = component["properties"]["code"]
    code = schema["components"]["schemas"][code["allOf"][0]["$ref"].rsplit("/", 1)[1]] if "allOf" in code else code
    assert code["enum"] == ["spotify_not_configured"]
    assert component["required"] == ["detail"]
    for path, method in [("/api/wrapped/months/{month_key}/", "get"), ("/api/wrapped/account/", "get")]:
        assert "503" not in schema["paths"][path][method]["responses"]
