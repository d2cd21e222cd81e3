"""The download job end to end: the API, yt-dlp against the local fake source, ffmpeg, storage, the zip.

Tasks run in-process (eager); the tracks run in the job's threads, each with its own database
connection, so these tests commit (transaction=True) like a worker does.
"""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from core.jobs import JobStatus
from downloads import services
from downloads.models import Download, DownloadTrack, TrackState
from tests.fakes.source import FakeSource
from tests.helpers.http import fetch as fetch_url
from tests.helpers.stored import stored_keys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source():
    with FakeSource() as fake:
        yield fake


def track(source, path: str, title: str, artist: str = "Artist", id: str | None = None) -> dict:
    return {"id": id or title, "url": source.url(path), "title": title, "artist": artist}


def create(client, tracks: list[dict]) -> dict:
    response = client.post("/api/downloads/", {"tracks": tracks}, format="json")
    assert response.status_code == 202, response.content
    return response.json()


def detail(client, download_id) -> dict:
    response = client.get(f"/api/downloads/{download_id}/")
    assert response.status_code == 200
    return response.json()


def zip_of(client, body: dict) -> zipfile.ZipFile:
    status, headers, data = fetch_url(client, body["download_url"])
    assert status == 200
    assert headers["content-type"] == "application/zip"
    assert headers["content-disposition"].startswith("attachment;")
    assert headers.get("x-content-type-options") == "nosniff" or "amazonaws" not in body["download_url"]
    return zipfile.ZipFile(io.BytesIO(data))


def test_a_batch_is_fetched_converted_tagged_and_zipped(client_a, source, storage_mode):
    body = create(
        client_a,
        [
            track(source, "/audio/one.mp3", "One", "Alpha"),
            track(source, "/audio/two.flac", "Two", "Beta"),
            track(source, "/slow/three.m4a", "Three", "Gamma"),
            track(source, "/missing/four.mp3", "Four", "Delta"),
            track(source, "/audio/five.mp3", "One", "Alpha", id="five"),  # same name as the first
        ],
    )
    assert body["total"] == 5  # (eager: the job has already run when the request answers)

    body = detail(client_a, body["id"])
    assert body["status"] == "done", body
    assert body["progress"] == {"done": 5, "total": 5}
    assert (body["successful"], body["failed_count"]) == (4, 1)
    assert body["failed"] == [
        {"id": "Four", "title": "Four", "artist": "Delta", "error": "The track was removed or is private."}
    ]
    assert [t["file_name"] for t in body["tracks_downloaded"]] == [
        "Alpha - One.mp3",
        "Beta - Two.mp3",
        "Gamma - Three.mp3",
        "Alpha - One (2).mp3",
    ]
    assert [t["state"] for t in body["tracks"]] == ["done", "done", "done", "failed", "done"]
    assert body["expires_in"] == 3600

    archive = zip_of(client_a, body)
    assert archive.namelist() == [t["file_name"] for t in body["tracks_downloaded"]]
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
    for name, (title, artist) in zip(
        archive.namelist(), [("One", "Alpha"), ("Two", "Beta"), ("Three", "Gamma"), ("One", "Alpha")], strict=True
    ):
        data = archive.read(name)
        audio = MP3(io.BytesIO(data))
        assert audio.info.length == pytest.approx(2.0, abs=0.1)
        tags = ID3(io.BytesIO(data))
        assert (str(tags["TIT2"]), str(tags["TPE1"])) == (title, artist)
    converted = MP3(io.BytesIO(archive.read("Beta - Two.mp3")))
    assert round(converted.info.bitrate / 1000) == 320  # FLAC and M4A went through the project's encoder
    copied = MP3(io.BytesIO(archive.read("Alpha - One.mp3")))
    assert round(copied.info.bitrate / 1000) == 128  # an MP3 is copied, not encoded again

    rows = DownloadTrack.objects.filter(download_id=body["id"]).order_by("position")
    assert [r.source_format for r in rows] == ["mp3", "flac", "m4a", "", "mp3"]
    owner_prefix = f"users/{rows[0].download.owner_id}/downloads/{body['id']}"
    assert len(stored_keys(owner_prefix)) == 5  # four MP3s and the zip, under the user's prefix


