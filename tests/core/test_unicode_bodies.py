"""Text that is not valid Unicode gets a JSON 400 from every write endpoint, never a 500.

JSON can spell a lone UTF-16 surrogate (`"\\ud800"`): valid JSON text, but the str json.loads
makes of it has no UTF-8 form. A ChoiceField echoes the value in its error, and the renderer
then raised UnicodeEncodeError (a 500). The parser refuses such a body; the operations are read
from the served schema, so an endpoint added later is covered without touching this file.
"""

import json
import re

import pytest
from django.test import Client
from urllib3 import encode_multipart_formdata

from chants.models import Song
from tests.conftest import bearer_client
from tests.factories import AssetUploadFactory, SongFactory, TrackFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
LONE = "\ud800"  # json.dumps escapes it (ensure_ascii): on the wire, the six characters \ud800


def _json_write_operations():
    """(method, path, the body's first field) of every POST, PUT and PATCH that takes JSON."""
    response = Client().get("/api/schema/", {"output_format": "json"}, HTTP_HOST="localhost")
    assert response.status_code == 200
    schema = json.loads(response.content)
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch"):
            content = (item.get(method, {}).get("requestBody") or {}).get("content", {})
            if JSON not in content:
                continue  # a multipart-only upload answers JSON with 415 before reading it; an action without a body
            reference = content[JSON].get("schema", {}).get("$ref", "")
            component = schema["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
            field = next(iter(component.get("properties", {})), "value")
            yield pytest.param(method.upper(), path, field, id=f"{method.upper()} {path}")


JSON_WRITE_OPERATIONS = list(_json_write_operations())


@pytest.fixture
def writer(user):
    client = bearer_client(user)
    client.raise_request_exception = False  # a 500 is asserted on, not raised in the test
    return client


@pytest.fixture
def url_for(user):
    """The operation's path with its ids naming the caller's own rows, so the body is read, not a 404."""
    song = SongFactory(created_by=user)
    ids = {"id": song.pk, "song_id": song.pk, "upload_id": AssetUploadFactory(song=song).pk}

    def url(path: str) -> str:
        if path.startswith("/api/tracks/"):
            return path.replace("{id}", str(TrackFactory(owner=user).pk))
        return re.sub(r"{([^}]+)}", lambda match: str(ids[match[1]]), path)

    return url


def send(client, method: str, path: str, body: bytes, content_type: str = JSON, **extra):
    return client.generic(method, path, body, content_type=content_type, **extra)


def assert_not_unicode_400(response) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith(JSON)
    detail = json.loads(response.content)["detail"]
    assert "not valid Unicode" in detail and "\\ud800" in detail, detail


def test_the_schema_lists_the_write_operations():
    """Guards the parametrized test below against passing vacuously."""
    assert len(JSON_WRITE_OPERATIONS) >= 15
    assert {"PATCH /api/learning/settings/", "PATCH /api/mastering/settings/"} <= {
        param.id for param in JSON_WRITE_OPERATIONS
    }


@pytest.mark.parametrize(("method", "path", "field"), JSON_WRITE_OPERATIONS)
@pytest.mark.parametrize("where", ["value", "key"])
def test_a_lone_surrogate_in_a_json_body_is_a_400_at_every_write_operation(writer, url_for, method, path, field, where):
    body = {field: LONE} if where == "value" else {LONE: "x", field: "x"}

    response = send(writer, method, url_for(path), json.dumps(body).encode())

    assert_not_unicode_400(response)


@pytest.mark.parametrize("accept", [JSON, "text/html"])
def test_the_reported_asset_kind_is_a_400_whatever_the_renderer(writer, user, accept):
    song = SongFactory(created_by=user)
    body = b'{"kind": "\\ud800", "file_name": "a.mp3", "content_type": "audio/mpeg"}'

    response = send(writer, "POST", f"/api/chants/songs/{song.pk}/assets/", body, HTTP_ACCEPT=accept)

    if accept == JSON:
        assert_not_unicode_400(response)
    else:  # the browsable API answers browsers in HTML, with the same status
        assert response.status_code == 400
    assert not song.asset_uploads.exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/learning/settings/", b'{"scheduler": "\\ud800"}'),
        ("/api/mastering/settings/", b'{"\\uDFFF": 1}'),
        ("/api/mastering/settings/", b'{"x": [{"y": ["ok", "\\udc80"]}]}'),
        ("/api/learning/settings/", b'{"scheduler": "sm2\\uD83D"}'),  # a high surrogate with no low one after it
    ],
)
def test_the_reported_settings_bodies_are_a_400(writer, path, body):
    assert_not_unicode_400(send(writer, "PATCH", path, body))


def test_a_surrogate_decoded_from_an_odd_charset_is_refused_too(writer):
    """UTF-7 spells U+D800 as "+2AA-" with no backslash escape at all."""
    body = '{"title": "+2AA-"}'.encode("ascii")

    response = send(writer, "POST", "/api/chants/songs/", body, content_type="application/json; charset=utf-7")

    assert_not_unicode_400(response)
    assert not Song.objects.exists()


def test_a_surrogate_pair_and_an_escaped_backslash_are_ordinary_text(writer):
    # "\ud83c\udfb5" is one character once parsed (U+1F3B5); "\\ud800" is a backslash and five letters.
    body = b'{"title": "Kyrie \\ud83c\\udfb5", "artist": "C:\\\\ud800"}'

    response = send(writer, "POST", "/api/chants/songs/", body)

    assert response.status_code == 201, response.content[:300]
    song = Song.objects.get()
    assert (song.title, song.artist) == ("Kyrie \N{MUSICAL NOTE}", "C:\\ud800")


def test_forms_multipart_and_query_strings_cannot_carry_a_surrogate(writer):
    """Django decodes them as UTF-8 with errors="replace": an encoded surrogate becomes U+FFFD, not U+D800.

    Guards the premise of the JSON parser's check: nothing else needs one as long as this holds.
    """
    encoded = "%ED%A0%80"  # what a surrogate would be in UTF-8, which the codec refuses to decode

    ordered = writer.get(f"/api/chants/songs/?ordering={encoded}&search={encoded}")
    form = send(
        writer,
        "POST",
        "/api/chants/songs/",
        f"title={encoded}&{encoded}=1".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    multipart_body, multipart_type = encode_multipart_formdata({"title": b"Gloria \xed\xa0\x80"})
    multipart = send(writer, "POST", "/api/chants/songs/", multipart_body, content_type=multipart_type)

    assert ordered.status_code == 200
    assert (form.status_code, multipart.status_code) == (201, 201)
    titles = set(Song.objects.values_list("title", flat=True))
    assert all(not re.search("[\ud800-\udfff]", title) for title in titles)
    assert "Gloria \ufffd\ufffd\ufffd" in titles
