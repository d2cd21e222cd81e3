"""downloads.fetch: yt-dlp inside the egress guard, against the local fake source.

SoundCloud itself is on the internet; what its extractor hands back is imitated below with the
shapes yt-dlp's SoundCloud extractor gives (format ids, preview marks, its errors).
"""

from pathlib import Path

import pytest
from yt_dlp.utils import DownloadError, GeoRestrictedError

from core import egress
from core.pacing import Pace
from downloads import fetch
from tests.fakes.source import FakeSource

ALLOWED = egress.HostRules([".soundcloud.com", "127.0.0.1"])
MEDIA = egress.HostRules([".sndcdn.com"])
LIMITS = fetch.Limits(timeout_seconds=6, max_bytes=50_000_000)


@pytest.fixture
def source():
    with FakeSource() as fake:
        yield fake


def get(url: str, folder: Path, *, limits=LIMITS, **options) -> fetch.Fetched:
    source = fetch.Source(allowed=ALLOWED, soundcloud_media=MEDIA, **options)
    return fetch.fetch(url, folder, source=source, limits=limits)


@pytest.mark.parametrize("extension", ["mp3", "flac", "m4a"])
def test_a_direct_file_is_fetched_as_it_is_served(source, tmp_path, extension):
    fetched = get(source.url(f"/audio/track.{extension}"), tmp_path)
    assert fetched.path.read_bytes()[:4] in (b"ID3\x04", b"ID3\x03", b"fLaC") or extension == "m4a"
    assert fetched.path.suffix == f".{extension}"
    assert fetched.path.parent == tmp_path


def test_a_slow_source_within_the_limit_is_fine(source, tmp_path):
    assert get(source.url("/slow/track.mp3"), tmp_path).path.stat().st_size > 10_000


def test_404_fails_with_the_status(source, tmp_path):
    with pytest.raises(fetch.FetchFailed, match="HTTP 404"):
        get(source.url("/missing/track.mp3"), tmp_path)


def test_a_web_page_is_not_audio(source, tmp_path):
    with pytest.raises(fetch.FetchFailed, match="no audio file at this URL"):
        get(source.url("/page"), tmp_path)


def test_a_source_that_never_finishes_is_cut_at_the_time_limit(source, tmp_path):
    limits = fetch.Limits(timeout_seconds=2, max_bytes=50_000_000)
    with pytest.raises(fetch.FetchFailed, match="took longer than 2 s"):
        get(source.url("/hang/track.mp3"), tmp_path, limits=limits)


def test_a_file_over_the_size_limit_fails(source, tmp_path):
    limits = fetch.Limits(timeout_seconds=6, max_bytes=5_000)
    with pytest.raises(fetch.FetchFailed, match=r"larger than 0.005 MB"):
        get(source.url("/audio/track.flac"), tmp_path, limits=limits)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://soundcloud.com.evil.example/artist/track", 'host "soundcloud.com.evil.example" is not allowed'),
        ("https://evil.example/soundcloud.com/artist/track", 'host "evil.example" is not allowed'),
        ("https://soundcloud.com@evil.example/artist/track", 'host "evil.example" is not allowed'),
        ("file:///etc/passwd", 'not "file"'),
        ("ftp://soundcloud.com/track.mp3", 'not "ftp"'),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://localhost/audio/track.mp3", 'host "localhost" is not allowed'),
        ("not a url", "http"),
    ],
)
def test_urls_off_the_allow_list_are_never_requested(source, tmp_path, url, reason):
    with pytest.raises(fetch.FetchFailed, match=reason.replace(".", r"\.").replace("(", r"\(")):
        get(url, tmp_path)
    assert source.requests == []


def test_a_redirect_to_another_host_is_refused_before_it_is_requested(source, tmp_path):
    with FakeSource() as internal:
        target = f"http://localhost:{internal.port}/audio/secret.mp3"
        with pytest.raises(fetch.FetchFailed, match='host "localhost" is not allowed'):
            get(source.url(f"/redirect?to={target}"), tmp_path)
        assert internal.requests == []
    assert source.hits("/redirect") >= 1


def test_a_host_resolving_to_a_private_address_is_refused_unless_listed_exactly(tmp_path):
    rules = egress.HostRules([".soundcloud.com", ".nip.example"])
    with pytest.raises(fetch.FetchFailed):
        fetch.fetch(
            "http://127.0.0.1/audio/x.mp3",
            tmp_path,
            source=fetch.Source(allowed=rules, soundcloud_media=MEDIA),
            limits=LIMITS,
        )


def test_a_429_pauses_the_shared_budget_and_the_request_is_tried_again(source, tmp_path):
    pace = Pace("fetch-429", limit=100, period=600)
    before = pace.clock()
    fetched = fetch.fetch(
        source.url("/limited/track.mp3"),
        tmp_path,
        source=fetch.Source(allowed=ALLOWED, soundcloud_media=MEDIA, paced=egress.HostRules(["127.0.0.1"])),
        limits=LIMITS,
        pace=pace,
    )
    assert fetched.path.stat().st_size > 10_000
    assert source.hits("/limited/track.mp3") >= 2  # the 429, then the same request again
    # The pause was written where every worker reads it: a new Pace of the same name sees it.
    assert Pace("fetch-429", limit=100, period=600).paused_until() >= before + 1


