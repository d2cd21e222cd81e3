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
def test_a_registration_that_passed_the_name_check_too_early_gets_a_400_from_the_database(
    api_client, monkeypatch, name
):
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


@pytest.mark.parametrize(
    ("existing", "candidate"),
    [
        ("émile", "ÉMILE"),
        ("Ærøskøbing", "æRØSKØBING"),
        ("straße", "STRASSE"),
        # NFKC: the ligature "ﬀ" is the two letters "ff".
        ("ffion", "ﬀion"),
    ],
)
def test_register_refuses_a_taken_unicode_username_whatever_its_case(api_client, existing, candidate):
    User.objects.create_user(username=existing, password=DEFAULT_PASSWORD)

    response = api_client.post("/api/auth/register/", {"username": candidate, "password": "a long enough passphrase"})

    assert response.status_code == 400
    assert response.data["username"] == ["This username is taken."]
    assert User.objects.count() == 1


def test_a_unicode_registration_that_passed_the_name_check_too_early_gets_a_400_from_the_database(
    api_client, monkeypatch
):
    from core.api.serializers import RegisterInputSerializer

    first = api_client.post("/api/auth/register/", {"username": "émile", "password": "a long enough passphrase"})
    monkeypatch.setattr(RegisterInputSerializer, "validate_username", lambda self, value: value)

    second = api_client.post("/api/auth/register/", {"username": "ÉMILE", "password": "another long passphrase"})

    assert first.status_code == 201
    assert second.status_code == 400
    assert second.data["username"] == ["This username is taken."]
    assert list(User.objects.values_list("username", flat=True)) == ["émile"]


def test_a_username_that_grows_too_long_once_folded_is_refused_not_a_500(api_client):
    # "ß" folds to "ss": 150 characters typed, 300 once folded.
    response = api_client.post("/api/auth/register/", {"username": "ß" * 150, "password": "a long enough passphrase"})

    assert response.status_code == 400
    assert "username" in response.data
    assert not User.objects.exists()


def test_superusers_from_createsuperuser_hold_their_name_in_every_case(api_client):
    from django.core.management import call_command

    call_command("createsuperuser", username="Émile", email="emile@example.com", interactive=False, verbosity=0)

    response = api_client.post("/api/auth/register/", {"username": "éMILE", "password": "a long enough passphrase"})

    assert response.status_code == 400
    assert response.data["username"] == ["This username is taken."]


def test_a_renamed_user_holds_the_new_name_and_frees_the_old_one(api_client, user):
    old_name = user.username
    user.username = "Ödön"
    user.save()

    taken = api_client.post("/api/auth/register/", {"username": "öDÖN", "password": "a long enough passphrase"})
    freed = api_client.post("/api/auth/register/", {"username": old_name.upper(), "password": "a long passphrase!"})

    assert taken.status_code == 400
    assert freed.status_code == 201


def test_a_deleted_users_refresh_token_gets_401(api_client, user):
    refresh = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}).data[
        "refresh"
    ]
    user.delete()

    response = api_client.post("/api/auth/token/refresh/", {"refresh": refresh})

    assert response.status_code == 401
    assert response.data["detail"]


def test_an_inactive_users_refresh_token_gets_401(api_client, user):
    refresh = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}).data[
        "refresh"
    ]
    user.is_active = False
    user.save()

    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401
