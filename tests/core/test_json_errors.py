"""Under /api/ every error is JSON with a `detail`, with DJANGO_DEBUG on or off (issue 18).

With DEBUG on Django answers an unknown path with its technical 404 page and an exception (or a
bad Host) with its technical 500 page, whatever config/urls.py's handlers say; a view outside DRF
refuses a method with an empty HTML 405 either way. Each case is sent through Django's test client
and through the WSGI handler a server runs (config.wsgi's kind), and must come back as the JSON
an API client parses. Outside /api/ (the admin, the browsable API's login) Django keeps its pages.
"""

import json
from urllib.parse import unquote_to_bytes
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

import config.urls

SECRET = "db password is hunter2"  # the text of the exception the raising views raise


def _raise(request):
    raise RuntimeError(SECRET)


class _RaisingApiView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError(SECRET)


# This module is the URLconf of the tests that need a view that raises: the project's, plus those.
urlpatterns = [
    path("api/raises/", _raise),
    path("api/raises-in-drf/", _RaisingApiView.as_view()),
    path("raises/", _raise),
    *config.urls.urlpatterns,
]
handler400, handler403 = config.urls.handler400, config.urls.handler403
handler404, handler500 = config.urls.handler404, config.urls.handler500


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


class _Answer:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        assert self.headers.get("Content-Type") == "application/json", (self.status, self.headers, self.body[:300])
        return json.loads(self.body)


def _through_test_client(method: str, url: str, host: str) -> _Answer:
    response = Client(raise_request_exception=False).generic(method, url, HTTP_HOST=host)
    return _Answer(response.status_code, dict(response.headers), response.content)


def _through_wsgi(method: str, url: str, host: str) -> _Answer:
    """The request as a WSGI server hands it over: PATH_INFO is the path's bytes, decoded as latin-1."""
    environ = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD=method, PATH_INFO=unquote_to_bytes(url).decode("latin-1"), HTTP_HOST=host)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(headers))

    # As Django's test client does: the handler's signals would otherwise close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return _Answer(started["status"], started["headers"], body)


@pytest.fixture(params=[_through_test_client, _through_wsgi], ids=["test-client", "wsgi"])
def send(request):
    def send(method: str, url: str, host: str = "localhost") -> _Answer:
        return request.param(method, url, host)

    return send


@pytest.mark.parametrize(
    "url",
    [
        "/api/no-such-endpoint/",
        "/api/tracks/not-a-uuid/",  # an id its route's pattern refuses
        "/api/tracks/%C2%84/",  # a C1 control character as the id
        "/api/downloads//",  # an empty id
        "/api/chants/songs/1/assets/",
    ],
)
def test_a_path_no_route_takes_is_a_json_404(debug, send, url):
    answer = send("GET", url)

    assert answer.status == 404
    assert answer.json() == {"detail": "Not found."}


@pytest.mark.parametrize("url", ["/api/health/", "/api/tracks/"])
def test_a_host_this_server_does_not_serve_is_a_json_400(debug, send, url):
    answer = send("GET", url, host="evil.example")

    assert answer.status == 400
    assert answer.json() == {"detail": "The Host header names a host this server does not serve."}


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("PUT", "/api/", "GET, HEAD, OPTIONS"),  # a DRF view
        ("POST", "/api/storage/some-token/", "GET, HEAD, PUT"),  # a plain Django view (signed URLs)
    ],
)
def test_a_method_the_endpoint_does_not_take_is_a_json_405_with_allow(debug, send, method, url, allowed):
    answer = send(method, url)

    assert answer.status == 405
    assert answer.json() == {"detail": f'Method "{method}" not allowed.'}
    assert answer.headers["Allow"] == allowed


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/raises/", "/api/raises-in-drf/"])
def test_an_unhandled_exception_is_a_json_500_that_keeps_its_text_to_the_log(debug, send, url, caplog):
    answer = send("GET", url)

    assert answer.status == 500
    assert answer.json() == {"detail": "Internal server error."}
    assert SECRET not in answer.body.decode()
    # The operator still gets the traceback, once.
    logged = [record for record in caplog.records if record.name == "django.request" and record.exc_info]
    assert len(logged) == 1 and str(logged[0].exc_info[1]) == SECRET


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "host", "status"),
    [
        ("/api-auth/no-such-page/", "localhost", 404),
        ("/admin/login/", "evil.example", 400),
        ("/raises/", "localhost", 500),
    ],
)
def test_outside_api_django_keeps_its_own_pages(debug, send, url, host, status):
    api = send("GET", "/api" + url, host)  # the same error under /api/
    elsewhere = send("GET", url, host)

    assert api.status == elsewhere.status == status
    assert api.headers["Content-Type"] == "application/json" and "detail" in api.json()
    assert elsewhere.headers["Content-Type"].startswith("text/html")
