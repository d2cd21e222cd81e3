"""What the schema says about a request or an answer is what the server does (issue 8's findings, one each).

tests/test_schema_fuzz.py finds these by generation; these name them, so a regression says which.
"""

import json
import re
import uuid

import pytest
from django.test import Client

from core.schema import NO_NUL, NOT_BLANK
from tests.factories import DownloadFactory, DownloadTrackFactory, SongFactory, TrackFactory

SONGS = "/api/chants/songs/"
TRACKS = "/api/tracks/"
DOWNLOADS = "/api/downloads/"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"output_format": "json"}, HTTP_HOST="localhost")
    return json.loads(response.content)


def _component(schema: dict, ref: dict) -> dict:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def _response_schema(schema: dict, method: str, path: str, status: str) -> dict:
    return schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def test_download_urls_answer_tracks_as_the_schema_says(schema, client_a, user):
    TrackFactory(owner=user, file_name="a.mp3")  # ready, with its MP3
    page = _component(schema, _response_schema(schema, "get", f"{TRACKS}download-urls/", "200"))
    body = client_a.get(f"{TRACKS}download-urls/").json()
    assert set(body) == set(page["properties"]) == {"count", "next", "previous", "tracks"}
    assert body["tracks"][0]["file_name"] == "a.mp3"


def test_download_urls_ids_follow_their_pattern(schema, client_a):
    [ids] = [p for p in schema["paths"][f"{TRACKS}download-urls/"]["get"]["parameters"] if p["name"] == "ids"]
    [pattern] = [choice["pattern"] for choice in ids["schema"]["oneOf"] if "pattern" in choice]  # or ""
    good, bad = f"{uuid.uuid4()}, {uuid.uuid4()}", "nonsense"
    assert re.search(pattern, good) and not re.search(pattern, bad)
    assert client_a.get(f"{TRACKS}download-urls/", {"ids": good}).status_code == 200
    assert client_a.get(f"{TRACKS}download-urls/", {"ids": bad}).status_code == 400
    assert client_a.get(f"{TRACKS}download-urls/", {"ids": ""}).status_code == 200


def test_track_list_items_and_details_each_match_their_own_component(schema, client_a, user):
    track = TrackFactory(owner=user, file_name="a.mp3", awaiting_upload=True)
    listed = _component(schema, {"$ref": "#/components/schemas/Track"})
    detail = _component(schema, {"$ref": "#/components/schemas/TrackDetail"})
    item = client_a.get(TRACKS).json()["results"][0]
    one = client_a.get(f"{TRACKS}{track.pk}/").json()
    assert set(item) == set(listed["properties"]) and set(listed["required"]) <= set(item)
    assert set(one) == set(detail["properties"]) and set(detail["required"]) <= set(one)
    assert {"details", "sha256"} <= set(detail["required"]) - set(listed["properties"])


def test_download_list_items_and_details_each_match_their_own_component(schema, client_a, user):
    # A list item has no link or tracks (issue 18: the list was documented with the detail's fields).
    download = DownloadFactory(owner=user)
    DownloadTrackFactory(download=download)
    page = _component(schema, _response_schema(schema, "get", DOWNLOADS, "200"))
    listed = _component(schema, page["properties"]["results"]["items"])
    detail = _component(schema, _response_schema(schema, "get", f"{DOWNLOADS}{{id}}/", "200"))
    item = client_a.get(DOWNLOADS).json()["results"][0]
    one = client_a.get(f"{DOWNLOADS}{download.pk}/").json()
    assert set(item) == set(listed["properties"]) and set(listed["required"]) <= set(item)
    assert set(one) == set(detail["properties"]) and set(detail["required"]) <= set(one)
    assert {"download_url", "tracks"} <= set(detail["required"]) - set(listed["properties"])


@pytest.mark.parametrize("parameter", ["limit", "offset"])
def test_a_page_parameter_that_is_not_a_whole_number_is_a_400(client_a, parameter):
    response = client_a.get(SONGS, {parameter: "null"})
    assert response.status_code == 400 and parameter in response.json()
    assert client_a.get(SONGS, {parameter: "-5"}).status_code == 200  # out of range is clamped, as documented


def test_a_400_body_matches_the_declared_error_schema(client_a):
    # Nested like the input: {"files": {"0": {"size": [...]}}}, and `detail` for an unreadable body.
    nested = client_a.post(f"{TRACKS}upload-urls/", {"files": [{"file_name": "a.mp3", "size": -1}]}, format="json")
    unreadable = client_a.generic("POST", f"{TRACKS}upload-urls/", b"{", content_type="application/json")
    assert nested.status_code == 400 and "size" in nested.json()["files"]["0"]
    assert unreadable.status_code == 400 and isinstance(unreadable.json()["detail"], str)


@pytest.mark.parametrize("field", ["title", "artist"])
def test_a_song_field_declared_text_refuses_a_number(client_a, field):
    response = client_a.post(SONGS, {"title": "Hymn", field: 7}, format="json")
    assert response.status_code == 400 and field in response.json()


def test_max_length_counts_the_whitespace_the_schema_counts(client_a):
    response = client_a.post(SONGS, {"title": "Hymn" + " " * 300}, format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_duration_is_a_number_in_json_and_null_may_be_spelled_in_a_form(client_a):
    as_text = client_a.post(SONGS, {"title": "Hymn", "duration_seconds": "12.5"}, format="json")
    in_form = client_a.post(SONGS, {"title": "Hymn", "duration_seconds": "null"}, format="multipart")
    assert as_text.status_code == 400
    assert in_form.status_code == 201 and in_form.json()["duration_seconds"] is None


def test_confirm_takes_json_only_as_declared(schema, client_a):
    declared = schema["paths"][TRACKS]["post"]["requestBody"]["content"]
    response = client_a.post(TRACKS, {"files": "x"}, format="multipart")
    assert list(declared) == ["application/json"]
    assert response.status_code == 415


def test_confirm_of_an_unknown_track_is_a_documented_404(schema, client_a):
    body = {"files": [{"track_id": str(uuid.uuid4()), "file_name": "a.mp3", "key": "staging/x"}]}
    response = client_a.post(TRACKS, body, format="json")
    assert response.status_code == 404 and "No track of yours" in response.json()["detail"]
    assert "404" in schema["paths"][TRACKS]["post"]["responses"]


def test_an_empty_email_is_not_declared_as_an_email(schema, client_a):
    user_schema = _component(schema, _response_schema(schema, "get", "/api/auth/me/", "200"))
    assert "format" not in user_schema["properties"]["email"]


def test_text_rules_match_what_drf_refuses():
    assert re.search(NO_NUL, "ab") and not re.search(NO_NUL, "a\x00b")
    assert re.search(NOT_BLANK, " a ") and not re.search(NOT_BLANK, "\t\x1c\u3000")


def test_every_error_answer_is_declared_with_a_body(schema):
    missing = [
        f"{method.upper()} {path} {code}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
        if int(code) >= 400 and not response.get("content")
    ]
    assert not missing


def test_a_stale_if_match_is_a_412_the_schema_lists(schema, client_a, user):
    song = SongFactory(created_by=user)
    response = client_a.patch(f"{SONGS}{song.pk}/", {"title": "New"}, format="json", HTTP_IF_MATCH='"stale"')
    assert response.status_code == 412
    assert "412" in schema["paths"][f"{SONGS}{{id}}/"]["patch"]["responses"]
