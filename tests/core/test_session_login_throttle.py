"""The session login forms (admin, browsable API) spend the same password budgets as /api/auth/token/."""

import pytest
from django.contrib.auth.signals import user_login_failed

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
API_LOGIN = "/api-auth/login/"
TOKEN = "/api/auth/token/"
FORMS = [ADMIN_LOGIN, API_LOGIN]
THROTTLED = "Too many login attempts"


@pytest.fixture(autouse=True)
def _login_rates_off(settings):
    """Each test turns on the budgets it is about (the suite runs with every throttle off)."""
    settings.THROTTLE_LOGIN_RATE = "off"
    settings.THROTTLE_LOGIN_USERNAME_RATE = "off"
    settings.TRUSTED_PROXY_COUNT = 0


def form_login(client, path: str, username: str, password: str = "not the password", **extra):
    return client.post(path, {"username": username, "password": password, "next": "/admin/"}, **extra)


def token_login(client, username: str, **extra):
    return client.post(TOKEN, {"username": username, "password": "not the password"}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", FORMS)
def test_fifteen_wrong_passwords_then_the_right_one_is_throttled(client, settings, staff_user, path):
    settings.THROTTLE_LOGIN_RATE = "10/min"  # the production defaults
    settings.THROTTLE_LOGIN_USERNAME_RATE = "5/min"
    checked = []
    user_login_failed.connect(lambda **kwargs: checked.append(kwargs), weak=False, dispatch_uid="test-checked")
    try:
        wrong = [form_login(client, path, staff_user.username) for _ in range(15)]
        right = form_login(client, path, staff_user.username, DEFAULT_PASSWORD)
    finally:
        user_login_failed.disconnect(dispatch_uid="test-checked")

    assert [response.status_code for response in wrong] == [200] * 5 + [429] * 10
    assert right.status_code == 429
    assert not logged_in(client)
    # The password was checked for the five attempts within the budget only.
    assert len(checked) == 5
    page = right.content.decode()
    assert THROTTLED in page and 'name="password"' in page  # the form again, with the reason
    assert 0 < int(right["Retry-After"]) <= 60
    # Someone else, from elsewhere, still logs in through the same form.
    other = UserFactory(staff=True)
    elsewhere = form_login(client, path, other.username, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("path", FORMS)
def test_the_form_and_the_token_endpoint_share_the_account_budget(client, api_client, settings, user, path):
    settings.THROTTLE_LOGIN_USERNAME_RATE = "3/min"

    statuses = [
        form_login(client, path, user.username).status_code,
        token_login(api_client, user.username.upper(), REMOTE_ADDR="198.51.100.1").status_code,
        form_login(client, path, user.username.capitalize(), REMOTE_ADDR="198.51.100.2").status_code,
        token_login(api_client, user.username, REMOTE_ADDR="198.51.100.3").status_code,
        form_login(client, path, user.username, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.4").status_code,
    ]

    assert statuses == [200, 401, 200, 429, 429]
    assert not logged_in(client)


@pytest.mark.parametrize("path", FORMS)
def test_the_form_and_the_token_endpoint_share_the_address_budget(client, api_client, settings, path):
    settings.THROTTLE_LOGIN_RATE = "3/min"

    statuses = [
        token_login(api_client, "first").status_code,
        form_login(client, path, "second").status_code,
        token_login(api_client, "third").status_code,
        form_login(client, path, "fourth").status_code,
        token_login(api_client, "fifth").status_code,
    ]

    assert statuses == [401, 200, 401, 429, 429]


@pytest.mark.parametrize("path", FORMS)
def test_another_account_from_the_same_address_is_throttled_by_the_address_budget(client, settings, path):
    settings.THROTTLE_LOGIN_RATE = "4/min"
    settings.THROTTLE_LOGIN_USERNAME_RATE = "3/min"
    first, second = UserFactory(staff=True), UserFactory(staff=True)

    # The fourth attempt at the first account is over its budget, and still spends the address's.
    at_first = [form_login(client, path, first.username).status_code for _ in range(4)]
    second_here = form_login(client, path, second.username, DEFAULT_PASSWORD)
    second_elsewhere = form_login(client, path, second.username, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.9")

    assert at_first == [200, 200, 200, 429]
    assert second_here.status_code == 429
    assert second_elsewhere.status_code == 302
