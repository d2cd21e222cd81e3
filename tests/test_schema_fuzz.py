"""Schemathesis over the served OpenAPI schema, against the running app: the schema tells the truth.

Every operation of the schema served at `/api/schema/` becomes one test item per test
function below (schemathesis collects them from the schema, so endpoints added later are
covered without touching this file), run once without credentials and once with a valid JWT
bearer token; the anonymous run is served with DEBUG on, the other with DEBUG off, so neither
setting has answers of its own (Django's HTML debug pages). Every check schemathesis has runs on
every answer: no 5xx, every status code, content type, header and body as documented,
schema-violating requests refused and schema-valid ones accepted. The only exceptions are
business rules a schema cannot express (a password Django's validators refuse, a stale
If-Match, a name already in the library...): each is listed in BUSINESS_RULES below with the
operation, the status, the words of the answer and the reason, and excuses only a "schema-valid
request rejected" failure that matches it.

The requests go over HTTP to pytest-django's `live_server` (a real server thread), so they
pass through the whole stack: middleware, authentication, parsers, the exception handler.
Generation is deterministic (fixed seed, derandomized), so a failure reproduces on every run.

Why the schema is read at collection time rather than with `schemathesis.pytest.from_fixture`
from the live server: the lazy loader of schemathesis 4.32 reads `Function._nodeid`, which
pytest 9.2 no longer has (AttributeError). The document is the same: it is what the app's
`/api/schema/` view answers, fetched in-process with Django's test client.
Same incompatibility, cosmetic: under pytest 9.2 the per-operation items share their function's
node id, so the progress percentage is off and the short summary omits the operation; the
failure's header (`test_...[GET /api/...]`) names it, and `-k "auth/me"` selects by operation.

The hostile-body tests at the end are not generated: they send the same bodies to every
operation of the schema, anonymously and with a bearer token (a JSON body nested one level and
far over the API's limit of 64, a body one byte over DATA_UPLOAD_MAX_MEMORY_SIZE in each media
type the operation takes, and a normal body with a capitalised, parameterised Content-Type),
and check the exact answer: a JSON 400 or 413 that says why, or the 401 an anonymous caller
gets first. Operations that take no body get the same bodies and must ignore them (a GET
answers as it does without one). Random generation would rarely build these bodies, and some
cost megabytes, so one request per case is enough.
"""

import functools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData
from urllib3 import encode_multipart_formdata

from core.jobs import JobStatus
from downloads.models import TrackState
from tests.factories import AssetUploadFactory, DownloadFactory, DownloadTrackFactory, SongFactory, TrackFactory
from tests.fakes.spotify import FakeSpotify
from tests.helpers.media import tone_bytes

SCHEMA_URL = "/api/schema/"
SEED = 20240611
MAX_EXAMPLES = 20  # per operation, for the random (fuzzing) phase; the coverage phase adds its own cases

HYPOTHESIS_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # Each example is an HTTP round trip, and the test uses function-scoped fixtures (users, seed
    # rows) that deliberately live across examples: _ensure_seed() restores what a request deleted.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


def _fixed_uuid(number: int) -> uuid.UUID:
    return uuid.UUID(int=(0x5EED << 112) | number, version=4)


# Rows with fixed ids, so generation stays deterministic while path parameters can name real objects.
OWN_SONG, OWN_SONG_2, OTHER_SONG = _fixed_uuid(1), _fixed_uuid(2), _fixed_uuid(3)
OWN_UPLOAD, OTHER_UPLOAD = _fixed_uuid(11), _fixed_uuid(13)
OWN_TRACK, OTHER_TRACK = _fixed_uuid(21), _fixed_uuid(23)
OWN_DOWNLOAD, OTHER_DOWNLOAD = _fixed_uuid(31), _fixed_uuid(33)
# Parent-to-child id chains, matched to a path's UUID parameters in the order the path names them:
# /songs/{id}/ takes the first id, /songs/{song_id}/assets/{upload_id}/ takes both.
SEEDED_CHAINS = (
    (str(OWN_SONG), str(OWN_UPLOAD)),  # the token user's song and upload
    (str(OTHER_SONG), str(OTHER_UPLOAD)),  # someone else's song and upload
    (str(OWN_SONG_2), str(OTHER_UPLOAD)),  # a real song with an upload of another song
)


