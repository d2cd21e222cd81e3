"""The local signed-URL endpoint under fuzzing: whatever the token, method, headers or body, never a 5xx.

The endpoint is outside the OpenAPI schema (its URLs are minted by core.storage, not described),
so schemathesis does not reach it; hypothesis does, with random tokens, tokens signed with the
right salt around hostile payloads (only the server can mint those, but a bug that mints a
bad one must not become a 500), every method, and lying Content-Length / Content-Type headers.
"""

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.storage import SIGNING_SALT

pytestmark = pytest.mark.django_db

TOKEN_CHARS = st.characters(codec="ascii", exclude_characters="/?#%\x00")
PAYLOAD_VALUES = st.one_of(
    st.none(), st.integers(), st.text(max_size=40), st.booleans(), st.lists(st.integers(), max_size=3)
)
# Each field is mostly well formed (so requests get past the signature, method and expiry checks) and
# sometimes hostile: another type, a path outside storage, nothing at all.
PAYLOADS = st.fixed_dictionaries(
    {
        "k": st.one_of(st.sampled_from(["staging/u/x", "../../etc/passwd", "users/u/a.mp3", ""]), PAYLOAD_VALUES),
        "m": st.one_of(st.sampled_from(["GET", "PUT"]), PAYLOAD_VALUES),
        "exp": st.one_of(st.just(4102444800), PAYLOAD_VALUES),
    },
    optional={
        "ct": st.one_of(st.just("audio/mpeg"), PAYLOAD_VALUES),
        "max": st.one_of(st.just(10), PAYLOAD_VALUES),
        "fn": st.one_of(st.just("A song.mp3"), PAYLOAD_VALUES),
    },
)
TOKENS = st.one_of(
    st.text(TOKEN_CHARS, min_size=1, max_size=120),
    PAYLOADS.map(lambda payload: signing.dumps(payload, salt=SIGNING_SALT)),
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "CONTENT_LENGTH": st.sampled_from(["0", "5", "-1", "abc", "99999999999999999999"]),
        "CONTENT_TYPE": st.sampled_from(["audio/mpeg", "Audio/MPEG; x=1", "", "text/html"]),
        "HTTP_TRANSFER_ENCODING": st.just("chunked"),
    },
)


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token=TOKENS,
    method=st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]),
    headers=HEADERS,
    body=st.binary(max_size=64),
)
def test_the_signed_url_endpoint_never_answers_a_server_error(client, local_storage, token, method, headers, body):
    response = client.generic(method, f"/api/storage/{token}/", body, **headers)

    assert response.status_code < 500, (token, method, headers, response.content[:200])
