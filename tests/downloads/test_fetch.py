"""downloads.fetch: yt-dlp inside the egress guard, against the local fake source.

SoundCloud itself is on the internet; what its extractor hands back is imitated below with the
shapes yt-dlp's SoundCloud extractor gives (format ids, preview marks, its errors).
"""

import io
from pathlib import Path

import pytest
from yt_dlp.networking import Response
from yt_dlp.networking.exceptions import HTTPError, ProxyError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError, UnsupportedError

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


def test_404_fails_as_removed_or_private(source, tmp_path):
    with pytest.raises(fetch.FetchFailed, match="^The track was removed or is private.$") as failed:
        get(source.url("/missing/track.mp3"), tmp_path)
    assert "HTTP Error 404" in failed.value.detail  # yt-dlp's words, for the log


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
    with pytest.raises(fetch.FetchFailed, match=r"^This track is only a 30-second Go\+ preview.$"):
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


def http_error(status: int, reason: str = "") -> HTTPError:
    return HTTPError(Response(io.BytesIO(b""), "https://api-v2.soundcloud.com/x", {}, status=status, reason=reason))


def as_yt_dlp_raises(cause: Exception, message: str = "Unable to download JSON metadata") -> DownloadError:
    """What YoutubeDL.extract_info raises for a failed request: a DownloadError, exc_info the network's error."""
    return DownloadError(f"ERROR: [soundcloud] 1: {message}: {cause}", exc_info=(type(cause), cause, None))


# The table's cases, with the shapes yt-dlp 2026.10 gives them (tests/downloads/test_failed_tracks.py
# meets the real ones through the fake source); each sentence written out, not read from fetch.
REMOVED = "The track was removed or is private."
UNREACHABLE = "SoundCloud could not be reached; try again later."
GENERIC = "The track could not be downloaded; the server's log says why."


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (as_yt_dlp_raises(http_error(404, "Not Found")), REMOVED),
        (as_yt_dlp_raises(http_error(403, "Forbidden")), REMOVED),
        (as_yt_dlp_raises(http_error(401, "Unauthorized")), REMOVED),
        (as_yt_dlp_raises(http_error(410, "Gone")), REMOVED),
        (DownloadError("ERROR: [generic] a: Unable to download webpage: HTTP Error 404: Not Found"), REMOVED),
        (
            DownloadError("ERROR: [soundcloud] 1: geo", exc_info=(None, GeoRestrictedError("[soundcloud] x"), None)),
            "The track is not available in the server's country.",
        ),
        (
            DownloadError("ERROR: [soundcloud] This video is not available from your location due to geo restriction"),
            "The track is not available in the server's country.",
        ),
        (
            DownloadError("ERROR: [soundcloud] 1: This video is DRM protected"),
            "The track is DRM-protected: SoundCloud serves it only encrypted, which cannot be downloaded.",
        ),
        (
            as_yt_dlp_raises(http_error(429, "Too Many Requests")),
            "SoundCloud kept answering 429 (too many requests); try again later.",
        ),
        (as_yt_dlp_raises(http_error(500, "Internal Server Error")), UNREACHABLE),
        (as_yt_dlp_raises(http_error(503, "Service Unavailable")), UNREACHABLE),
        (
            as_yt_dlp_raises(ProxyError("('[Errno 5] Connection refused', Socks5Error(5, 'Connection refused'))")),
            UNREACHABLE,
        ),
        (as_yt_dlp_raises(TransportError("[Errno -2] Name or service not known")), UNREACHABLE),
        (
            ExtractorError("[soundcloud] 1: Unable to download JSON metadata", cause=TransportError("timed out")),
            UNREACHABLE,
        ),
        (ConnectionResetError(104, "Connection reset by peer"), UNREACHABLE),
        (
            DownloadError(
                "ERROR: Unsupported URL: https://example.org/page",
                exc_info=(None, UnsupportedError("https://example.org/page"), None),
            ),
            "There is no audio file at this URL (the source answered with something else, such as a web page).",
        ),
        (as_yt_dlp_raises(http_error(400, "Bad Request")), GENERIC),
        (
            DownloadError("ERROR: [soundcloud] 1: Unable to extract client id; please report this issue on github"),
            GENERIC,
        ),
    ],
    ids=[
        "404",
        "403",
        "401",
        "410",
        "404-in-words",
        "geo-type",
        "geo-in-words",
        "drm",
        "429",
        "500",
        "503",
        "proxy-refused",
        "no-such-host",
        "extractor-over-transport",
        "reset",
        "not-audio",
        "400",
        "anything-else",
    ],
)
def test_yt_dlp_failures_become_sentences_about_the_track(error, sentence):
    assert fetch._reason(error, Guard(), LIMITS, site="SoundCloud") == sentence


def test_a_host_other_than_soundcloud_is_named_in_its_sentence():
    error = as_yt_dlp_raises(http_error(502, "Bad Gateway"))
    assert fetch._reason(error, Guard(), LIMITS, site="The track's host (files.example)") == (
        "The track's host (files.example) could not be reached; try again later."
    )


def test_what_the_guard_cut_comes_before_what_yt_dlp_said():
    class Cut(Guard):
        refusals = ['The host "localhost" is not allowed (allowed: soundcloud.com and its subdomains).']

    error = as_yt_dlp_raises(ProxyError("connection not allowed by ruleset"))
    assert fetch._reason(error, Cut(), LIMITS, site="SoundCloud") == Cut.refusals[0]


def test_the_detail_for_the_log_never_carries_urls_with_credentials():
    error = DownloadError(
        "ERROR: [soundcloud] 1: Unable to download JSON metadata: "
        "https://api-v2.soundcloud.com/tracks/1?client_id=SECRETCLIENT&oauth_token=SECRETTOKEN (caused by x)"
    )
    reason = fetch._reason(error, Guard(), LIMITS, site="SoundCloud")
    detail = fetch._detail(error, fetch._Logger())
    assert reason == GENERIC
    assert "SECRET" not in detail and "api-v2.soundcloud.com" in detail and "Unable to download JSON" in detail


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
