"""A download through a real Celery worker process (network queue), Redis, PostgreSQL and the S3 server."""

import time

import pytest

from tests.conftest import bearer_client
from tests.downloads.test_job import track, zip_of
from tests.fakes.source import FakeSource

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_progress_moves_as_each_track_finishes(celery_worker, s3_storage, user):
    client = bearer_client(user)
    with FakeSource(hold=0.8) as source:
        tracks = [track(source, f"/held/{n}.mp3", f"Track {n}") for n in range(7)]
        tracks.append(track(source, "/missing/x.mp3", "Missing"))
        accepted = client.post("/api/downloads/", {"tracks": tracks}, format="json")
        assert accepted.status_code == 202 and accepted.json()["status"] == "pending"
        seen, states = [], set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = client.get(f"/api/downloads/{accepted.json()['id']}/").json()
            seen.append(body["progress"]["done"])
            states.update(t["state"] for t in body["tracks"])
            if body["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
    assert body["status"] == "done", celery_worker.log_tail()
    assert seen == sorted(seen) and seen[-1] == 8  # it only moves forward, to the end
    assert any(0 < done < 8 for done in seen)  # and it was seen between the start and the end
    assert {"queued", "downloading", "done", "failed"} <= states | {"queued"}
    assert "task downloads.tasks.download_run started" in celery_worker.log_text()
    assert len(zip_of(client, body).namelist()) == 7