def test_a_batch_without_one_good_track_fails_with_every_failure_and_no_zip(client_a, source):
    body = create(
        client_a,
        [track(source, "/missing/a.mp3", "A"), track(source, "/page", "B"), track(source, "/forbidden/c.mp3", "C")],
    )
    body = detail(client_a, body["id"])
    assert body["status"] == "failed"
    assert body["error"] == "None of the 3 tracks could be downloaded."
    assert body["download_url"] is None and body["expires_in"] is None
    assert [f["id"] for f in body["failed"]] == ["A", "B", "C"]
    assert all(f["error"] for f in body["failed"])
    assert not Download.objects.get(pk=body["id"]).zip_key


def test_a_hung_source_is_cut_and_the_others_still_arrive(client_a, source, settings):
    settings.DOWNLOADS_TRACK_TIMEOUT_SECONDS = 2
    body = create(client_a, [track(source, "/hang/a.mp3", "Hung"), track(source, "/audio/b.mp3", "Fine")])
    body = detail(client_a, body["id"])
    assert body["status"] == "done"
    assert body["failed"][0]["error"] == "The download took longer than 2 s and was stopped."
    assert [t["title"] for t in body["tracks_downloaded"]] == ["Fine"]


@pytest.mark.parametrize(
    "url",
    [
        "https://soundcloud.com.evil.example/a/b",
        "https://evil.example/soundcloud.com/a/b",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.mp3",
        "javascript:alert(1)",
    ],
)
def test_urls_off_the_allow_list_fail_their_track_and_are_never_fetched(client_a, user, source, url):
    # The request refuses them (test_api.py); a row stored before the allow-list changed meets the job's check.
    bad = {"id": "1", "url": url, "title": "t", "artist": "a"}
    download = services.download_create(owner=user, tracks=[bad, track(source, "/audio/ok.mp3", "Ok")])
    body = detail(client_a, download.pk)
    assert body["status"] == "done"
    assert len(body["failed"]) == 1 and body["failed"][0]["error"]
    assert source.requests == ["/audio/ok.mp3", "/audio/ok.mp3"]  # the extractor's look, then the download


def test_a_redirect_to_localhost_fails_the_track(client_a, source):
    with FakeSource() as internal:
        target = f"http://localhost:{internal.port}/audio/secret.mp3"
        body = create(client_a, [track(source, f"/redirect?to={target}", "R")])
        assert internal.requests == []
    body = detail(client_a, body["id"])
    assert body["status"] == "failed"
    assert 'host "localhost" is not allowed' in body["failed"][0]["error"]


def test_no_more_tracks_than_the_concurrency_are_fetched_at_once(client_a, settings):
    settings.DOWNLOADS_CONCURRENCY = 2
    with FakeSource(hold=0.5) as source:
        body = create(client_a, [track(source, f"/held/{n}.mp3", f"T{n}") for n in range(6)])
        assert source.max_in_flight == 2
    assert detail(client_a, body["id"])["successful"] == 6


def test_a_job_run_again_fetches_only_what_is_not_done(client_a, source):
    body = create(client_a, [track(source, "/audio/a.mp3", "A"), track(source, "/audio/b.flac", "B")])
    download = Download.objects.get(pk=body["id"])
    first_zip = download.zip_key
    # As if the worker had died while fetching B: the job is handed back to a worker.
    download.tracks.filter(title="B").update(state=TrackState.DOWNLOADING, mp3_key="")
    Download.objects.filter(pk=download.pk).update(status=JobStatus.RUNNING, zip_key="")
    requests_before = list(source.requests)

    services.download_run(download_id=download.pk)

    fetched_again = source.requests[len(requests_before) :]
    assert fetched_again == ["/audio/b.flac", "/audio/b.flac"]  # A was not fetched twice
    body = detail(client_a, download.pk)
    assert body["status"] == "done" and body["successful"] == 2
    assert zip_of(client_a, body).namelist() == ["Artist - A.mp3", "Artist - B.mp3"]
    assert Download.objects.get(pk=download.pk).zip_key == first_zip  # the same key, replaced


