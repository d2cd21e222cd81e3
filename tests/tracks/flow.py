"""The desktop app's upload flow, step by step, for the tests."""

import time

from config.celery import app as celery_app
from tests.helpers.http import put_bytes

TRACKS = "/api/tracks/"
CONTENT_TYPES = {"flac": "audio/flac", "mp3": "audio/mpeg", "wav": "audio/wav", "aiff": "audio/aiff"}
# How long a real worker may take to read a test's files (they are seconds of audio).
WORKER_TIMEOUT_SECONDS = 120.0


def content_type_of(file_name: str) -> str:
    return CONTENT_TYPES.get(file_name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def request_uploads(client, names_and_sizes: list[tuple[str, int]]):
    body = {
        "files": [
            {"file_name": name, "content_type": content_type_of(name), "size": size} for name, size in names_and_sizes
        ]
    }
    return client.post(f"{TRACKS}upload-urls/", body, format="json")


def confirm(client, slots: list[dict]):
    """POST /api/tracks/ for these upload slots, as the desktop app confirms them."""
    body = {
        "files": [{"track_id": slot["track_id"], "file_name": slot["file_name"], "key": slot["key"]} for slot in slots]
    }
    return client.post(TRACKS, body, format="json")


def track_result(client, track_id) -> dict:
    """What the client learns by polling a track: the fields of a confirm's result, from its detail."""
    detail = client.get(f"{TRACKS}{track_id}/").json()
    result = {name: detail[name] for name in ("status", "error", "duplicate_of", "file_name")}
    return {"track_id": detail["id"], **result, "accepted": detail["status"] != "processing" or bool(detail["sha256"])}


def poll(client, track_id) -> dict:
    """The track's result once its file was read: ready, failed, or processing while its MP3 is made.

    Eager tasks have run by the time the confirm answered, so one look is the answer (a test that
    holds the job gets the track as it was left); with a real worker, look until it is accepted.
    """
    result = track_result(client, track_id)
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while not celery_app.conf.task_always_eager and not result["accepted"]:
        assert time.monotonic() < deadline, f"track {track_id} still unread after {WORKER_TIMEOUT_SECONDS} s"
        time.sleep(0.1)
        result = track_result(client, track_id)
    return result


def upload(client, files: dict[str, bytes]) -> list[dict]:
    """Get upload URLs for {file name: bytes}, PUT each, confirm them all (202); each track's result, polled."""
    slots = request_uploads(client, [(name, len(data)) for name, data in files.items()])
    assert slots.status_code == 201, slots.data
    for slot in slots.data["uploads"]:
        status = put_bytes(client, slot["upload_url"], files[slot["file_name"]], slot["headers"])
        assert status == 200, status
    confirmed = confirm(client, slots.data["uploads"])
    assert confirmed.status_code == 202, confirmed.data
    return [poll(client, item["track_id"]) for item in confirmed.data["tracks"]]
