"""The admin of accounts and tokens: case-folded names hold there too, and no page answers a 500."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def add_user(curator, username: str):
    return curator.post(
        "/admin/core/user/add/",
        {
            "username": username,
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "usable_password": "true",
        },
    )


def test_a_user_added_in_the_admin_holds_the_name_in_every_case(curator, api_client):
    response = add_user(curator, "émile")

    assert response.status_code == 302, response.content.decode()[:2000]
    registered = api_client.post("/api/auth/register/", {"username": "ÉMILE", "password": "a long enough passphrase"})
    assert registered.status_code == 400
    assert registered.data["username"] == ["This username is taken."]


def test_the_admin_refuses_a_name_taken_in_another_case(curator):
    User.objects.create_user(username="émile", password=DEFAULT_PASSWORD)

    response = add_user(curator, "ÉMILE")

    assert response.status_code == 200
    assert "This username is taken." in response.content.decode()
    assert User.objects.filter(username="ÉMILE").count() == 0


def test_the_admin_refuses_renaming_a_user_to_a_name_taken_in_another_case(curator, user):
    User.objects.create_user(username="émile", password=DEFAULT_PASSWORD)
    page = curator.get(f"/admin/core/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"username": "ÉMILE", "date_joined_0": "2024-01-01", "date_joined_1": "10:00:00"})

    response = curator.post(f"/admin/core/user/{user.pk}/change/", data)

    assert response.status_code == 200
    assert "This username is taken." in response.content.decode()
    user.refresh_from_db()
    assert user.username != "ÉMILE"


def test_the_token_admin_pages_answer_without_a_500(curator, api_client, user):
    refresh = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}).data[
        "refresh"
    ]
    api_client.post("/api/auth/logout/", {"refresh": refresh})
    outstanding = OutstandingToken.objects.get()
    blacklisted = BlacklistedToken.objects.get()

    for path in (
        "/admin/token_blacklist/outstandingtoken/",
        "/admin/token_blacklist/outstandingtoken/?q=not-a-uuid",
        f"/admin/token_blacklist/outstandingtoken/?q={user.username}",
        f"/admin/token_blacklist/outstandingtoken/{outstanding.pk}/change/",
        "/admin/token_blacklist/outstandingtoken/add/",
        "/admin/token_blacklist/blacklistedtoken/",
        "/admin/token_blacklist/blacklistedtoken/?q=not-a-uuid",
        f"/admin/token_blacklist/blacklistedtoken/{blacklisted.pk}/change/",
        "/admin/token_blacklist/blacklistedtoken/add/",
        f"/admin/core/user/{user.pk}/delete/",
    ):
        assert curator.get(path).status_code in (200, 403), path


def test_blacklisting_a_token_in_the_admin_logs_it_out(curator, api_client, user):
    refresh = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}).data[
        "refresh"
    ]
    outstanding = OutstandingToken.objects.get()

    response = curator.post("/admin/token_blacklist/blacklistedtoken/add/", {"token": outstanding.pk})

    assert response.status_code == 302
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_the_blacklist_add_form_does_not_list_every_token(curator, api_client, user, django_assert_max_num_queries):
    for _ in range(30):
        response = api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200

    with django_assert_max_num_queries(15):
        response = curator.get("/admin/token_blacklist/blacklistedtoken/add/")

    assert response.status_code == 200


def test_the_user_list_filters_accounts_without_a_folded_name(curator, user):
    User.objects.filter(pk=user.pk).update(username_folded=None)

    response = curator.get("/admin/core/user/?username_folded__isempty=1")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [user]
