"""The downloads API: what a request must hold, who sees what, and what can be deleted when.

The job itself is tested in test_job.py; here it is only queued (the queue call is recorded).
"""

import uuid

import pytest

from core.jobs import JobStatus
from downloads.models import Download, DownloadTrack
from tests.factories import DownloadFactory, DownloadTrackFactory

pytestmark = pytest.mark.django_db

TRACK = {"id": "123456", "url": "https://soundcloud.com/artist/track", "title": "Track", "artist": "Artist"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """The task ids the requests queued (the job does not run in these tests)."""
    sent = []
    monkeypatch.setattr("downloads.services.enqueue_after_commit", lambda task, *args: sent.append((task.name, args)))
    return sent


def post(client, body, **kwargs):
    return client.post("/api/downloads/", body, format="json", **kwargs)


def test_a_request_is_accepted_and_queued_on_the_network_queue(client_a, queued, settings):
    response = post(client_a, {"tracks": [TRACK, {**TRACK, "id": 7, "artist": ""}]})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["total"] == 2 and body["progress"] == {"done": 0, "total": 2}
    assert body["download_url"] is None
    assert [t["state"] for t in body["tracks"]] == ["queued", "queued"]
    assert queued == [("downloads.tasks.download_run", (body["id"],))]
    assert settings.CELERY_TASK_ROUTES["downloads.tasks.*"] == {"queue": "network"}
    rows = DownloadTrack.objects.filter(download_id=body["id"]).order_by("position")
    assert [(r.source_id, r.artist) for r in rows] == [("123456", "Artist"), ("7", "")]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, ["tracks"]),
        ({"tracks": []}, ["tracks"]),
        ({"tracks": "x"}, ["tracks"]),
        ({"tracks": [TRACK, {**TRACK, "title": None}]}, ["tracks", "1", "title"]),
        ({"tracks": [{k: v for k, v in TRACK.items() if k != "url"}]}, ["tracks", "0", "url"]),
        ({"tracks": [{**TRACK, "url": 5}]}, ["tracks", "0", "url"]),
        ({"tracks": [{**TRACK, "id": True}]}, ["tracks", "0", "id"]),
        ({"tracks": [{**TRACK, "id": ""}]}, ["tracks", "0", "id"]),
        ({"tracks": [{**TRACK, "id": [1]}]}, ["tracks", "0", "id"]),
        ({"tracks": [{**TRACK, "title": "t" * 301}]}, ["tracks", "0", "title"]),
        ({"tracks": [{**TRACK, "url": "https://soundcloud.com/" + "a" * 2000}]}, ["tracks", "0", "url"]),
        ({"tracks": [TRACK, "not an object"]}, ["tracks", "1"]),
    ],
)
def test_an_invalid_body_says_which_track_and_field(client_a, queued, body, where):
    response = post(client_a, body)
    assert response.status_code == 400
    errors = response.json()
    for key in where:
        assert key in errors, errors
        errors = errors[key]
    assert queued == [] and not Download.objects.exists()


def test_more_than_the_maximum_of_tracks_is_refused(client_a, settings):
    response = post(client_a, {"tracks": [TRACK] * (settings.DOWNLOADS_MAX_TRACKS + 1)})
    assert response.status_code == 400
    assert "tracks" in response.json()
    assert post(client_a, {"tracks": [TRACK] * settings.DOWNLOADS_MAX_TRACKS}).status_code == 202


