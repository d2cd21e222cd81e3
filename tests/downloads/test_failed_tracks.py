"""What a user reads on a track that could not be downloaded: a sentence about the track, never yt-dlp's text.

Each case runs the whole job (the API, yt-dlp inside the egress guard, the conversion) against the
local fake source: direct files for an allow-listed host (yt-dlp's generic extractor), and for
soundcloud.com yt-dlp's own SoundCloud extractor, pointed at the fake's imitation of api-v2. Each
download also holds a good SoundCloud track, fetched through the same extractor and the same fake,
so a failure is the case's and not the fake's. What yt-dlp said goes to the log, with the track's id.
"""

import logging
import socket

import pytest
from yt_dlp.extractor.soundcloud import SoundcloudBaseIE

from downloads.models import DownloadTrack
from tests.fakes.source import FakeSource

pytestmark = pytest.mark.django_db(transaction=True)

REMOVED = "The track was removed or is private."
HOST_UNREACHABLE = "The track's host (127.0.0.1) could not be reached; try again later."
SOUNDCLOUD_UNREACHABLE = "SoundCloud could not be reached; try again later."
PAGE = "https://soundcloud.com/artist/{}"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def source(settings, monkeypatch):
    """The fake source, and yt-dlp's SoundCloud extractor reading its api-v2 (never soundcloud.com)."""

    def no_scraping(extractor):
        raise AssertionError("the SoundCloud extractor tried to scrape soundcloud.com for a client id")

    settings.SOUNDCLOUD_CLIENT_ID = "fake-client-id"  # the extractor asks api-v2 with it, and scrapes nothing
    monkeypatch.setattr(SoundcloudBaseIE, "_update_client_id", no_scraping)
    with FakeSource() as fake:
        monkeypatch.setattr(SoundcloudBaseIE, "_API_V2_BASE", fake.soundcloud_api)
        yield fake


@pytest.mark.parametrize(
    ("page", "sentence", "logged"),
    [
        ("/missing/gone.mp3", REMOVED, "HTTP Error 404"),
        ("/forbidden/private.mp3", REMOVED, "HTTP Error 403"),
        ("/failing/down.mp3", HOST_UNREACHABLE, "HTTP Error 503"),
        ("closed-port", HOST_UNREACHABLE, "Connection refused"),
        (
            "/garbage/noise.mp3",
            "The track's audio could not be converted to an MP3; the server's log says why.",
            "ffmpeg could not decode the file",
        ),
        (PAGE.format("removed-track"), REMOVED, "HTTP Error 404"),
        (PAGE.format("geo-track"), "The track is not available in the server's country.", "geo restriction"),
        (PAGE.format("preview-track"), "This track is only a 30-second Go+ preview.", "SOUNDCLOUD_AUTH_TOKEN"),
        (
            PAGE.format("drm-track"),
            "The track is DRM-protected: SoundCloud serves it only encrypted, which cannot be downloaded.",
            "DRM protected",
        ),
        ("soundcloud-down", SOUNDCLOUD_UNREACHABLE, "Connection refused"),
    ],
    ids=[
        "file-404",
        "file-403",
        "file-host-503",
        "file-host-unreachable",
        "not-audio",
        "soundcloud-removed-or-private",
        "soundcloud-geo-blocked",
        "soundcloud-go-plus-preview",
        "soundcloud-drm-only",
        "soundcloud-unreachable",
    ],
)
def test_a_failed_track_says_why_in_a_sentence_and_the_log_keeps_what_yt_dlp_said(
    client_a, source, monkeypatch, caplog, page, sentence, logged
):
    if page == "closed-port":
        url = f"http://127.0.0.1:{closed_port()}/audio/a.mp3"
    elif page == "soundcloud-down":
        url = PAGE.format("any-track")
    else:
        url = page if page.startswith("https://") else source.url(page)
    good = {"id": "good", "url": PAGE.format("fine-track"), "title": "Fine", "artist": "Artist"}
    tracks = [{"id": "bad", "url": url, "title": "Bad", "artist": "Artist"}]
    if page != "soundcloud-down":
        tracks.append(good)
    else:
        monkeypatch.setattr(SoundcloudBaseIE, "_API_V2_BASE", f"http://127.0.0.1:{closed_port()}/")
    caplog.set_level(logging.INFO, logger="downloads")

    accepted = client_a.post("/api/downloads/", {"tracks": tracks}, format="json")
    assert accepted.status_code == 202, accepted.content
    body = client_a.get(f"/api/downloads/{accepted.json()['id']}/").json()

    assert [(f["id"], f["error"]) for f in body["failed"]] == [("bad", sentence)]
    assert [t["id"] for t in body["tracks_downloaded"]] == (["good"] if len(tracks) == 2 else [])
    [bad] = DownloadTrack.objects.filter(download_id=body["id"], source_id="bad")
    [line] = [
        r.getMessage() for r in caplog.records if r.name.startswith("downloads") and f" {bad.pk} " in r.getMessage()
    ]
    assert logged in line
    assert "fake-client-id" not in caplog.text  # yt-dlp's URLs carry the client id: reduced to their hosts
