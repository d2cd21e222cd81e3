import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_callers_over_the_rate_get_429_with_retry_after(api_client, settings):
    settings.THROTTLE_ANON_RATE = "3/min"

    statuses = [api_client.get("/api/chants/songs/").status_code for _ in range(4)]
    limited = api_client.get("/api/chants/songs/")

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert "throttled" in limited.data["detail"].lower()


def test_each_user_has_their_own_budget(client_a, client_b, settings):
    settings.THROTTLE_USER_RATE = "2/hour"

    first = [client_a.get("/api/auth/me/").status_code for _ in range(3)]
    other = client_b.get("/api/auth/me/")

    assert first == [200, 200, 429]
    assert other.status_code == 200


def test_off_disables_throttling(api_client, settings):
    settings.THROTTLE_ANON_RATE = "off"

    assert all(api_client.get("/api/chants/songs/").status_code == 200 for _ in range(20))
