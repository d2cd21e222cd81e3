"""Schemathesis over the served OpenAPI schema, against the running app: no request may get a 5xx.

Every operation of the schema served at `/api/schema/` becomes one test item per test
function below (schemathesis collects them from the schema, so endpoints added later are
covered without touching this file), run once without credentials and once with a valid JWT
bearer token. Only `not_a_server_error` is checked: a response that does not match its
documented schema is not what this test is about.

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
"""

import json
import re
import uuid

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error

from chants.models import AssetKind, AssetUpload, Song
from tracks.models import Track

SCHEMA_URL = "/api/schema/"
SEED = 20240611
MAX_EXAMPLES = 25  # per operation, for the random (fuzzing) phase; the coverage phase adds its own cases

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
# Parent-to-child id chains, matched to a path's UUID parameters in the order the path names them:
# /songs/{id}/ takes the first id, /songs/{song_id}/assets/{upload_id}/ takes both.
SEEDED_CHAINS = (
    (str(OWN_SONG), str(OWN_UPLOAD)),  # the token user's song and upload
    (str(OTHER_SONG), str(OTHER_UPLOAD)),  # someone else's song and upload
    (str(OWN_SONG_2), str(OTHER_UPLOAD)),  # a real song with an upload of another song
)


# Each app's paths take ids of its own rows.
TRACK_CHAINS = ((str(OWN_TRACK),), (str(OTHER_TRACK),))


def _chains_for(path: str) -> tuple[tuple[str, ...], ...]:
    return TRACK_CHAINS if path.startswith("/api/tracks/") else SEEDED_CHAINS


def _ensure_seed(owner, other) -> None:
    """Create the fixed rows that are missing (a request of an earlier example may have deleted them)."""
    songs = (
        (OWN_SONG, owner, "Seeded song"),
        (OWN_SONG_2, owner, "Second seeded song"),
        (OTHER_SONG, other, "Someone else's song"),
    )
    for song_id, user, title in songs:
        Song.objects.get_or_create(
            pk=song_id,
            defaults={
                "title": title,
                "artist": "The Choir",
                "duration_seconds": 120.0,
                "lyrics": "Seeded lyrics.",
                "created_by": user,
            },
        )
    for upload_id, song_id, user in ((OWN_UPLOAD, OWN_SONG, owner), (OTHER_UPLOAD, OTHER_SONG, other)):
        AssetUpload.objects.get_or_create(
            pk=upload_id,
            defaults={
                "song_id": song_id,
                "kind": AssetKind.AUDIO,
                "file_name": "seeded.mp3",
                "content_type": "audio/mpeg",
                "key": f"users/{user.pk}/chants/{song_id}/audio/{upload_id.hex}-seeded.mp3",
                "created_by": user,
            },
        )
    for track_id, user in ((OWN_TRACK, owner), (OTHER_TRACK, other)):
        Track.objects.get_or_create(
            pk=track_id,
            defaults={
                "owner": user,
                "file_name": f"seeded {track_id.hex}.mp3",
                "name": "Seeded track",
                "status": Track.Status.READY,
                "format": "mp3",
                "original_key": f"users/{user.pk}/tracks/{track_id}/original/seeded.mp3",
                "mp3_key": f"users/{user.pk}/tracks/{track_id}/original/seeded.mp3",
            },
        )


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
def seeded(user, other_user):
    _ensure_seed(user, other_user)
    return user, other_user


def _call_and_check(case, base_url, seeded, headers=None):
    _ensure_seed(*seeded)
    _aim_coverage_case_at_seeded_rows(case)
    # The server's traceback of a 500 is in the captured log (django.request) of the failing test.
    case.call_and_validate(base_url=base_url, headers=headers, checks=[not_a_server_error])


def test_schema_has_operations():
    """Guards the tests below against passing vacuously on an empty schema."""
    assert schema.raw_schema.get("paths"), f"{SCHEMA_URL} lists no operations"


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_no_server_error_anonymous(case, live_server, seeded):
    _call_and_check(case, live_server.url, seeded)


@schema.parametrize()
@HYPOTHESIS_SETTINGS
def test_no_server_error_with_bearer_token(case, live_server, seeded):
    owner, _ = seeded
    token = RefreshToken.for_user(owner).access_token
    _call_and_check(case, live_server.url, seeded, headers={"Authorization": f"Bearer {token}"})
