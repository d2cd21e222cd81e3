"""GET /api/tracks/download-urls/ gives the original back: the uploaded bytes, under the user's file name."""

import pytest

from tests.factories import TrackFactory
from tests.helpers.http import fetch
from tests.tracks.flow import TRACKS, upload

pytestmark = pytest.mark.django_db


def _urls_by_name(client) -> dict[str, dict]:
    response = client.get(f"{TRACKS}download-urls/")
    assert response.status_code == 200, response.data
    return {item["file_name"]: item for item in response.json()["tracks"]}


def test_the_original_is_the_uploaded_bytes_as_an_attachment_with_its_file_name(storage_mode, client_a, audio_files):
    files = {
        "Ana López - Night Drive.flac": audio_files["flac"],  # transcoded: the original is not the MP3
        "Warm Up.mp3": audio_files["mp3"],  # played as uploaded: the original is the MP3
        "Sunrise.mp3": audio_files["wav"],  # WAV bytes under an MP3 name: the type is what the check found
    }
    assert [result["status"] for result in upload(client_a, files)] == ["ready"] * 3
    urls = _urls_by_name(client_a)

    expected = {
        "Ana López - Night Drive.flac": (
            "audio/flac",
            'attachment; filename="Ana Lopez - Night Drive.flac"; '
            "filename*=UTF-8''Ana%20L%C3%B3pez%20-%20Night%20Drive.flac",
        ),
        "Warm Up.mp3": ("audio/mpeg", "attachment; filename=\"Warm Up.mp3\"; filename*=UTF-8''Warm%20Up.mp3"),
        "Sunrise.mp3": ("audio/wav", "attachment; filename=\"Sunrise.mp3\"; filename*=UTF-8''Sunrise.mp3"),
    }
    for name, (content_type, disposition) in expected.items():
        status, headers, body = fetch(client_a, urls[name]["original_url"])
        assert (status, body) == (200, files[name]), name
        assert (headers["content-type"], headers["content-disposition"]) == (content_type, disposition)
        if storage_mode == "local":  # on S3 it comes from the proxy in front of the bucket (README)
            assert headers["x-content-type-options"] == "nosniff"
    assert urls["Ana López - Night Drive.flac"]["original_url"] != urls["Ana López - Night Drive.flac"]["mp3_url"]


def test_a_track_without_an_original_has_none(client_a, user):
    TrackFactory(owner=user, file_name="Imported.mp3", original_key="", mp3_key=f"users/{user.pk}/tracks/x/1.mp3")
    TrackFactory(owner=user, file_name="Uploaded.mp3")

    urls = _urls_by_name(client_a)

    assert urls["Imported.mp3"]["original_url"] is None
    assert urls["Imported.mp3"]["mp3_url"]
    assert urls["Uploaded.mp3"]["original_url"]


def test_the_schema_says_what_the_original_url_is(client_a):
    schema = client_a.get("/api/schema/", {"output_format": "json"}).json()
    field = schema["components"]["schemas"]["DownloadUrl"]["properties"]["original_url"]

    assert field["nullable"] is True and field["format"] == "uri"
    assert "attachment" in field["description"] and "null" in field["description"]
