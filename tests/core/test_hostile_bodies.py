"""Hostile request bodies get a clear JSON 4xx from every endpoint, never a 500 or Django's HTML page.

The nesting limit (64) is the documented contract (README, API conventions), written here
rather than imported, so the tests hold the code to it instead of to whatever it says.
tests/test_schema_fuzz.py sends the same bodies to every operation of the schema over HTTP;
these tests pin the boundaries and the wording on a few endpoints.
"""

import json

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import parsers as drf_parsers
from urllib3 import encode_multipart_formdata

from chants.models import Song
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

NESTING_LIMIT = 64
TOKEN = "/api/auth/token/"
BAD_CREDENTIALS = "No active account found with the given credentials"


@pytest.fixture
def anonymous(api_client):
    api_client.raise_request_exception = False  # a 500 is asserted on, not raised in the test
    return api_client


@pytest.fixture
def logged_in(user):
    client = bearer_client(user)
    client.raise_request_exception = False
    return client


def nested_json(depth: int, key: str = "username") -> str:
    """A JSON object `depth` levels deep: the object itself, then `depth - 1` lists in `key`."""
    lists = depth - 1
    return f'{{"{key}": {"[" * lists}{"]" * lists}, "password": "x"}}'


def post_json(client, path: str, body: str, content_type: str = "application/json", **extra):
    return client.generic("POST", path, body.encode(), content_type=content_type, **extra)


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def assert_nesting_refused(response) -> None:
    detail = assert_json_error(response, 400).get("detail", "")
    assert "nested" in detail and str(NESTING_LIMIT) in detail, detail


# --- Nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/auth/register/", "anonymous"),
        (TOKEN, "anonymous"),
        ("/api/auth/token/refresh/", "anonymous"),
        ("/api/chants/songs/", "logged_in"),
        ("/api/tracks/upload-urls/", "logged_in"),
        ("/api/learning/grade/", "logged_in"),
    ],
)
def test_the_reported_2_kb_of_nested_json_is_a_400_that_says_so(request, path, who):
    client = request.getfixturevalue(who)
    body = nested_json(1000)
    assert len(body) < 2100  # the size of the reported attack

    assert_nesting_refused(post_json(client, path, body))


def test_the_limit_is_64_levels(anonymous):
    at_limit = post_json(anonymous, TOKEN, nested_json(NESTING_LIMIT))
    over_limit = post_json(anonymous, TOKEN, nested_json(NESTING_LIMIT + 1))

    # 64 levels are parsed and reach the serializer, which names the field; 65 never get that far.
    assert assert_json_error(at_limit, 400) == {"username": ["Not a valid string."]}
    assert_nesting_refused(over_limit)


def test_brackets_inside_strings_do_not_count_as_nesting(anonymous):
    body = json.dumps({"username": "[" * 500 + "{" * 500, "password": "]]]"})

    response = post_json(anonymous, TOKEN, body)

    assert assert_json_error(response, 401)["detail"] == BAD_CREDENTIALS


@pytest.mark.parametrize("depth", [65, 500, 900, 930, 960, 1000, 5000, 100_000])
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_every_depth_over_the_limit_is_the_same_400_whatever_the_renderer(user, logged_in, depth, accept):
    """Deep values also recurse after parsing: a ChoiceField echoes its input with str(), renderers recurse.

    Below the interpreter's recursion limit the body used to parse and reach the serializer
    (a 400 naming `kind`); near it, it failed inside the parser or after it (500). Every depth
    over the limit must now stop at the parser with the same answer.
    """
    song = Song.objects.create(title="Target", created_by=user)
    body = nested_json(depth, key="kind").replace(
        '"password": "x"', '"file_name": "a.mp3", "content_type": "audio/mpeg"'
    )

    response = post_json(logged_in, f"/api/chants/songs/{song.pk}/assets/", body, HTTP_ACCEPT=accept)

    if accept == "application/json":
        assert_nesting_refused(response)
    else:  # the browsable API answers browsers in HTML, but with the same status
        assert response.status_code == 400


def test_nesting_is_counted_in_the_declared_charset(anonymous):
    """A body in UTF-16 (or EBCDIC) has no ASCII bracket bytes: the check must read characters."""
    body = nested_json(1000)

    for charset in ("utf-16", "cp500"):
        response = anonymous.generic(
            "POST", TOKEN, body.encode(charset), content_type=f"application/json; charset={charset}"
        )
        assert_nesting_refused(response)