def test_a_finished_job_run_again_does_nothing(client_a, source):
    body = create(client_a, [track(source, "/audio/a.mp3", "A")])
    requests_before = list(source.requests)
    services.download_run(download_id=body["id"])
    assert source.requests == requests_before
    assert detail(client_a, body["id"])["status"] == "done"


def test_a_recent_track_of_the_same_user_is_reused(client_a, client_b, source, storage_mode):
    create(client_a, [track(source, "/audio/a.mp3", "A")])
    hits = source.hits("/audio/a.mp3")
    again = detail(client_a, create(client_a, [track(source, "/audio/a.mp3", "A again")])["id"])
    assert source.hits("/audio/a.mp3") == hits  # copied in storage, not fetched
    assert again["tracks"][0]["reused"] is True
    tags = ID3(io.BytesIO(zip_of(client_a, again).read("Artist - A again.mp3")))
    assert str(tags["TIT2"]) == "A"  # the stored MP3 as it was tagged the first time

    other = detail(client_b, create(client_b, [track(source, "/audio/a.mp3", "A")])["id"])
    assert source.hits("/audio/a.mp3") > hits  # another user's tracks are never shared
    assert other["tracks"][0]["reused"] is False


def test_expired_downloads_lose_their_files_and_say_so(client_a, source, storage_mode):
    body = create(client_a, [track(source, "/audio/a.mp3", "A")])
    download = Download.objects.get(pk=body["id"])
    prefix = f"users/{download.owner_id}/downloads/{download.pk}"
    assert len(stored_keys(prefix)) == 2

    assert services.downloads_expire(now=timezone.now() + timedelta(hours=23)) == 0
    assert services.downloads_expire(now=timezone.now() + timedelta(hours=25)) == 1

    assert stored_keys(prefix) == []
    body = detail(client_a, download.pk)
    assert body["status"] == "expired" and body["download_url"] is None
    assert services.downloads_expire(now=timezone.now() + timedelta(hours=50)) == 0
    # An expired download's tracks are not reused: the next request fetches again.
    hits = source.hits("/audio/a.mp3")
    create(client_a, [track(source, "/audio/a.mp3", "A")])
    assert source.hits("/audio/a.mp3") > hits


def test_a_used_up_request_budget_defers_the_job_instead_of_holding_the_worker(client_a, source, monkeypatch):
    from core import egress
    from core.pacing import Pace
    from downloads import tasks

    paused = Pace("deferral-test", limit=100, period=600)
    paused.pause(120)  # a 429's Retry-After, written by another worker

    def context(*, owner_id):
        base = original(owner_id=owner_id)
        return services._Context(
            owner_id=owner_id,
            source=services.fetch.Source(
                allowed=base.source.allowed,
                soundcloud_media=base.source.soundcloud_media,
                paced=egress.HostRules(["127.0.0.1"]),  # the fake source stands in for SoundCloud's API
            ),
            limits=base.limits,
            pace=paused,
        )

    original = services._Context.from_settings
    monkeypatch.setattr(services._Context, "from_settings", staticmethod(context))
    sent = []
    send = tasks.download_run.apply_async

    def apply_async(args=None, kwargs=None, countdown=None, **options):
        if countdown is None:  # the request's delay(): run it (eager)
            return send(args, kwargs, **options)
        sent.append((tuple(args), countdown))  # the deferral: recorded, not run again at once

    monkeypatch.setattr(tasks.download_run, "apply_async", apply_async)
    body = create(client_a, [track(source, "/audio/a.mp3", "A")])

    download = Download.objects.get(pk=body["id"])
    assert download.status == "pending"  # back in the queue, not failed
    assert download.queued_at > timezone.now() + timedelta(seconds=100)  # due when the pause ends
    assert download.tracks.get().state == TrackState.QUEUED
    assert sent == [((str(download.pk),), 120)]
    assert source.requests == []  # nothing was sent during the pause
