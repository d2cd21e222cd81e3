import logging
import logging.config
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from config.logging import build_logging
from core import storage
from core.tasks import storage_objects_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_file(tmp_path):
    """Logging configured as in production with LOG_FILE set; the test's own config restored after."""
    path = tmp_path / "app.log"
    logging.config.dictConfig(build_logging(level="INFO", log_file=str(path)))
    yield path
    logging.config.dictConfig(django_settings.LOGGING)


def _lines(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text()


def test_file_handler_rotates_at_10_mb_keeping_5_backups():
    handler = build_logging(level="INFO", log_file="/tmp/x.log")["handlers"]["file"]

    assert handler["class"] == "logging.handlers.RotatingFileHandler"
    assert (handler["maxBytes"], handler["backupCount"]) == (10 * 1024 * 1024, 5)


def test_every_request_is_logged_with_method_path_status_duration_and_user(log_file, client_a, user):
    client_a.get("/api/auth/me/?debug=1")
    client_a.get("/api/chants/songs/not-there/")

    text = _lines(log_file)
    assert f"GET /api/auth/me/ 200" in text
    assert f"user={user.pk}" in text
    assert "GET /api/chants/songs/not-there/ 404" in text
    assert "ms user=" in text
    assert "debug=1" not in text


def test_signed_urls_and_credentials_never_reach_the_log(log_file, client, user, local_storage):
    url = storage.presigned_download(storage.user_key(user.pk, "secret.bin"))
    token = urlsplit(url).path.split("/")[-2]
    client.get(urlsplit(url).path)
    logger = logging.getLogger("tests")
    logger.info("fetched %s", "https://bucket.s3/x?X-Amz-Credential=AKIA123&X-Amz-Signature=deadbeef&v=1")
    logger.info("sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    logger.info("body %s", {"username": "lena", "password": "hunter2", "refresh": "tok"})

    text = _lines(log_file)
    assert "/api/storage/[redacted]/ 404" in text
    for secret in (token, "AKIA123", "deadbeef", "eyJhbGciOiJIUzI1NiJ9", "hunter2", "'tok'"):
        assert secret not in text
    assert "v=1" in text and "lena" in text


def test_tasks_log_start_and_end_with_their_object(log_file):
    storage_objects_delete.delay(["users/someone/file.bin"])

    text = _lines(log_file)
    assert "task core.tasks.storage_objects_delete started" in text
    assert "object=['users/someone/file.bin']" in text
    assert "state=SUCCESS" in text
