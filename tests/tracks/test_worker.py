"""The desktop app's whole flow on the real services: S3 server, Redis, a Celery worker, PostgreSQL."""

import pytest
import requests
from mutagen.mp3 import MP3

from tests.chants.test_worker import wait_for
from tests.conftest import bearer_client
from tests.helpers.http import put_bytes
from tests.tracks.conftest import write
from tests.tracks.flow import TRACKS, confirm, request_uploads
from tracks.models import Track
from tracks.tags import read_audio_file

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_flac_upload_transcoded_by_the_worker_and_downloaded(
    celery_worker, s3_storage, user, audio_files, tmp_path, cover_png
):
    client = bearer_client(user)

    [slot] = request_uploads(client, [("Ana Lopez - Night Drive.flac", len(audio_files["flac"]))]).data["uploads"]
    assert put_bytes(client, slot["upload_url"], audio_files["flac"], slot["headers"]) == 200

    confirmed = confirm(client, [slot])

    assert confirmed.status_code == 202
    [result] = confirmed.data["tracks"]
    assert result["status"] == "processing"
    track = wait_for(
        lambda: Track.objects.exclude(status="processing").filter(pk=result["track_id"]).first(),
        what=f"the worker to transcode the track\n{celery_worker.log_tail()}",
    )
    assert (track.status, track.error) == ("ready", "")
    [urls] = client.get(f"{TRACKS}download-urls/?ids={track.pk}").data["tracks"]
    assert urls["mp3_url"].startswith("http://127.0.0.1:")  # the S3 server's presigned URL
    downloaded = write(tmp_path, "night-drive.mp3", requests.get(urls["mp3_url"], timeout=30).content)
    mp3 = MP3(downloaded)
    assert (mp3.info.bitrate, mp3.info.sample_rate) == (320_000, 44100)
    assert mp3.info.length == pytest.approx(3.0, abs=0.1)
    carried = read_audio_file(downloaded)
    assert (carried.tags.title, carried.tags.artist, carried.tags.isrc) == ("Night Drive", "Ana Lopez", "GBUM71029604")
    assert carried.cover.data == cover_png
    assert requests.get(urls["artwork_url"], timeout=30).content == cover_png
    assert f"object={track.pk}" in celery_worker.log_text()