def test_paced_requests_take_slots_of_the_budget(source, tmp_path):
    pace = Pace("fetch-count", limit=100, period=600)
    paced = egress.HostRules(["127.0.0.1"])
    fetch.fetch(
        source.url("/audio/track.mp3"),
        tmp_path,
        source=fetch.Source(allowed=ALLOWED, soundcloud_media=MEDIA, paced=paced),
        limits=LIMITS,
        pace=pace,
    )
    assert pace.used() == len(source.requests) >= 2


# --- what the SoundCloud extractor hands back ------------------------------------------------------


class FakeYoutubeDL:
    """Stands in for yt-dlp at the point fetch._download talks to it, with an extractor's result."""

    def __init__(self, info: dict, folder: Path) -> None:
        self.info, self.folder, self.params = info, folder, {}

    def extract_info(self, url, download=False, process=True):
        return self.info

    def process_ie_result(self, info, download=True):
        chosen = next(f for f in reversed(info["formats"]) if "preview" not in f["format_id"])
        path = self.folder / f"source.{chosen['ext']}"
        path.write_bytes(b"audio")
        return {**info, "format_id": chosen["format_id"], "requested_downloads": [{"filepath": str(path)}]}


def soundcloud_info(*format_ids: str) -> dict:
    return {"id": "1", "title": "t", "formats": [{"format_id": f, "ext": "m4a"} for f in format_ids]}


def test_only_preview_streams_fail_as_preview_only(tmp_path):
    ydl = FakeYoutubeDL(soundcloud_info("hls_aac_160k_preview", "http_mp3_128_preview"), tmp_path)
    with pytest.raises(fetch.FetchFailed, match="Preview only"):
        fetch._download(ydl, "https://soundcloud.com/a/b", logger=fetch._Logger(), limits=LIMITS)


def test_a_full_stream_beside_a_preview_is_taken_and_the_format_excludes_previews(tmp_path):
    ydl = FakeYoutubeDL(soundcloud_info("hls_aac_160k_preview", "hls_aac_160k"), tmp_path)
    fetched = fetch._download(ydl, "https://soundcloud.com/a/b", logger=fetch._Logger(), limits=LIMITS)
    assert fetched.format_id == "hls_aac_160k" and not fetched.original
    assert ydl.params["format"].startswith("download/") and "format_id!*=preview" in ydl.params["format"]


def test_the_original_upload_is_marked_original(tmp_path):
    ydl = FakeYoutubeDL(soundcloud_info("hls_aac_160k", "download"), tmp_path)
    assert fetch._download(ydl, "https://soundcloud.com/a/b", logger=fetch._Logger(), limits=LIMITS).original


def test_a_set_is_refused(tmp_path):
    ydl = FakeYoutubeDL({"_type": "playlist", "entries": []}, tmp_path)
    with pytest.raises(fetch.FetchFailed, match="set or playlist"):
        fetch._download(ydl, "https://soundcloud.com/a/sets/b", logger=fetch._Logger(), limits=LIMITS)


class Guard:
    deadline_passed = over_size = False
    refusals: list[str] = []


def test_geo_blocked_and_drm_only_tracks_say_so():
    geo = DownloadError("ERROR: [soundcloud] 1: not available", exc_info=(None, GeoRestrictedError("x"), None))
    assert fetch._reason(geo, Guard(), fetch._Logger(), LIMITS).startswith("Geo-blocked")
    drm = DownloadError("ERROR: [soundcloud] 1: This video is DRM protected")
    assert fetch._reason(drm, Guard(), fetch._Logger(), LIMITS).startswith("DRM-protected")


def test_messages_never_carry_urls_with_credentials():
    error = DownloadError(
        "ERROR: [soundcloud] 1: Unable to download JSON metadata: "
        "https://api-v2.soundcloud.com/tracks/1?client_id=SECRETCLIENT&oauth_token=SECRETTOKEN (caused by x)"
    )
    reason = fetch._reason(error, Guard(), fetch._Logger(), LIMITS)
    assert "SECRET" not in reason and "api-v2.soundcloud.com" in reason


def test_credentials_reach_yt_dlp_as_it_documents_them(tmp_path):
    params = fetch._params(
        tmp_path,
        source=fetch.Source(allowed=ALLOWED, soundcloud_media=MEDIA, auth_token="tok"),
        limits=LIMITS,
        soundcloud=True,
        proxy="socks5h://127.0.0.1:1",
    )
    assert (params["username"], params["password"]) == ("oauth", "tok")
    assert params["allowed_extractors"] == ["soundcloud"]
    assert params["skip_unavailable_fragments"] is False
    other = fetch._params(
        tmp_path,
        source=fetch.Source(allowed=ALLOWED, soundcloud_media=MEDIA, auth_token="tok"),
        limits=LIMITS,
        soundcloud=False,
        proxy="socks5h://127.0.0.1:1",
    )
    assert "password" not in other and other["allowed_extractors"] == ["generic"]