def test_a_non_json_body_is_refused(client_a):
    response = client_a.post("/api/downloads/", "tracks=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_too_many_running_downloads_are_refused_until_one_finishes(client_a, user, settings):
    settings.DOWNLOADS_MAX_ACTIVE_PER_USER = 2
    assert post(client_a, {"tracks": [TRACK]}).status_code == 202
    assert post(client_a, {"tracks": [TRACK]}).status_code == 202
    response = post(client_a, {"tracks": [TRACK]})
    assert response.status_code == 429
    assert "2 downloads pending or running" in response.json()["detail"]
    Download.objects.filter(owner=user).update(status=JobStatus.DONE)
    assert post(client_a, {"tracks": [TRACK]}).status_code == 202


def test_a_refusal_over_the_active_limit_says_when_to_ask_again(client_a, user, queued, settings):
    settings.DOWNLOADS_MAX_ACTIVE_PER_USER = 3
    for _ in range(3):
        assert post(client_a, {"tracks": [TRACK]}).status_code == 202
    response = post(client_a, {"tracks": [TRACK, TRACK]})
    assert response.status_code == 429
    assert response.json() == {"detail": "You have 3 downloads pending or running; try again when one has finished."}
    assert response["Retry-After"] == "30"  # whole seconds, as RFC 9110's delta-seconds
    assert Download.objects.filter(owner=user).count() == 3 and len(queued) == 3  # nothing inserted or queued


def test_the_schema_documents_the_refusal_and_its_retry_after(client_a):
    schema = client_a.get("/api/schema/", {"format": "json"}).json()
    refused = schema["paths"]["/api/downloads/"]["post"]["responses"]["429"]
    assert refused["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert refused["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_anonymous_requests_are_refused(api_client):
    assert post(api_client, {"tracks": [TRACK]}).status_code == 401
    assert api_client.get("/api/downloads/").status_code == 401


def test_another_users_download_is_invisible(client_a, client_b, other_user):
    theirs = DownloadFactory(owner=other_user)
    assert client_a.get(f"/api/downloads/{theirs.pk}/").status_code == 404
    assert client_a.delete(f"/api/downloads/{theirs.pk}/").status_code == 404
    assert client_a.get("/api/downloads/").json()["results"] == []
    assert client_a.get(f"/api/downloads/{uuid.uuid4()}/").status_code == 404
    assert client_a.get("/api/downloads/not-a-uuid/").status_code == 404
    assert Download.objects.filter(pk=theirs.pk).exists()


def test_the_list_shows_counts_without_tracks(client_a, user):
    download = DownloadFactory(owner=user, total=3, status=JobStatus.RUNNING)
    DownloadTrackFactory(download=download, state="done")
    DownloadTrackFactory(download=download, state="failed", error="x")
    DownloadTrackFactory(download=download, state="downloading")
    [row] = client_a.get("/api/downloads/").json()["results"]
    assert row["id"] == str(download.pk) and row["status"] == "running"
    assert row["progress"] == {"done": 2, "total": 3}
    assert (row["successful"], row["failed_count"]) == (1, 1)
    assert "tracks" not in row and "download_url" not in row


def test_a_running_download_cannot_be_deleted_a_finished_one_can(client_a, user):
    running = DownloadFactory(owner=user, status=JobStatus.RUNNING)
    assert client_a.delete(f"/api/downloads/{running.pk}/").status_code == 409
    done = DownloadFactory(owner=user, status=JobStatus.DONE)
    assert client_a.delete(f"/api/downloads/{done.pk}/").status_code == 204
    assert not Download.objects.filter(pk=done.pk).exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://evil.example/artist/track", 'The host "evil.example" is not allowed (allowed: {allowed}).'),
        (
            "https://soundcloud.com.evil.example/a/b",
            'The host "soundcloud.com.evil.example" is not allowed (allowed: {allowed}).',
        ),
        ("https://soundcloud.com@evil.example/a/b", 'The host "evil.example" is not allowed (allowed: {allowed}).'),
        (
            "http://169.254.169.254/latest/meta-data/",
            'The host "169.254.169.254" is an IP address; only listed host names can be downloaded from.',
        ),
        ("file:///etc/passwd", 'Only http and https URLs can be downloaded, not "file".'),
        ("soundcloud.com/artist/track", "Only http and https URLs can be downloaded."),
    ],
)
def test_a_url_off_the_allow_list_is_a_400_naming_the_track_and_the_host(client_a, queued, settings, url, says):
    settings.DOWNLOADS_ALLOWED_HOSTS = [".soundcloud.com", "mirror.example"]
    tracks = [TRACK, {**TRACK, "id": "2"}, {**TRACK, "id": "3", "url": url}, {**TRACK, "id": "4"}]

    response = post(client_a, {"tracks": tracks})

    assert response.status_code == 400
    allowed = "soundcloud.com and its subdomains, mirror.example"
    assert response.json() == {"tracks": {"2": {"url": [says.format(allowed=allowed)]}}}
    assert queued == [] and not Download.objects.exists()


def test_the_request_allows_what_the_setting_allows(client_a, queued, settings):
    settings.DOWNLOADS_ALLOWED_HOSTS = [".soundcloud.com", "mirror.example"]
    mirror = {**TRACK, "url": "https://mirror.example/track.mp3"}
    below = {**TRACK, "url": "https://cdn.mirror.example/track.mp3"}  # an exact entry allows no subdomain

    assert post(client_a, {"tracks": [mirror, {**TRACK, "url": "https://m.soundcloud.com/a/b"}]}).status_code == 202
    refused = post(client_a, {"tracks": [mirror, below]})
    assert refused.status_code == 400 and list(refused.json()["tracks"]) == ["1"]
    assert 'host "cdn.mirror.example"' in refused.json()["tracks"]["1"]["url"][0]
    assert len(queued) == 1