def _api_views():
    """(path, view class, parser classes) of every DRF view under /api/, extra actions included."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                if view_class is None:
                    continue
                parser_classes = list(view_class.parser_classes)
                for action_name in (getattr(pattern.callback, "actions", None) or {}).values():
                    action = getattr(view_class, action_name, None)
                    parser_classes += list(getattr(action, "kwargs", {}).get("parser_classes", []))
                found.append((prefix + str(pattern.pattern), view_class, parser_classes))

    walk(get_resolver().url_patterns, "/")
    return [entry for entry in found if entry[0].startswith("/api/")]


def test_every_api_view_parses_json_with_the_nesting_limit():
    """A view that sets its own parser_classes must not bring back DRF's unlimited JSON parser."""
    from core.parsers import JSONParser

    flat_parsers = (drf_parsers.FormParser, drf_parsers.MultiPartParser, drf_parsers.FileUploadParser)
    views = _api_views()
    assert len(views) > 10  # the walk found the API, so the loop below checks something

    for path, view_class, parser_classes in views:
        for parser in parser_classes:
            assert issubclass(parser, JSONParser) or issubclass(parser, flat_parsers), (path, view_class, parser)


# --- Size and field count ---------------------------------------------------------------------


def _body_of_length(kind: str, length: int) -> tuple[bytes, str]:
    if kind == "json":
        prefix, suffix = b'{"username": "u", "password": "', b'"}'
        return prefix + b"p" * (length - len(prefix) - len(suffix)) + suffix, "application/json"
    prefix = b"username=u&password="
    return prefix + b"p" * (length - len(prefix)), "application/x-www-form-urlencoded"


@pytest.mark.parametrize("kind", ["json", "form"])
def test_a_body_one_byte_over_the_limit_is_a_json_413_naming_the_limit(anonymous, kind):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    at_limit, content_type = _body_of_length(kind, limit)
    over_limit, _ = _body_of_length(kind, limit + 1)
    assert (len(at_limit), len(over_limit)) == (limit, limit + 1)

    accepted = anonymous.generic("POST", TOKEN, at_limit, content_type=content_type)
    refused = anonymous.generic("POST", TOKEN, over_limit, content_type=content_type)

    assert assert_json_error(accepted, 401)["detail"] == BAD_CREDENTIALS
    detail = assert_json_error(refused, 413)["detail"]
    assert str(limit) in detail, detail


def test_the_reported_3_mb_json_body_is_a_413_for_a_logged_in_write_too(logged_in):
    body = json.dumps({"title": "x" * (3 * 1024 * 1024)})

    response = post_json(logged_in, "/api/chants/songs/", body)

    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in assert_json_error(response, 413)["detail"]
    assert not Song.objects.exists()


def test_a_multipart_text_field_over_the_limit_is_a_413(anonymous):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body, content_type = encode_multipart_formdata({"username": "u", "password": "p" * (limit + 1)})

    response = anonymous.generic("POST", TOKEN, body, content_type=content_type)

    assert str(limit) in assert_json_error(response, 413)["detail"]


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_one_form_field_too_many_is_a_json_400_naming_the_limit(anonymous, encoding):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS

    def send(field_count):
        fields = {"username": "u", "password": "p"} | {f"f{n}": "1" for n in range(field_count - 2)}
        if encoding == "form":
            body = "&".join(f"{name}={value}" for name, value in fields.items()).encode()
            return anonymous.generic("POST", TOKEN, body, content_type="application/x-www-form-urlencoded")
        body, content_type = encode_multipart_formdata(fields)
        return anonymous.generic("POST", TOKEN, body, content_type=content_type)

    accepted, refused = send(limit), send(limit + 1)

    assert assert_json_error(accepted, 401)["detail"] == BAD_CREDENTIALS
    detail = assert_json_error(refused, 400)["detail"]
    assert str(limit) in detail and "fields" in detail, detail


def test_one_file_too_many_is_a_json_400_naming_the_limit(logged_in):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    files = {f"file{n}": (f"{n}.mp3", b"x", "audio/mpeg") for n in range(limit + 1)}
    body, content_type = encode_multipart_formdata(files)

    response = logged_in.generic("POST", "/api/tracks/upload/", body, content_type=content_type)

    detail = assert_json_error(response, 400)["detail"]
    assert str(limit) in detail and "files" in detail, detail


def test_with_the_login_throttles_on_the_body_errors_are_the_same(settings, anonymous):
    """The per-account login throttle reads the posted username, so it parses the body before the view."""
    settings.THROTTLE_LOGIN_RATE = "100/min"
    settings.THROTTLE_LOGIN_USERNAME_RATE = "100/min"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    over_limit, content_type = _body_of_length("json", limit + 1)
    too_many_fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)).encode()

    nested = post_json(anonymous, TOKEN, nested_json(1000))
    oversized = anonymous.generic("POST", TOKEN, over_limit, content_type=content_type)
    crowded = anonymous.generic("POST", TOKEN, too_many_fields, content_type="application/x-www-form-urlencoded")
    wrong_password = post_json(anonymous, TOKEN, json.dumps({"username": "nobody", "password": "x"}))

    assert_nesting_refused(nested)
    assert str(limit) in assert_json_error(oversized, 413)["detail"]
    assert "fields" in assert_json_error(crowded, 400)["detail"]
    assert assert_json_error(wrong_password, 401)["detail"] == BAD_CREDENTIALS  # the throttles let it through


