"""The desktop app's upload flow, step by step, for the tests."""

from tests.helpers.http import put_bytes

TRACKS = "/api/tracks/"
CONTENT_TYPES = {"flac": "audio/flac", "mp3": "audio/mpeg", "wav": "audio/wav", "aiff": "audio/aiff"}


def content_type_of(file_name: str) -> str:
    return CONTENT_TYPES.get(file_name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def request_uploads(client, names_and_sizes: list[tuple[str, int]]):
    body = {
        "files": [
            {"file_name": name, "content_type": content_type_of(name), "size": size} for name, size in names_and_sizes
        ]
    }
    return client.post(f"{TRACKS}upload-urls/", body, format="json")


def upload(client, files: dict[str, bytes]) -> list[dict]:
    """Get upload URLs for {file name: bytes}, PUT each, confirm them all; the confirm results."""
    slots = request_uploads(client, [(name, len(data)) for name, data in files.items()])
    assert slots.status_code == 201, slots.data
    for slot in slots.data["uploads"]:
        status = put_bytes(client, slot["upload_url"], files[slot["file_name"]], slot["headers"])
        assert status == 200, status
    confirm = client.post(
        TRACKS,
        {
            "files": [
                {"track_id": slot["track_id"], "file_name": slot["file_name"], "key": slot["key"]}
                for slot in slots.data["uploads"]
            ]
        },
        format="json",
    )
    assert confirm.status_code == 200, confirm.data
    return confirm.data["tracks"]
