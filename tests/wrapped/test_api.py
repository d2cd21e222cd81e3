"""The wrapped API: linking (the OAuth flow and a refresh token), enrollment, months, years, weeks."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import bearer_client
from tests.factories import ReleaseRadarWeekFactory, SpotifyAccountFactory, UserFactory, WrappedMonthFactory
from tests.fakes.spotify import FakeSpotify
from wrapped.models import SpotifyAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def spotify(settings):
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings, redirect_uri="http://127.0.0.1:4200/spotify/callback")
        yield fake


def authorize(client) -> str:
    response = client.get("/api/wrapped/spotify/authorize/")
    assert response.status_code == 200
    url = urlsplit(response.json()["authorize_url"])
    query = parse_qs(url.query)
    assert url.path.endswith("/authorize")
    assert query["redirect_uri"] == ["http://127.0.0.1:4200/spotify/callback"]
    assert "user-top-read" in query["scope"][0] and "playlist-modify-private" in query["scope"][0]
    return query["state"][0]


def test_the_oauth_flow_links_the_account_and_the_state_works_once(client_a, user, spotify):
    spotify.add_user("sp-user", display_name="DJ", email="dj@example.com", refresh_token="rt-unused")
    state = authorize(client_a)
    code = spotify.issue_code("sp-user")
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": code, "state": state})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["spotify_user_id"] == "sp-user" and body["display_name"] == "DJ"
    assert "refresh_token" not in body and "refresh_token_encrypted" not in body
    account = SpotifyAccount.objects.get(user=user)
    assert account.refresh_token() and account.refresh_token() not in account.refresh_token_encrypted

    replay = client_a.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-user"), "state": state})
    assert replay.status_code == 400 and "already used" in replay.json()["state"][0]


@pytest.mark.parametrize("forged", ["", "x", "eyJ1IjoxfQ:1uX:forged-signature"])
def test_a_forged_state_is_refused(client_a, spotify, forged):
    spotify.add_user("sp-user", display_name="DJ", email="dj@example.com", refresh_token="rt")
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-user"), "state": forged})
    assert response.status_code == 400
    assert not SpotifyAccount.objects.exists()


def test_another_users_state_is_refused(client_a, client_b, spotify):
    spotify.add_user("sp-user", display_name="DJ", email="dj@example.com", refresh_token="rt")
    state = authorize(client_a)
    response = client_b.get("/api/wrapped/spotify/callback/", {"code": spotify.issue_code("sp-user"), "state": state})
    assert response.status_code == 400 and "another user" in response.json()["state"][0]


def test_a_refused_code_is_a_400(client_a, spotify):
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": "made-up", "state": authorize(client_a)})
    assert response.status_code == 400 and "code" in response.json()


def test_linking_with_a_refresh_token_checks_it_first(client_a, user, spotify):
    spotify.add_user("sp-user", display_name="DJ", email="dj@example.com", refresh_token="rt-good")
    bad = client_a.put("/api/wrapped/account/", {"refresh_token": "rt-bad"}, format="json")
    assert bad.status_code == 400 and "refresh_token" in bad.json()
    good = client_a.put("/api/wrapped/account/", {"refresh_token": "rt-good", "active_wrapped": False}, format="json")
    assert good.status_code == 200
    assert good.json()["active_wrapped"] is False and "refresh_token" not in good.json()
    assert SpotifyAccount.objects.get(user=user).refresh_token() == "rt-good"


def test_without_a_linked_account_the_answer_says_what_to_do(client_a):
    for path in (
        "/api/wrapped/",
        "/api/wrapped/account/",
        "/api/wrapped/release-radar/",
        "/api/wrapped/months/2026-11/",
    ):
        response = client_a.get(path)
        assert response.status_code == 409, path
        assert "/api/wrapped/spotify/authorize/" in response.json()["detail"]
    assert client_a.post("/api/wrapped/enrollment/", {"active_wrapped": True}, format="json").status_code == 409


def test_unlinking_forgets_the_token(client_a, user):
    SpotifyAccountFactory(user=user)
    assert client_a.delete("/api/wrapped/account/").status_code == 204
    assert not SpotifyAccount.objects.filter(user=user).exists()


def test_enrollment_flags(client_a, user):
    SpotifyAccountFactory(user=user)
    response = client_a.post("/api/wrapped/enrollment/", {"active_release_radar": False}, format="json")
    assert response.status_code == 200 and response.json()["active_release_radar"] is False
    assert response.json()["active_wrapped"] is True
    for body in ({}, {"active_wrapped": "maybe"}, {"active_wrapped": None}):
        assert client_a.post("/api/wrapped/enrollment/", body, format="json").status_code == 400


def test_months_years_and_weeks(client_a, user):
    SpotifyAccountFactory(user=user)
    WrappedMonthFactory(
        user=user,
        status="done",
        month_key="2026-10",
        top_track_ids={"short_term": ["a", "b"], "medium_term": [], "long_term": []},
        top_genres={"short_term": {"techno": 2}, "medium_term": {}, "long_term": {}},
    )
    WrappedMonthFactory(
        user=user,
        status="done",
        month_key="2026-11",
        top_track_ids={"short_term": ["b", "c"], "medium_term": [], "long_term": []},
        top_genres={"short_term": "unavailable", "medium_term": {}, "long_term": {}},
    )
    WrappedMonthFactory(user=user, month_key="2025-12", status="done")
    WrappedMonthFactory(user=user, month_key="2026-12", status="running")  # its data is not this run's yet
    ReleaseRadarWeekFactory(user=user, status="done")

    overview = client_a.get("/api/wrapped/").json()
    assert [m["month_key"] for m in overview["months"]] == ["2026-12", "2026-11", "2026-10", "2025-12"]
    assert [m["status"] for m in overview["months"]] == ["running", "done", "done", "done"]
    month = client_a.get("/api/wrapped/months/2026-11/").json()
    assert month["top_track_ids"]["short_term"] == ["b", "c"] and month["top_genres"]["short_term"] == "unavailable"
    assert (month["status"], month["error"]) == ("done", "")
    year = client_a.get("/api/wrapped/years/2026/").json()
    assert [m["month_key"] for m in year["months"]] == ["2026-10", "2026-11", "2026-12"]
    assert year["top_track_ids"] == ["b", "a", "c"]  # b in both done months; then a (1st place) before c (2nd)
    assert year["top_genres"] == {"techno": 2}  # the running month's "techno": 1 is not counted
    weeks = client_a.get("/api/wrapped/release-radar/").json()
    assert weeks[0]["week_start"] == "2026-11-22" and weeks[0]["track_ids"] == ["t1", "t2"]
    assert weeks[0]["status"] == "done"
    assert client_a.get("/api/wrapped/months/2026-09/").status_code == 404


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "2026-00", "abcd-ef"])
def test_bad_month_keys_are_400(client_a, user, month):
    SpotifyAccountFactory(user=user)
    assert client_a.get(f"/api/wrapped/months/{month}/").status_code == 400


@pytest.mark.parametrize("year", ["26", "1999", "20x6", "99999"])
def test_bad_years_are_400(client_a, user, year):
    SpotifyAccountFactory(user=user)
    assert client_a.get(f"/api/wrapped/years/{year}/").status_code == 400


def test_another_users_data_is_invisible_but_staff_can_ask_by_email(client_a, user, staff_user):
    other = UserFactory(email="other@example.com")
    SpotifyAccountFactory(user=other)
    WrappedMonthFactory(user=other, month_key="2026-11", status="done")
    SpotifyAccountFactory(user=user)
    assert client_a.get("/api/wrapped/months/2026-11/").status_code == 404
    assert client_a.get("/api/wrapped/months/2026-11/", {"email": "other@example.com"}).status_code == 403
    staff = bearer_client(staff_user)
    response = staff.get("/api/wrapped/months/2026-11/", {"email": "OTHER@example.com"})
    assert response.status_code == 200 and response.json()["month_key"] == "2026-11"
    assert staff.get("/api/wrapped/", {"email": "nobody@example.com"}).status_code == 404


STAFF_READS = (
    "/api/wrapped/",
    "/api/wrapped/account/",
    "/api/wrapped/months/2026-11/",
    "/api/wrapped/years/2026/",
    "/api/wrapped/release-radar/",
)


def test_staff_asking_by_an_email_several_users_have_get_a_400_not_the_first_of_them(staff_user):
    # Addresses were not unique: two accounts whose addresses differ only in case, the newer one kept
    # as a legacy duplicate when the unique index came (core.models.User.legacy_duplicate_email).
    first = UserFactory(email="dj@example.com")
    second = UserFactory(email="DJ@Example.com", legacy_duplicate_email="DJ@Example.com")
    for owner, tracks in ((first, ["first"]), (second, ["second"])):
        SpotifyAccountFactory(user=owner)
        top = {"short_term": tracks, "medium_term": [], "long_term": []}
        WrappedMonthFactory(user=owner, month_key="2026-11", status="done", top_track_ids=top)
    staff = bearer_client(staff_user)
    for path in STAFF_READS:
        response = staff.get(path, {"email": "Dj@example.com"})
        assert response.status_code == 400, path
        assert response.json()["email"][0].startswith("Several accounts have this e-mail address;"), path
    solo = UserFactory(email="solo@example.com")
    SpotifyAccountFactory(user=solo)
    WrappedMonthFactory(user=solo, month_key="2026-11", status="done")
    assert staff.get("/api/wrapped/months/2026-11/", {"email": "SOLO@example.COM"}).status_code == 200
    assert staff.get("/api/wrapped/months/2026-11/", {"email": "solo@example.co"}).status_code == 404  # exact


def test_the_schema_documents_the_400_of_an_ambiguous_email():
    from django.test import Client

    schema = Client().get("/api/schema/", {"output_format": "json"}, HTTP_HOST="localhost").json()
    for path in STAFF_READS:
        template = path.replace("2026-11", "{month_key}").replace("2026", "{year}")
        described = schema["paths"][template]["get"]["responses"]["400"]["description"]
        assert "several accounts have it" in described, template


def test_a_month_not_yet_done_shows_its_runs_status_and_error_without_data(client_a, user):
    from wrapped import services

    account = SpotifyAccountFactory(user=user)
    assert client_a.get("/api/wrapped/months/2026-11/").status_code == 404  # never queued
    month, _ = services.wrapped_month_queue(account=account, month_key="2026-11", send=False)
    empty = {"short_term": [], "medium_term": [], "long_term": []}

    pending = client_a.get("/api/wrapped/months/2026-11/").json()
    assert (pending["status"], pending["error"], pending["finished_at"]) == ("pending", "", None)
    assert pending["queued_at"] is not None
    assert pending["top_track_ids"] == empty and pending["top_genres"] == dict.fromkeys(empty, {})

    services.wrapped_month_fail(month_id=month.pk, error="Spotify no longer accepts this account's authorisation.")
    failed = client_a.get("/api/wrapped/months/2026-11/").json()
    assert (failed["status"], failed["error"]) == ("failed", "Spotify no longer accepts this account's authorisation.")
    assert failed["top_artist_ids"] == empty and failed["finished_at"] is not None
    summary = client_a.get("/api/wrapped/").json()["months"]
    assert [(m["month_key"], m["status"], m["error"]) for m in summary] == [("2026-11", "failed", failed["error"])]

    week, _ = services.release_radar_week_queue(account=account, run_date=date(2026, 11, 29), send=False)
    services.release_radar_week_fail(week_id=week.pk, error="This run stopped the worker 3 times.")
    [listed] = client_a.get("/api/wrapped/release-radar/").json()
    assert (listed["week_start"], listed["status"], listed["track_ids"]) == ("2026-11-22", "failed", [])
    assert listed["error"] == "This run stopped the worker 3 times."


def test_anonymous_callers_are_refused(api_client):
    for path in ("/api/wrapped/", "/api/wrapped/account/", "/api/wrapped/spotify/authorize/"):
        assert api_client.get(path).status_code == 401


def test_spotify_out_of_reach_is_a_503_and_nothing_is_stored(client_a, user, settings):
    settings.SPOTIFY_ACCOUNTS_BASE_URL = "http://127.0.0.1:9/"  # nothing listens there
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "client-id", "client-secret"
    settings.SPOTIFY_REDIRECT_URI = "http://127.0.0.1:4200/spotify/callback"
    response = client_a.put("/api/wrapped/account/", {"refresh_token": "rt"}, format="json")
    assert response.status_code == 503 and "try again" in response.json()["detail"]
    assert "code" not in response.json()  # an outage, not a server without Spotify settings
    response = client_a.get("/api/wrapped/spotify/callback/", {"code": "c", "state": authorize(client_a)})
    assert response.status_code == 503
    assert not SpotifyAccount.objects.exists()
