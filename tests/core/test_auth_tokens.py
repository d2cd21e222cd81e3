"""Token lifetimes and revocation: rotation on refresh, logout, password change."""

import threading

import pytest
from django.db import connection

from tests.conftest import CommittingAPIClient
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.locks import wait_for_a_blocked_lock

pytestmark = pytest.mark.django_db
LOGIN = "/api/auth/token/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
PASSWORD = "/api/auth/password/"
NEW_PASSWORD = "a brand new passphrase"


def log_in(client, user, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post(LOGIN, {"username": user.username, "password": password})
    assert response.status_code == 200, response.data
    return response.data


def me_with(client, access: str) -> int:
    return client.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def test_a_refresh_answers_a_new_pair_and_the_old_refresh_token_works_once(api_client, user):
    tokens = log_in(api_client, user)

    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    rotated = api_client.post(REFRESH, {"refresh": first.data["refresh"]})

    assert first.status_code == 200
    assert first.data["refresh"] != tokens["refresh"]
    assert me_with(api_client, first.data["access"]) == 200
    assert again.status_code == 401
    assert "blacklisted" in again.data["detail"].lower()
    assert rotated.status_code == 200


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = log_in(api_client, user)

    logout = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert logout.status_code == 204
    assert refresh.status_code == 401
    assert "blacklisted" in refresh.data["detail"].lower()


def test_logout_leaves_the_other_sessions_logged_in(api_client, user):
    phone, laptop = log_in(api_client, user), log_in(api_client, user)

    api_client.post(LOGOUT, {"refresh": phone["refresh"]})

    assert api_client.post(REFRESH, {"refresh": laptop["refresh"]}).status_code == 200


def test_logout_with_an_invalid_token_names_the_problem(api_client, user):
    access = log_in(api_client, user)["access"]

    garbage = api_client.post(LOGOUT, {"refresh": "not.a.token"})
    wrong_type = api_client.post(LOGOUT, {"refresh": access})

    assert garbage.status_code == 401
    assert garbage.data["detail"] == "Token is invalid"
    assert wrong_type.status_code == 401
    assert wrong_type.data["detail"] == "Token has wrong type"


def test_logging_out_twice_is_401(api_client, user):
    refresh = log_in(api_client, user)["refresh"]

    assert api_client.post(LOGOUT, {"refresh": refresh}).status_code == 204
    second = api_client.post(LOGOUT, {"refresh": refresh})

    assert second.status_code == 401
    assert "blacklisted" in second.data["detail"].lower()


def test_a_password_change_refuses_every_earlier_token_and_returns_a_working_pair(api_client, user):
    phone, laptop = log_in(api_client, user), log_in(api_client, user)
    laptop_refreshed = api_client.post(REFRESH, {"refresh": laptop["refresh"]}).data

    response = api_client.post(
        PASSWORD,
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {phone['access']}",
    )

    assert response.status_code == 200, response.data
    for refresh in (phone["refresh"], laptop_refreshed["refresh"]):
        assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401
    for access in (phone["access"], laptop_refreshed["access"]):
        assert me_with(api_client, access) == 401
    assert me_with(api_client, response.data["access"]) == 200
    assert api_client.post(REFRESH, {"refresh": response.data["refresh"]}).status_code == 200
    assert api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 401
    log_in(api_client, user, NEW_PASSWORD)


def test_old_refresh_tokens_are_refused_even_without_a_blacklist_row(api_client, user):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    refresh = log_in(api_client, user)["refresh"]
    # As for a token issued before the blacklist app was installed: nothing to blacklist.
    OutstandingToken.objects.all().delete()
    api_client.force_authenticate(user)
    changed = api_client.post(PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    api_client.force_authenticate(None)

    assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 401


def test_a_password_changed_elsewhere_refuses_earlier_access_tokens(api_client, user):
    access = log_in(api_client, user)["access"]

    # As `manage.py changepassword` or the admin do it.
    user.set_password(NEW_PASSWORD)
    user.save()

    assert me_with(api_client, access) == 401


def test_a_wrong_old_password_is_400_and_changes_nothing(api_client, client_a, user):
    tokens = log_in(api_client, user)

    response = client_a.post(PASSWORD, {"old_password": "not it", "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert list(response.data) == ["old_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert me_with(api_client, tokens["access"]) == 200
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200


@pytest.mark.parametrize("new_password", ["short", "password", "12345678987654321", "the account's email"])
def test_a_weak_new_password_is_400_naming_the_field(client_a, user, new_password):
    if new_password == "the account's email":
        new_password = user.email  # refused as too similar to the account, which only the view knows

    response = client_a.post(PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": new_password})

    assert response.status_code == 400
    assert list(response.data) == ["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_the_password_change_needs_a_login(api_client):
    response = api_client.post(PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 401


def test_a_session_stays_logged_in_after_its_own_password_change(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    other_browser = CommittingAPIClient()
    assert other_browser.login(username=user.username, password=DEFAULT_PASSWORD)

    response = client.post(
        PASSWORD, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200
    assert client.get("/api/auth/me/").status_code == 200
    assert other_browser.get("/api/auth/me/").status_code in (401, 403)


def test_refresh_tokens_are_listed_for_the_admin(api_client, user):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    refresh = log_in(api_client, user)["refresh"]
    api_client.post(LOGOUT, {"refresh": refresh})

    assert OutstandingToken.objects.filter(user=user).count() == 1
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_one_token_at_once_give_one_new_pair(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from core import services

    user = UserFactory()
    refresh = log_in(CommittingAPIClient(), user)["refresh"]
    issue = services.token_pair_create
    first_locked = threading.Event()
    statuses = []

    def issue_once_the_other_waits(*, user):
        # The first refresh holds the token's lock here; it goes on once the second waits for it.
        if not first_locked.is_set():
            first_locked.set()
            with connection.cursor() as cursor:
                wait_for_a_blocked_lock(cursor)
        return issue(user=user)

    monkeypatch.setattr(services, "token_pair_create", issue_once_the_other_waits)

    def refresh_now(wait: bool) -> None:
        try:
            if wait:
                assert first_locked.wait(timeout=30)
            statuses.append(CommittingAPIClient().post(REFRESH, {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_now, args=(wait,)) for wait in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 401]


def test_expired_refresh_tokens_are_flushed_daily_by_beat(api_client, user):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from core.tasks import expired_tokens_flush

    task = PeriodicTask.objects.get(task="core.tasks.expired_tokens_flush")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "days")
    with time_machine.travel(timezone.now() - timedelta(days=60)):
        api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD})
    api_client.post("/api/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert OutstandingToken.objects.filter(user=user).count() == 2

    expired_tokens_flush.delay()

    assert OutstandingToken.objects.filter(user=user).count() == 1
