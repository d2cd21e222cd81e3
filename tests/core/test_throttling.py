import pytest

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/token/"
SCOPED_RATES = (
    "THROTTLE_LOGIN_RATE",
    "THROTTLE_LOGIN_USERNAME_RATE",
    "THROTTLE_REGISTER_RATE",
    "THROTTLE_REFRESH_RATE",
)


@pytest.fixture(autouse=True)
def _scoped_rates_off(settings):
    """Each test turns on only the limit it is about, so another one cannot answer its 429."""
    for name in SCOPED_RATES:
        setattr(settings, name, "off")
    settings.TRUSTED_PROXY_COUNT = 0


def wrong_login(client, username: str, **headers):
    return client.post(LOGIN, {"username": username, "password": "not the password"}, **headers)


def test_anonymous_callers_over_the_rate_get_429_with_retry_after(api_client, settings):
    settings.THROTTLE_ANON_RATE = "3/min"

    statuses = [api_client.get("/api/chants/songs/").status_code for _ in range(4)]
    limited = api_client.get("/api/chants/songs/")

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert "throttled" in limited.data["detail"].lower()


def test_a_new_x_forwarded_for_each_time_does_not_give_a_new_anonymous_budget(api_client, settings):
    settings.THROTTLE_ANON_RATE = "3/min"

    statuses = [
        api_client.get("/api/chants/songs/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(6)
    ]

    assert statuses == [200, 200, 200, 429, 429, 429]


def test_each_user_has_their_own_budget(client_a, client_b, settings):
    settings.THROTTLE_USER_RATE = "2/hour"

    first = [client_a.get("/api/auth/me/").status_code for _ in range(3)]
    other = client_b.get("/api/auth/me/")

    assert first == [200, 200, 429]
    assert other.status_code == 200


def test_off_disables_throttling(api_client, settings):
    settings.THROTTLE_ANON_RATE = "off"

    assert all(api_client.get("/api/chants/songs/").status_code == 200 for _ in range(20))


def test_password_guesses_from_one_address_get_429_whatever_x_forwarded_for_says(api_client, user, settings):
    settings.THROTTLE_LOGIN_RATE = "10/min"

    responses = [
        wrong_login(api_client, f"guess{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 10.0.0.{n}") for n in range(30)
    ]

    assert [r.status_code for r in responses] == [401] * 10 + [429] * 20
    assert 0 < int(responses[-1]["Retry-After"]) <= 60
    # The limit is on guessing, not on the account: the right password is refused as well until the wait is over.
    right = api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert right.status_code == 429


def test_password_guesses_at_one_account_get_429_whatever_the_address_and_the_case(api_client, user, settings):
    settings.THROTTLE_LOGIN_USERNAME_RATE = "5/min"
    spellings = [user.username, user.username.upper(), user.username.capitalize()]

    statuses = [
        wrong_login(
            api_client, spellings[n % 3], REMOTE_ADDR=f"198.51.100.{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(30)
    ]
    another_account = wrong_login(api_client, "someone.else", REMOTE_ADDR="198.51.100.200")

    assert statuses == [401] * 5 + [429] * 25
    assert another_account.status_code == 401


def test_the_account_budget_folds_unicode_case(api_client, settings):
    settings.THROTTLE_LOGIN_USERNAME_RATE = "2/min"

    statuses = [
        wrong_login(api_client, name, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n, name in enumerate(["straße", "STRASSE", "Strasse"])  # lower() would make two names of these
    ]

    assert statuses == [401, 401, 429]


def test_wrong_old_passwords_at_the_password_endpoint_share_the_account_budget(api_client, client_a, user, settings):
    settings.THROTTLE_LOGIN_USERNAME_RATE = "3/min"

    logins = [wrong_login(api_client, user.username.upper()).status_code for _ in range(2)]
    change = client_a.post("/api/auth/password/", {"old_password": "a guess", "new_password": "a fresh passphrase"})
    after = wrong_login(api_client, user.username, REMOTE_ADDR="198.51.100.7")

    assert logins == [401, 401]
    assert change.status_code == 400
    assert after.status_code == 429


def test_behind_one_trusted_proxy_the_last_hop_is_the_client(api_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.THROTTLE_LOGIN_RATE = "3/min"
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    # Whatever a client writes in the header itself comes before the hop the proxy appends.
    first_client = [
        wrong_login(api_client, "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5", **proxy).status_code
        for n in range(5)
    ]
    second_client = [
        wrong_login(api_client, "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.6", **proxy).status_code
        for n in range(3)
    ]

    assert first_client == [401, 401, 401, 429, 429]
    assert second_client == [401, 401, 401]


def test_without_trusted_proxies_the_header_is_ignored(api_client, settings):
    settings.THROTTLE_LOGIN_RATE = "2/min"

    statuses = [
        wrong_login(api_client, "x", HTTP_X_FORWARDED_FOR=address).status_code
        for address in ("203.0.113.5", "203.0.113.6", "203.0.113.7")
    ]
    elsewhere = wrong_login(api_client, "x", REMOTE_ADDR="198.51.100.9")

    assert statuses == [401, 401, 429]
    assert elsewhere.status_code == 401


def test_ipv6_addresses_of_one_slash_64_share_a_budget(api_client, settings):
    # Anyone with an IPv6 connection picks freely among the 2**64 addresses of their /64.
    settings.THROTTLE_LOGIN_RATE = "2/min"

    same_network = [
        wrong_login(api_client, "x", REMOTE_ADDR=address).status_code
        for address in ("2001:db8:1:2::1", "2001:db8:1:2::abcd", "2001:db8:1:2:ffff::9")
    ]
    next_network = wrong_login(api_client, "x", REMOTE_ADDR="2001:db8:1:3::1")

    assert same_network == [401, 401, 429]
    assert next_network.status_code == 401


def test_registrations_from_one_address_are_limited(api_client, settings):
    settings.THROTTLE_REGISTER_RATE = "2/hour"

    statuses = [
        api_client.post(
            "/api/auth/register/",
            {"username": f"newcomer{n}", "password": "a long enough passphrase"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(4)
    ]

    assert statuses == [201, 201, 429, 429]


def test_token_refreshes_from_one_address_are_limited(api_client, user, settings):
    settings.THROTTLE_REFRESH_RATE = "2/min"
    refresh = api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}).data["refresh"]

    statuses = []
    for n in range(3):
        response = api_client.post(
            "/api/auth/token/refresh/", {"refresh": refresh}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )
        statuses.append(response.status_code)
        refresh = response.data.get("refresh", refresh)

    assert statuses == [200, 200, 429]


def test_off_disables_the_scoped_limits(api_client):
    assert {wrong_login(api_client, "x").status_code for _ in range(30)} == {401}
