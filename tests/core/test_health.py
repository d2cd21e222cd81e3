import pytest

from core import health

pytestmark = pytest.mark.django_db


def test_health_reports_every_check(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200, response.data
    assert response.data["status"] == "ok"
    assert set(response.data["checks"]) == {"database", "broker", "storage", "ffmpeg", "spotify"}
    assert response.data["checks"]["database"]["status"] == "ok"
    assert response.data["checks"]["ffmpeg"]["status"] == "ok"


def test_spotify_without_its_settings_is_not_configured_and_the_server_stays_healthy(api_client, settings):
    settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = "client-id", ""
    settings.SPOTIFY_REDIRECT_URI = ""

    response = api_client.get("/api/health/")

    assert response.status_code == 200, response.data
    assert response.data["status"] == "ok"
    assert response.data["checks"]["spotify"] == {
        "status": "not configured",
        "missing": ["SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"],
    }
    settings.SPOTIFY_CLIENT_SECRET, settings.SPOTIFY_REDIRECT_URI = "secret", "https://app.example/callback"
    assert api_client.get("/api/health/").data["checks"]["spotify"] == {"status": "ok"}


def test_health_answers_503_naming_what_is_down(api_client, monkeypatch):
    monkeypatch.setattr(health.shutil, "which", lambda name: None)

    response = api_client.get("/api/health/")

    assert response.status_code == 503
    assert response.data["status"] == "unavailable"
    assert response.data["checks"]["ffmpeg"] == {"status": "down", "error": "RuntimeError: ffmpeg is not installed"}
    assert response.data["checks"]["database"]["status"] == "ok"


@pytest.mark.services
def test_health_checks_the_real_broker_when_not_eager(api_client, celery_worker):
    response = api_client.get("/api/health/")

    assert response.data["checks"]["broker"] == {"status": "ok"}
    assert response.data["checks"]["storage"]["backend"] == "s3"


@pytest.mark.services
def test_health_reports_an_unreachable_broker(api_client, settings):
    from config.celery import app

    app.conf.task_always_eager = False
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = api_client.get("/api/health/")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.data["checks"]["broker"]["status"] == "down"