# --- Content types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "Application/JSON; charset=UTF-8",
        "Application/JSON; charset=UTF-8; foo=bar",
        'application/json;charset="utf-8"',
        "APPLICATION/JSON",
    ],
)
def test_json_content_types_with_parameters_or_capitals_parse(anonymous, content_type):
    body = json.dumps({"username": "nobody-here", "password": "wrong"})

    response = post_json(anonymous, TOKEN, body, content_type=content_type)

    # 401 with simplejwt's words means the body was parsed and the credentials checked.
    assert assert_json_error(response, 401)["detail"] == BAD_CREDENTIALS


def test_the_declared_charset_is_used_to_decode(anonymous):
    body = json.dumps({"username": "nobody-hère", "password": "wrong"}, ensure_ascii=False).encode("utf-16")

    response = anonymous.generic("POST", TOKEN, body, content_type="Application/JSON; Charset=UTF-16")

    assert assert_json_error(response, 401)["detail"] == BAD_CREDENTIALS


def test_form_content_types_with_parameters_or_capitals_parse(anonymous):
    response = anonymous.generic(
        "POST",
        TOKEN,
        b"username=nobody&password=wrong",
        content_type="Application/X-WWW-Form-URLEncoded; charset=UTF-8; foo=bar",
    )

    assert assert_json_error(response, 401)["detail"] == BAD_CREDENTIALS


def test_a_charset_that_is_no_text_encoding_is_a_json_400(anonymous):
    """bz2_codec would inflate a small body past the size limit after it was checked."""
    body = b'{"username": "u", "password": "p"}'

    response = anonymous.generic("POST", TOKEN, body, content_type="application/json; charset=bz2_codec")

    assert "charset" in assert_json_error(response, 400)["detail"]


def _multipart(fields: dict, capitalised: bool) -> tuple[bytes, str]:
    body, content_type = encode_multipart_formdata(fields)
    if capitalised:
        # The boundary keeps its case: it must match the body's delimiters byte for byte.
        content_type = content_type.replace("multipart/form-data", "Multipart/Form-Data") + "; charset=UTF-8; foo=bar"
    return body, content_type


@pytest.mark.parametrize("capitalised", [False, True])
def test_a_capitalised_multipart_type_parses_with_the_default_parsers(logged_in, capitalised):
    body, content_type = _multipart({"title": "Kyrie"}, capitalised)

    response = logged_in.generic("POST", "/api/chants/songs/", body, content_type=content_type)

    assert response.status_code == 201, response.content[:300]
    assert Song.objects.get().title == "Kyrie"


@pytest.mark.parametrize("capitalised", [False, True])
def test_a_capitalised_multipart_type_parses_in_a_view_with_its_own_parser(logged_in, capitalised):
    body, content_type = _multipart({"name": "x"}, capitalised)  # no file: the serializer names it

    response = logged_in.generic("POST", "/api/tracks/upload/", body, content_type=content_type)

    assert assert_json_error(response, 400) == {"file": ["No file was submitted."]}


def test_a_capitalised_multipart_type_passes_a_sessions_csrf_check(user):
    """A session's CSRF check reads Django's request.POST, which parses multipart on its own."""
    from rest_framework.test import APIClient

    from tests.factories import DEFAULT_PASSWORD

    client = APIClient(enforce_csrf_checks=True)
    client.raise_request_exception = False
    client.login(username=user.username, password=DEFAULT_PASSWORD)
    secret = "A" * 32
    client.cookies["csrftoken"] = secret
    body, content_type = _multipart({"title": "Gloria", "csrfmiddlewaretoken": secret}, capitalised=True)

    response = client.generic("POST", "/api/chants/songs/", body, content_type=content_type)

    assert response.status_code == 201, response.content[:300]


def test_a_malformed_multipart_body_is_a_json_400(logged_in):
    response = logged_in.generic(
        "POST", "/api/chants/songs/", b"--x\r\n", content_type="multipart/form-data; boundary="
    )

    assert "Multipart form parse error" in assert_json_error(response, 400)["detail"]


# --- Errors Django answers before a view runs -------------------------------------------------


def test_a_request_django_refuses_before_any_view_is_a_json_400_under_api(anonymous):
    response = anonymous.get("/api/health/", HTTP_HOST="attacker.example")

    assert assert_json_error(response, 400)["detail"] == "The Host header names a host this server does not serve."


def test_outside_api_django_keeps_its_html_400(anonymous):
    response = anonymous.get("/admin/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_400_handler_answers_json_under_api_and_413_for_a_body_too_big(rf):
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation

    from core.errors import bad_request

    too_big = bad_request(rf.post("/api/auth/token/"), RequestDataTooBig("too big"))
    suspicious = bad_request(rf.get("/api/health/"), SuspiciousOperation("odd"))
    elsewhere = bad_request(rf.get("/admin/"), SuspiciousOperation("odd"))

    assert too_big.status_code == 413
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in json.loads(too_big.content)["detail"]
    assert suspicious.status_code == 400 and json.loads(suspicious.content)["detail"]
    assert elsewhere.status_code == 400 and elsewhere["Content-Type"].startswith("text/html")