# Each app's paths take ids of its own rows.
TRACK_CHAINS = ((str(OWN_TRACK),), (str(OTHER_TRACK),))
DOWNLOAD_CHAINS = ((str(OWN_DOWNLOAD),), (str(OTHER_DOWNLOAD),))


def _chains_for(path: str) -> tuple[tuple[str, ...], ...]:
    if path.startswith("/api/tracks/"):
        return TRACK_CHAINS
    if path.startswith("/api/downloads/"):
        return DOWNLOAD_CHAINS
    return SEEDED_CHAINS


# The factories' rows, made only when no row has the fixed id yet (get_or_create on it).
class _SeededSong(SongFactory):
    class Meta:
        django_get_or_create = ("id",)


class _SeededUpload(AssetUploadFactory):
    class Meta:
        django_get_or_create = ("id",)


class _SeededTrack(TrackFactory):
    class Meta:
        django_get_or_create = ("id",)


class _SeededDownload(DownloadFactory):
    class Meta:
        django_get_or_create = ("id",)


class _SeededDownloadTrack(DownloadTrackFactory):
    class Meta:
        django_get_or_create = ("download", "position")


def _ensure_seed(owner, other) -> None:
    """Create the fixed rows that are missing (a request of an earlier example may have deleted them)."""
    songs = {
        OWN_SONG: _SeededSong(id=OWN_SONG, created_by=owner, title="Seeded song"),
        OWN_SONG_2: _SeededSong(id=OWN_SONG_2, created_by=owner, title="Second seeded song"),
        OTHER_SONG: _SeededSong(id=OTHER_SONG, created_by=other, title="Someone else's song"),
    }
    for upload_id, song_id in ((OWN_UPLOAD, OWN_SONG), (OTHER_UPLOAD, OTHER_SONG)):
        song = songs[song_id]
        _SeededUpload(  # awaiting its upload, the key of a checked file already given
            id=upload_id,
            song=song,
            file_name="seeded.mp3",
            key=f"users/{song.created_by_id}/chants/{song_id}/audio/{upload_id.hex}-seeded.mp3",
        )
    for track_id, user in ((OWN_TRACK, owner), (OTHER_TRACK, other)):
        _SeededTrack(id=track_id, owner=user, name="Seeded track")  # ready, with its MP3
    for download_id, user in ((OWN_DOWNLOAD, owner), (OTHER_DOWNLOAD, other)):
        _seed_download(download_id, user)


def _seed_download(download_id: uuid.UUID, owner) -> None:
    """A finished download with its zip, one track in it and one failed: list and detail fill every field."""
    finished = timezone.now()
    download = _SeededDownload(
        id=download_id,
        owner=owner,
        total=2,
        status=JobStatus.DONE,
        zip_key=f"users/{owner.pk}/downloads/{download_id.hex}.zip",
        finished_at=finished,
        expires_at=finished + timedelta(hours=django_settings.DOWNLOADS_RETENTION_HOURS),
    )
    _SeededDownloadTrack(download=download, position=0, state=TrackState.DONE, file_name="Artist - Track.mp3")
    _SeededDownloadTrack(download=download, position=1, state=TrackState.FAILED, error="Not available.")


def _uuid_path_parameters(path: str, values: dict) -> list[str]:
    """Names of the path parameters holding a UUID, in the order the path template names them."""
    names = []
    for name in re.findall(r"{([^}]+)}", path):
        try:
            uuid.UUID(str(values.get(name)))
        except ValueError:
            continue  # not a UUID (e.g. a deliberately invalid value): leave it as generated
        names.append(name)
    return names


def _with_chain(path_parameters: dict, names: list[str], chain: tuple[str, ...]) -> dict:
    return {**path_parameters, **dict(zip(names, chain, strict=False))}


