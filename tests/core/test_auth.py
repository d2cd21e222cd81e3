import pytest
from django.contrib.auth import get_user_model

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_register_creates_account_and_returns_working_tokens(api_client):
    response = api_client.post(
        "/api/auth/register/",
        {"username": "dj.lena", "email": "lena@example.com", "password": "a long enough passphrase"},
    )

    assert response.status_code == 201, response.data
    assert response.data["user"]["username"] == "dj.lena"
    assert "password" not in response.data["user"]
    assert User.objects.get(username="dj.lena").check_password("a long enough passphrase")
    me = api_client.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {response.data['access']}")
    assert me.status_code == 200
    assert me.data["username"] == "dj.lena"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "password": "123"}, "password"),
        ({"username": "x", "password": "password"}, "password"),
        ({"username": "bad name!", "password": "a long enough passphrase"}, "username"),
        ({"password": "a long enough passphrase"}, "username"),
        ({"username": "someone", "email": "not-an-email", "password": "a long enough passphrase"}, "email"),
    ],
)
def test_register_rejects_bad_input_with_the_field_named(api_client, body, field):
    response = api_client.post("/api/auth/register/", body)

    assert response.status_code == 400
    assert field in response.data
    assert not User.objects.filter(username=body.get("username", "")).exists()


def test_register_refuses_a_taken_username_whatever_its_case(api_client, user):
    response = api_client.post(
        "/api/auth/register/", {"username": user.username.upper(), "password": "a long enough passphrase"}
    )

    assert response.status_code == 400
    assert response.data["username"] == ["This username is taken."]


@pytest.mark.parametrize("name", ["dj.lena", "DJ.Lena"])
def test_two_registrations_of_one_name_at_once_give_one_account_and_a_400(api_client, monkeypatch, name):
    from core.api.serializers import RegisterInputSerializer

    api_client.post("/api/auth/register/", {"username": "dj.lena", "password": "a long enough passphrase"})
    # The other registration checked while the name was still free: only the database can refuse it now.
    monkeypatch.setattr(RegisterInputSerializer, "validate_username", lambda self, value: value)

    response = api_client.post("/api/auth/register/", {"username": name, "password": "another long passphrase"})

    assert response.status_code == 400
    assert response.data["username"] == ["This username is taken."]
    assert User.objects.filter(username__iexact="dj.lena").count() == 1


def test_token_pair_then_refresh_then_me(api_client, user):
    tokens = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert tokens.status_code == 200

    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": tokens.data["refresh"]})
    assert refreshed.status_code == 200

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.data['access']}")
    me = api_client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.data["id"] == str(user.pk)


def test_wrong_password_gets_401(api_client, user):
    response = api_client.post("/api/auth/token/", {"username": user.username, "password": "nope"})

    assert response.status_code == 401


def test_me_needs_authentication(api_client):
    assert api_client.get("/api/auth/me/").status_code == 401


def test_a_garbage_bearer_token_gets_401(api_client):
    response = api_client.get("/api/auth/me/", HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 401


def test_session_login_works_for_the_browsable_api(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)

    response = client.get("/api/auth/me/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert user.username in response.content.decode()
    assert client.get("/api-auth/login/").status_code == 200
