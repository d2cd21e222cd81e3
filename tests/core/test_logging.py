import io
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import configure_logging, log_response

from config.logging import build_logging
from core import storage
from core.log_filters import RedactSecretsFilter
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
    assert "GET /api/auth/me/ 200" in text
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


# --- Every handler redacts: Django's own loggers, runserver, tracebacks ------------------------


@pytest.fixture
def stderr_as_at_startup(settings):
    """Logging configured the way a process starts: Django's DEFAULT_LOGGING, then our LOGGING.

    DEBUG is on as under `make run`, where Django's own console handler prints. Every stream
    handler (and logging's last-resort handler) writes to the returned buffer.
    """
    settings.DEBUG = True
    buffer = io.StringIO()
    original = sys.stderr
    sys.stderr = buffer  # handlers created now bind to it; the last-resort handler looks it up on each write
    try:
        configure_logging(django_settings.LOGGING_CONFIG, build_logging(level="INFO", log_file=""))
        yield buffer
    finally:
        sys.stderr = original
        configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


def _storage_token(user) -> str:
    url = storage.presigned_download(storage.user_key(user.pk, "secret.bin"))
    return urlsplit(url).path.split("/")[-2]


def test_django_request_warnings_and_errors_never_print_the_token(stderr_as_at_startup, user, local_storage):
    token = _storage_token(user)
    request = RequestFactory().get(f"/api/storage/{token}/")
    try:
        raise RuntimeError(f"could not serve /api/storage/{token}/ (signed value {token})")
    except RuntimeError as exc:
        failure = exc

    # What BaseHandler logs for a 403 and a 404, and for a 500 with the exception's traceback.
    log_response("Forbidden: %s", request.path, response=HttpResponse(status=403), request=request)
    log_response("Not Found: %s", request.path, response=HttpResponse(status=404), request=request)
    log_response(
        "Internal Server Error: %s", request.path, response=HttpResponse(status=500), request=request, exception=failure
    )

    text = stderr_as_at_startup.getvalue()
    assert token not in text
    assert text.count("Forbidden: /api/storage/[redacted]/") == 1  # once: one handler printed it, not two
    assert "Not Found: /api/storage/[redacted]/" in text
    assert "RuntimeError: could not serve /api/storage/[redacted]/ (signed value [redacted])" in text
    assert "Traceback (most recent call last)" in text  # the traceback is kept, only cleaned


def test_runservers_access_lines_are_printed_with_the_token_redacted(stderr_as_at_startup, user, local_storage):
    token = _storage_token(user)
    server = logging.getLogger("django.server")

    # What runserver's WSGIRequestHandler.log_message sends for a 403 and a 200.
    server.warning('"%s" %s %s', f"GET /api/storage/{token}/ HTTP/1.1", "403", "58", extra={"status_code": 403})
    server.info('"%s" %s %s', f"GET /api/storage/{token}/ HTTP/1.1", "200", "9", extra={"status_code": 200})

    text = stderr_as_at_startup.getvalue()
    assert token not in text
    assert '"GET /api/storage/[redacted]/ HTTP/1.1" 403 58' in text
    # 2xx lines repeat core.requests' line for the same request: only refusals and errors are printed.
    assert " 200 9" not in text


def test_every_handler_of_every_logger_redacts(stderr_as_at_startup):
    import celery.app.log  # noqa: F401 - loggers of the libraries the processes load
    import django.core.servers.basehttp  # noqa: F401

    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    assert any(logger.name == "django.server" for logger in loggers)
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.NullHandler) or type(handler).__module__.startswith("_pytest"):
                continue  # prints nothing; pytest's capture of the test's own log
            assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters), (logger.name, handler)
        if not logger.propagate and logger.isEnabledFor(logging.WARNING):
            # Otherwise its warnings go to logging.lastResort, which prints them as they are.
            assert logger.handlers, f"{logger.name} does not propagate and has no handler"