def _sometimes_seeded_ids(context, path_parameters):
    """Fuzzing phase: about half the cases name seeded rows instead of random (absent) ones."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    names = _uuid_path_parameters(context.operation.path, path_parameters)
    if not names:
        return st.just(path_parameters)
    chains = _chains_for(context.operation.path)
    seeded = st.sampled_from(chains).map(lambda chain: _with_chain(path_parameters, names, chain))
    return st.one_of(st.just(path_parameters), seeded)


def _aim_coverage_case_at_seeded_rows(case) -> None:
    """The coverage phase varies one part of a request and keeps a placeholder id in the path.

    Unless the path parameter is the part under test, point it at the token user's seeded rows,
    so body and header variants reach the code behind the lookup instead of stopping at 404.
    """
    meta = case.meta
    if meta is None or meta.phase.name != "coverage" or meta.phase.data.parameter_location == "path":
        return
    if not isinstance(case.path_parameters, dict):
        return
    names = _uuid_path_parameters(case.operation.path, case.path_parameters)
    if names:
        case.path_parameters = _with_chain(case.path_parameters, names, _chains_for(case.operation.path)[0])


def _load_schema():
    response = Client().get(SCHEMA_URL, {"output_format": "json"}, HTTP_HOST="localhost")
    assert response.status_code == 200, f"{SCHEMA_URL} answered {response.status_code}"
    loaded = schemathesis.openapi.from_dict(json.loads(response.content), config=schemathesis.Config(seed=SEED))
    loaded.hook("flatmap_path_parameters")(_sometimes_seeded_ids)
    return loaded


schema = _load_schema()


@pytest.fixture
def seeded(user, other_user, settings):
    _ensure_seed(user, other_user)
    # Linking a Spotify account asks Spotify first: the fake answers (an unknown token is refused).
    with FakeSpotify() as spotify:
        spotify.point_settings_at_me(settings)
        yield user, other_user


load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


@dataclass(frozen=True)
class BusinessRule:
    """A schema-valid request the API refuses for a reason the schema cannot state."""

    operation: str  # "METHOD /path/template/"
    status: int
    says: str  # words the answer's body must contain, so only this refusal is excused
    why: str


BUSINESS_RULES = (
    BusinessRule(
        "POST /api/auth/register/",
        400,
        "password",
        "Django's password validators (length, common, numeric, too similar to the username or email)",
    ),
    BusinessRule("POST /api/auth/register/", 400, "username", "the username is taken (case-insensitively)"),
    BusinessRule(
        "POST /api/auth/register/", 400, "email address is taken", "the e-mail address is taken (in any case)"
    ),
    BusinessRule(
        "POST /api/downloads/", 400, '"url":["', "a track's url must be http(s) on a host of DOWNLOADS_ALLOWED_HOSTS"
    ),
    BusinessRule(
        "POST /api/auth/password/",
        400,
        "password",
        "a wrong old password, or a new one that Django's password validators refuse",
    ),
    *(
        BusinessRule(
            f"{method} /api/chants/songs/{{id}}/",
            412,
            "If-Match",
            "a stale If-Match: any string is a schema-valid ETag, only the current one is accepted",
        )
        for method in ("PUT", "PATCH", "DELETE")
    ),
    BusinessRule(
        "POST /api/chants/songs/{song_id}/assets/",
        415,
        "is not accepted for",
        "the content type must be one the kind accepts, matched case-insensitively and with parameters (not an enum)",
    ),
    BusinessRule(
        "POST /api/tracks/upload-urls/",
        415,
        "is not a",
        "a file name or content type that is not audio "
        "(names by extension, types case-insensitively and with parameters)",
    ),
    BusinessRule("POST /api/tracks/upload-urls/", 413, "MB", "a size over TRACKS_MAX_UPLOAD_MB, a setting"),
    BusinessRule(
        "POST /api/tracks/upload-urls/",
        400,
        "Each file may appear once",
        "the same file name twice in one request (uniqueness of a property of items)",
    ),
    BusinessRule("POST /api/tracks/", 400, "Each track may appear once", "the same track twice in one confirm"),
    BusinessRule("POST /api/tracks/", 400, "upload key", "the key must be the staging key issued for the track"),
    BusinessRule("POST /api/tracks/", 400, "was created for", "the file name must be the one the track was made for"),
    BusinessRule(
        "POST /api/tracks/upload/",
        415,
        "is not a",
        "the file's name or content type is not audio (a part's file name and type are not in the schema)",
    ),
    *(
        rule
        for operation in ("POST /api/mastering/analyses/", "POST /api/mastering/references/")
        for rule in (
            BusinessRule(operation, 415, "a .wav, .flac", "the file's bytes are not audio the analysis reads"),
            BusinessRule(operation, 413, "MB", "a file over MASTERING_MAX_UPLOAD_MB, a setting"),
        )
    ),
    BusinessRule(
        "POST /api/mastering/analyses/", 400, "set a default genre", "no genre, and no default genre in the settings"
    ),
    *(
        BusinessRule(
            f"{method} /api/wrapped/account/",
            400,
            "Spotify does not accept this refresh token",
            "any string is a schema-valid refresh token; Spotify accepts only the ones it issued",
        )
        for method in ("PUT", "PATCH")
    ),
    BusinessRule(
        "GET /api/wrapped/spotify/callback/",
        400,
        "state",
        "any string is a schema-valid state; only one this server signed for the caller, unused and fresh, is taken",
    ),
    BusinessRule(
        "POST /api/downloads/",
        400,
        '"url":[',  # only the url field's refusal: its length, blanks and NUL are in the schema
        "a track URL must be http or https on a host of DOWNLOADS_ALLOWED_HOSTS, a setting (core.egress.check_url)",
    ),
    BusinessRule(
        "POST /api/wrapped/enrollment/",
        400,
        "Give active_wrapped",
        "an empty body would change nothing (minProperties)",
    ),
)


def _excused(case, response: requests.Response, failure) -> bool:
    if not isinstance(failure, RejectedPositiveData):
        return False
    operation = f"{case.method.upper()} {case.operation.path}"
    return any(
        rule.operation == operation and rule.status == response.status_code and rule.says in response.text
        for rule in BUSINESS_RULES
    )


def _call_and_check(case, base_url, seeded, headers=None):
    _ensure_seed(*seeded)
    _aim_coverage_case_at_seeded_rows(case)
    response = case.call(base_url=base_url, headers=headers)
    # The server's traceback of a 500 is in the captured log (django.request) of the failing test.
    try:
        case.validate_response(
            response,
            checks=ALL_CHECKS,
            headers=headers,
            transport_kwargs={"base_url": base_url, **({"headers": headers} if headers else {})},
        )
    except FailureGroup as group:
        failures = [failure for failure in group.exceptions if not _excused(case, response, failure)]
        if failures:
            raise FailureGroup(failures, group.message) from None


def test_schema_has_operations():
    """Guards the tests below against passing vacuously on an empty schema."""
    assert schema.raw_schema.get("paths"), f"{SCHEMA_URL} lists no operations"


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_schema_is_true_anonymous(case, live_server, seeded, settings):
    # Served with DEBUG on, as `make run` serves a development machine (and an outside fuzz found
    # Django's HTML debug pages there); the bearer run keeps production's DEBUG off.
    settings.DEBUG = True
    _call_and_check(case, live_server.url, seeded)


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_schema_is_true_with_bearer_token(case, live_server, seeded):
    owner, _ = seeded
    token = RefreshToken.for_user(owner).access_token
    _call_and_check(case, live_server.url, seeded, headers={"Authorization": f"Bearer {token}"})


# --- Hostile bodies, sent to every operation of the schema ----------------------------------------

NESTING_LIMIT = 64  # the API's documented limit (README, API conventions)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_HTTP_METHODS = ("get", "put", "post", "patch", "delete")
_SAFE_METHODS = ("GET",)
_WHO = ("anonymous", "bearer")


def _schema_operations():
    for path, item in schema.raw_schema["paths"].items():
        for method in _HTTP_METHODS:
            if method in item:
                yield pytest.param(method.upper(), path, item[method], id=f"{method.upper()} {path}")


OPERATIONS = list(_schema_operations())


def _media_types(operation) -> list[str]:
    return list((operation.get("requestBody") or {}).get("content", {}))


def _allows_anonymous(operation) -> bool:
    security = operation.get("security")
    return not security or {} in security


def _resolved(node: dict) -> dict:
    while "$ref" in node:
        node = schema.raw_schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _body_schema(operation, media_type: str) -> dict:
    return _resolved(operation["requestBody"]["content"][media_type].get("schema", {}))


def _first_field(operation) -> str:
    """A field the operation reads, so a nested value would reach its serializer if the parser let it."""
    for media_type in _media_types(operation):
        names = list(_body_schema(operation, media_type).get("properties", {}))
        if names:
            return names[0]
    return "value"


# Values a client would send for fields whose type alone does not say (a file's content type is checked).
_PLAIN_BY_NAME = {"content_type": "audio/mpeg", "file_name": "Café chant.mp3"}


@functools.cache
def _short_mp3() -> bytes:
    return tone_bytes("mp3", seconds=1.5)


def _plain_value(name: str, field: dict):
    """An ordinary value of a field: what a client would send."""
    if name in _PLAIN_BY_NAME:
        return _PLAIN_BY_NAME[name]
    field = _resolved(field)
    if "enum" in field:
        return field["enum"][0]
    if "allOf" in field:
        return _plain_value(name, field["allOf"][0])
    kind, string_format = field.get("type"), field.get("format")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if string_format == "uuid":
        return str(_fixed_uuid(99))
    if string_format == "email":
        return "someone@example.com"
    if string_format == "binary":
        return ("song.mp3", _short_mp3(), "audio/mpeg")  # real audio: what a client sends
    return "Café chant"  # not ASCII: the declared charset has to be honoured


def _normal_fields(operation, media_type: str) -> dict:
    body_schema = _body_schema(operation, media_type)
    properties = body_schema.get("properties", {})
    fields = {
        name: _plain_value(name, properties[name]) for name in body_schema.get("required", []) if name in properties
    }
    if media_type != JSON:  # forms carry scalars and files only
        fields = {name: value for name, value in fields.items() if not isinstance(value, (list, dict))}
    return fields


def _encoded(media_type: str, fields: dict) -> tuple[bytes, str]:
    """The body and its plain Content-Type."""
    if media_type == JSON:
        return json.dumps(fields, ensure_ascii=False).encode(), JSON
    if media_type == MULTIPART:
        return encode_multipart_formdata({name: v if isinstance(v, tuple) else str(v) for name, v in fields.items()})
    return urlencode({name: v for name, v in fields.items() if not isinstance(v, tuple)}).encode(), FORM


def _oversized(media_type: str, field: str) -> tuple[bytes, str]:
    """A body one byte over DATA_UPLOAD_MAX_MEMORY_SIZE, all of it data (no file)."""
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if media_type == MULTIPART:
        # Django counts a multipart body's field data, not its part headers: the field alone is over.
        return _encoded(media_type, {field: "x" * (limit + 1)})
    overhead = len(_encoded(media_type, {field: ""})[0])
    body, content_type = _encoded(media_type, {field: "x" * (limit + 1 - overhead)})
    assert len(body) == limit + 1
    return body, content_type


def _nested_json(field: str, depth: int) -> bytes:
    lists = depth - 1  # the object itself is the first level
    return f'{{"{field}": {"[" * lists}{"]" * lists}}}'.encode()


def _parameterised(content_type: str) -> str:
    """`Application/JSON; charset=UTF-8; foo=bar`: capitals, and parameters the parser does not know."""
    media_type, _, parameters = content_type.partition(";")
    capitalised = "/".join(part.title().replace("Json", "JSON") for part in media_type.split("/"))
    return "; ".join(part for part in (capitalised, parameters.strip(), "charset=UTF-8", "foo=bar") if part)


class _Sender:
    """Requests to one operation, with seeded ids in its path, anonymous or with a bearer token."""

    def __init__(self, base_url: str, method: str, path: str, seeded):
        self.method, self.path, self.seeded = method, path, seeded
        names = re.findall(r"{([^}]+)}", path)
        ids = dict(zip(names, _chains_for(path)[0], strict=False))
        self.url = base_url + re.sub(r"{([^}]+)}", lambda match: ids.get(match[1], str(_fixed_uuid(98))), path)
        self.token = str(RefreshToken.for_user(seeded[0]).access_token)

    def send(self, who: str, body: bytes | None = None, content_type: str | None = None) -> requests.Response:
        _ensure_seed(*self.seeded)  # an earlier request may have deleted a seeded row
        headers = {"Accept": JSON}
        if content_type:
            headers["Content-Type"] = content_type
        if who == "bearer":
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(self.method, self.url, data=body, headers=headers, timeout=60)


def _problem(response: requests.Response, expected_status: int | None, detail_has: tuple[str, ...] = ()) -> str | None:
    """What is wrong with an answer to a hostile body, None when nothing is."""
    if response.status_code >= 500:
        return f"{response.status_code} (a server error)"
    if expected_status is not None and response.status_code != expected_status:
        return f"{response.status_code}, expected {expected_status}: {response.text[:200]}"
    if not response.content:
        return None  # 204, 304
    if not response.headers.get("Content-Type", "").startswith(JSON):
        return (
            f"{response.status_code} answered {response.headers.get('Content-Type')}, not JSON: {response.text[:200]}"
        )
    body = response.json()
    if response.status_code >= 400:
        if not isinstance(body, dict) or not body:
            return f"{response.status_code} without a detail or field errors: {response.text[:200]}"
        detail = str(body.get("detail", ""))
        missing = [word for word in detail_has if word not in detail]
        if missing:
            return f"{response.status_code} detail {detail!r} does not mention {missing}"
    return None


def _expected_for(operation, who: str, status_once_read: int) -> int:
    # Authentication comes before the body is read: an anonymous caller of a protected operation gets 401.
    return 401 if who == "anonymous" and not _allows_anonymous(operation) else status_once_read


def _check_bodiless(sender, who: str, body: bytes, content_type: str) -> str | None:
    """An operation that takes no body ignores one: the same answer as without it (for GETs, which repeat)."""
    hostile = sender.send(who, body, content_type)
    problem = _problem(hostile, None)
    if problem or sender.method not in _SAFE_METHODS:
        return problem
    plain = sender.send(who)
    if hostile.status_code != plain.status_code:
        return f"{hostile.status_code} with the body, {plain.status_code} without it"
    return None


def test_hostile_bodies_reach_operations_of_every_kind():
    """Guards the three tests below against passing vacuously: some operations take JSON, one only multipart."""
    media_types = [_media_types(operation) for _, _, operation in (param.values for param in OPERATIONS)]
    assert any(JSON in types for types in media_types)
    assert any(types == [MULTIPART] for types in media_types)
    assert any(not types for types in media_types)


def _report(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_json_nested_over_the_limit_is_a_400_that_says_so(method, path, operation, live_server, seeded):
    sender, problems = _Sender(live_server.url, method, path, seeded), []
    field = _first_field(operation)
    for who in _WHO:
        for depth in (NESTING_LIMIT + 1, 1000):  # just over the limit; the reported 2 KB attack
            body = _nested_json(field, depth)
            if not _media_types(operation):
                problem = _check_bodiless(sender, who, body, JSON)
            elif JSON in _media_types(operation):
                expected = _expected_for(operation, who, 400)
                words = ("nested", str(NESTING_LIMIT)) if expected == 400 else ()
                problem = _problem(sender.send(who, body, JSON), expected, words)
            else:  # a multipart-only upload: JSON is the wrong media type whatever it holds
                problem = _problem(sender.send(who, body, JSON), _expected_for(operation, who, 415))
            if problem:
                problems.append(f"{method} {path} {who}, depth {depth}: {problem}")
    _report(problems)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_body_over_the_size_limit_is_a_413_naming_it(method, path, operation, live_server, seeded):
    sender, problems = _Sender(live_server.url, method, path, seeded), []
    field, limit = _first_field(operation), str(django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    for who in _WHO:
        for media_type in _media_types(operation) or [None]:
            body, content_type = _oversized(media_type or JSON, field)
            if media_type is None:
                problem = _check_bodiless(sender, who, body, content_type)
            else:
                expected = _expected_for(operation, who, 413)
                problem = _problem(sender.send(who, body, content_type), expected, (limit,) if expected == 413 else ())
            if problem:
                problems.append(f"{method} {path} {who}, {media_type or 'no body'}: {problem}")
    _report(problems)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_parameterised_content_type_parses_like_the_plain_one(method, path, operation, live_server, seeded):
    sender, problems = _Sender(live_server.url, method, path, seeded), []
    for who in _WHO:
        for media_type in _media_types(operation) or [None]:
            fields = _normal_fields(operation, media_type) if media_type else {}
            body, content_type = _encoded(media_type or JSON, fields)
            if media_type is None:
                problem = _check_bodiless(sender, who, body, _parameterised(content_type))
            else:
                response = sender.send(who, body, _parameterised(content_type))
                problem = _problem(response, None)
                if not problem and response.status_code == 415:
                    problem = f"415: {response.text[:200]}"
                elif not problem and "parse error" in response.text.lower():
                    problem = f"{response.status_code}, the body was not parsed: {response.text[:200]}"
            if problem:
                problems.append(f"{method} {path} {who}, {_parameterised(content_type)}: {problem}")
    _report(problems)