def test_arguments_tracebacks_and_stacks_are_redacted_before_any_formatter_sees_them(user, local_storage):
    token = _storage_token(user)
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLWJ5dGVz"
    try:
        raise ValueError(f"Resolver404: {{'path': 'api/storage/{token}/'}} with {jwt}")
    except ValueError:
        record = logging.getLogger("django.request").makeRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Error: %s %r",
            (token, {"t": token}),
            sys.exc_info(),
            sinfo=f"Stack (most recent call last):\n  serving {token}",
        )

    assert RedactSecretsFilter().filter(record)

    printed = logging.Formatter("%(message)s").format(record)
    for secret in (token, jwt, jwt.split(".")[1]):
        assert secret not in printed
    assert record.args in (None, ())  # nothing left for another formatter or handler to expand
    assert "ValueError: Resolver404" in printed and "Stack (most recent call last)" in printed


def test_a_malformed_log_call_still_prints_redacted_instead_of_raising(user, local_storage):
    token = _storage_token(user)
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s and %s", (f"/api/storage/{token}/",), None)

    assert RedactSecretsFilter().filter(record)

    assert token not in record.getMessage()


def test_a_celery_worker_logs_through_the_redacting_handlers():
    """A worker sets up logging at start; with no setup_logging receiver it replaces the root handlers."""
    from celery.app.log import Logging

    from config.celery import app

    saved_environ = dict(os.environ)  # the setup exports _MP_FORK_* variables for its pool processes
    app.log.already_setup = False
    try:
        app.log.setup_logging_subsystem(loglevel="INFO")  # what `celery worker` runs before its first task
        handlers = [h for h in logging.getLogger().handlers if not type(h).__module__.startswith("_pytest")]
        assert handlers
        for handler in handlers:
            assert any(isinstance(f, RedactSecretsFilter) for f in handler.filters), handler
    finally:
        app.log.already_setup = False
        Logging._setup = False
        os.environ.clear()
        os.environ.update(saved_environ)
        configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_of(url: str) -> int:
    try:
        with urlopen(Request(url), timeout=10) as response:
            return response.status
    except OSError as exc:  # HTTPError (an OSError) carries the status; a refused connection is 0
        return getattr(exc, "code", 0)


def test_runserver_as_make_run_starts_it_never_prints_a_storage_token(tmp_path, user, local_storage):
    """`make run` for real: runserver with DJANGO_DEBUG=true, its stdout and stderr read back."""
    valid = _storage_token(user)  # signed with the suite's SECRET_KEY, which the server inherits
    value, timestamp, signature = valid.split(":")
    bad_signature = f"{value}:{timestamp}:{signature[::-1]}"
    fake = "not-a-real-token-" + os.urandom(8).hex()
    port = _free_port()
    base_dir = Path(__file__).resolve().parents[2]
    env = {name: v for name, v in os.environ.items() if not name.startswith(("DATABASE_URL", "REDIS_URL", "AWS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY=django_settings.SECRET_KEY,
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
        LOG_FILE="",
        PYTHONUNBUFFERED="1",
    )
    stdout_path, stderr_path = tmp_path / "stdout", tmp_path / "stderr"
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        # --noreload: one process, so terminating it stops the server (the reloader's child would survive).
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=base_dir,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while _status_of(f"http://127.0.0.1:{port}/api/health/") == 0:
                assert server.poll() is None, "runserver exited: " + stderr_path.read_text()
                assert time.monotonic() < deadline, "runserver did not start within 60 s"
                time.sleep(0.2)
            statuses = [
                _status_of(f"http://127.0.0.1:{port}/api/storage/{token}/") for token in (valid, bad_signature, fake)
            ]
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    assert statuses == [404, 403, 403]  # the object does not exist; the other two are refused
    printed = stdout_path.read_text() + stderr_path.read_text()
    for secret in (valid, bad_signature, fake, signature):
        assert secret not in printed, printed
    # Redacted, not silenced: runserver's access line and Django's request warning are both there.
    assert '"GET /api/storage/[redacted]/ HTTP/1.1" 403' in printed, printed
    assert "Forbidden: /api/storage/[redacted]/" in printed, printed


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET https://api-v2.soundcloud.com/tracks/1?client_id=a3e059563d7fd3372b49b37f00a00bcf&x=1", "a3e0595"),
        ("POST /oauth2/token grant_type=client_credentials&client_secret=s3cr3t-value-here", "s3cr3t"),
        ("GET /stream?secret_token=s-AbCdEfGh", "s-AbCdEfGh"),
        ("Authorization: OAuth 2-295412-12345678-AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
        ('{"oauth_token": "2-295412-abcdef"}', "2-295412-abcdef"),
    ],
)
def test_soundcloud_credentials_are_redacted(line, secret):
    from core.log_filters import redact

    assert secret not in redact(line)


def test_ordinary_words_after_oauth_are_kept():
    from core.log_filters import redact

    assert redact("log in with an OAuth token from your account") == "log in with an OAuth token from your account"


# --- OAuth callbacks, encoded query strings, signed values in URLs --------------------------------

OAUTH_CODE = "AQDx7f9KfLw-Zs3_pQ"
OAUTH_STATE = "eyJ1IjoiNDIifQ%3A1r2s3t%3Aabcdef"  # a signed value (value:timestamp:signature), URL-encoded
CALLBACK = f"/api/wrapped/spotify/callback/?code={OAUTH_CODE}&state={OAUTH_STATE}"


def test_the_spotify_callbacks_code_and_state_never_reach_runservers_access_line(stderr_as_at_startup):
    server = logging.getLogger("django.server")

    server.warning('"%s" %s %s', f"GET {CALLBACK} HTTP/1.1", "400", "58", extra={"status_code": 400})
    logging.getLogger("django.request").warning("Bad Request: %s", f"http://testserver{CALLBACK}&page=2")

    text = stderr_as_at_startup.getvalue()
    for secret in (OAUTH_CODE, OAUTH_STATE, "eyJ1IjoiNDIifQ", "1r2s3t", "abcdef"):
        assert secret not in text, text
    assert '"GET /api/wrapped/spotify/callback/?code=[redacted]&state=[redacted] HTTP/1.1" 400 58' in text
    assert "state=[redacted]&page=2" in text


def test_gunicorns_access_line_is_printed_redacted(settings):
    """What the image runs (`gunicorn --access-logfile -`): gunicorn sets up its loggers, then a worker loads Django."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    buffer = io.StringIO()
    streams = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = buffer  # gunicorn's access handler binds stdout, ours stderr
    try:
        config = Config()
        config.set("accesslog", "-")
        gunicorn_log = Logger(config)
        configure_logging(django_settings.LOGGING_CONFIG, build_logging(level="INFO", log_file=""))
        response = SimpleNamespace(status="400 Bad Request", headers=[], sent=58)
        request = SimpleNamespace(headers=[("USER-AGENT", "curl/8")])
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": CALLBACK,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": f"https://accounts.spotify.com/authorize?client_id=abc&state={OAUTH_STATE}",
        }
        gunicorn_log.access(response, request, environ, timedelta(milliseconds=12))
        gunicorn_log.error("Error handling request %s", CALLBACK)
    finally:
        sys.stdout, sys.stderr = streams
        for name in ("gunicorn.access", "gunicorn.error"):
            gunicorn_logger = logging.getLogger(name)
            for handler in list(gunicorn_logger.handlers):
                gunicorn_logger.removeHandler(handler)
            gunicorn_logger.propagate = True
        configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)

    text = buffer.getvalue()
    for secret in (OAUTH_CODE, OAUTH_STATE, "eyJ1IjoiNDIifQ", "abcdef"):
        assert secret not in text, text
    # Redacted, not silenced: the access line and the worker's error are both printed.
    assert '"GET /api/wrapped/spotify/callback/?code=[redacted]&state=[redacted] HTTP/1.1" 400 58' in text, text
    assert "Error handling request /api/wrapped/spotify/callback/?code=[redacted]" in text, text


def test_secret_query_parameters_are_redacted_raw_and_url_encoded_and_the_others_kept():
    from core.log_filters import redact

    lines = {
        # As sent, with the names the API, S3 and OAuth use.
        "GET /cb/?code=AQD1&state=S1&page=2 HTTP/1.1": "GET /cb/?code=[redacted]&state=[redacted]&page=2 HTTP/1.1",
        "?access_token=A1&refresh_token=R1&id_token=I1&ordering=name": (
            "?access_token=[redacted]&refresh_token=[redacted]&id_token=[redacted]&ordering=name"
        ),
        "https://b.s3/k?X-Amz-Credential=AKIA%2F1&X-Amz-Security-Token=FQo%2Bz&X-Amz-Signature=5e1&X-Amz-Date=2024": (
            "https://b.s3/k?X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]"
            "&X-Amz-Signature=[redacted]&X-Amz-Date=2024"
        ),
        "/login/?password=hunter+2%20x&old_password=p1&next=/": (
            "/login/?password=[redacted]&old_password=[redacted]&next=/"
        ),
        # In an HTML page, and inside another URL: encoded once, twice; the inner page parameter kept.
        "href='/cb?state=S2&amp;code=C2&amp;page=3'": "href='/cb?state=[redacted]&amp;code=[redacted]&amp;page=3'",
        "/login/?next=%2Fcb%2F%3Fcode%3DAQD3%26state%3DS3%26page%3D4": (
            "/login/?next=%2Fcb%2F%3Fcode%3D[redacted]%26state%3D[redacted]%26page%3D4"
        ),
        "Location: /x?next=%252Fcb%253Fstate%253DS4%2526page%253D5": (
            "Location: /x?next=%252Fcb%253Fstate%253D[redacted]%2526page%253D5"
        ),
        # A bare query string (gunicorn's %(q)s); a value with an encoded & in it is one value.
        'query="code=AQD5&state=S5&page=6"': 'query="code=[redacted]&state=[redacted]&page=6"',
        "?state=S6%26more&page=7": "?state=[redacted]&page=7",
        # A QueryDict's repr.
        "<QueryDict: {'code': ['AQD7'], 'state': ['S7'], 'page': ['8']}>": (
            "<QueryDict: {'code': ['[redacted]'], 'state': ['[redacted]'], 'page': ['8']}>"
        ),
        # Not secrets: ordinary parameters, and words that only look like one outside a query string.
        "GET /api/chants/songs/?page=2&ordering=name HTTP/1.1": "GET /api/chants/songs/?page=2&ordering=name HTTP/1.1",
        "task wrapped.tasks.x ended id=1 object=['u'] state=SUCCESS duration=0.1": (
            "task wrapped.tasks.x ended id=1 object=['u'] state=SUCCESS duration=0.1"
        ),
    }

    assert {line: redact(line) for line in lines} == lines


def test_a_signed_value_is_redacted_wherever_it_is_and_however_it_is_url_encoded():
    from urllib.parse import quote

    from django.core import signing

    from core.log_filters import redact

    # What the Spotify link's state is: compressed (a leading "."), timestamped, a 43-character signature.
    signed = signing.dumps({"u": "5f0c1d2e-0000-4000-8000-000000000000", "n": "nonce123"}, salt="t", compress=True)
    once, twice = quote(signed, safe=""), quote(quote(signed, safe=""), safe="")
    unsigned = signing.Signer(salt="t").sign("42")  # value:signature, no timestamp
    assert "%3A" in once and "%253A" in twice

    lines = [
        f"linking failed for {once}, retry",
        f"redirect /done/?next=%2Fcb%3Fx%3D{twice}%26y%3D1",
        f"link {quote(unsigned, safe='')} expired",
        f"GET /x/?n={once}&page=2",
    ]
    redacted = [redact(line) for line in lines]

    for line in redacted:
        for part in (*signed.split(":"), *unsigned.split(":")):
            assert part not in line, line
    assert redacted == [
        "linking failed for [redacted], retry",
        "redirect /done/?next=%2Fcb%3Fx%3D[redacted]%26y%3D1",
        "link [redacted] expired",
        "GET /x/?n=[redacted]&page=2",
    ]
