"""Fetching one track's audio with yt-dlp's Python API, inside the egress guard. No Django imports.

yt-dlp is the engine scdl 3 is built on; it is pinned in requirements/base.txt, because
SoundCloud changes what it serves (MP3 and Opus progressive streams until 2025, AAC over HLS
since), and a new yt-dlp is how the project follows it: one line to bump.

* **Which extractor.** A URL on a SoundCloud host (soundcloud.com and its subdomains) is read by
  yt-dlp's SoundCloud extractor and nothing else; a URL on another host an operator allow-listed
  by the generic extractor, which downloads a direct audio file. No other extractor is loaded,
  so a URL can never reach one of yt-dlp's thousand other site handlers. A set or a playlist is
  refused: a request names tracks.
* **Which format (scdl's choice).** The original upload (yt-dlp's `download` format, which the
  extractor offers when the uploader allows downloads and it is still available), else the best
  stream by yt-dlp's own ranking. A stream SoundCloud marks as a preview (Go+ tracks give a
  30-second `snipped` stream to clients without a Go+ account) is never taken for the track:
  when only previews are offered the track fails as a preview. Geo-blocked and DRM-only
  tracks fail with that reason (the extractor's GeoRestrictedError and DRM report).
* **What the user reads.** A failed track's reason is one of the project's sentences about the
  track, never yt-dlp's own text: what the guard cut or refused first, then `FAILURES`, a table
  from what yt-dlp raised (its exception types, the HTTP status of the answer, words of its
  message) to a sentence: SoundCloud out of reach, removed or private, not in the server's
  country, DRM-only, not audio, and a generic sentence for anything else. yt-dlp's message,
  every URL in it reduced to its host, is `FetchFailed.detail`, for the log.
* **Credentials.** `client_id` (SOUNDCLOUD_CLIENT_ID) is handed to the extractor through its own
  cache, where it keeps the id it scrapes from soundcloud.com; an `auth_token`
  (SOUNDCLOUD_AUTH_TOKEN, a Go+ account's OAuth token, as scdl's `--auth-token`) logs in the
  way yt-dlp documents it (username `oauth`, the token as password). Neither ever appears in an
  error message: messages are the project's own, and the detail for the log has every URL reduced
  to its host.
* **Egress.** Every connection yt-dlp makes goes through a `core.egress.EgressGuard` (a SOCKS5
  proxy on loopback in this process): the guard checks the host name and every address it
  resolves to, so a redirect to localhost or to 169.254.169.254 is refused where it would have
  connected. The guard also ends the track's tunnels at its deadline and past its byte limit:
  a source that stalls, drips or never ends cannot hold a worker beyond the per-track timeout.
* **Pacing.** Every request to a SoundCloud API host first takes a slot of the shared request
  budget (core.pacing, passed in as `pace`); a 429 pauses the budget for its `Retry-After`
  for every worker and the request is tried again after the pause. Media hosts (SoundCloud's
  CDNs) are not counted: the limit is SoundCloud's API limit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yt_dlp
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError

from core import egress
from core.pacing import retry_after_seconds

SOUNDCLOUD = egress.HostRules([".soundcloud.com"])
MAX_429_RETRIES = 5

# What a user reads on a failed track. `{site}` is "SoundCloud", or the track's host for a URL on
# another allow-listed host.
UNREACHABLE = "{site} could not be reached; try again later."
BUSY = "{site} kept answering 429 (too many requests); try again later."
PREVIEW_ONLY = "This track is only a 30-second Go+ preview."
REMOVED = "The track was removed or is private."
GEO_BLOCKED = "The track is not available in the server's country."
DRM_ONLY = "The track is DRM-protected: SoundCloud serves it only encrypted, which cannot be downloaded."
NOT_AUDIO = "There is no audio file at this URL (the source answered with something else, such as a web page)."
NOTHING_HERE = "The source gave no track at this URL."
NO_AUDIO_SENT = "The source sent no audio."
GENERIC = "The track could not be downloaded; the server's log says why."
# The operators' side of PREVIEW_ONLY, for the log: what would fetch the whole track.
PREVIEW_DETAIL = "only preview streams offered; a Go+ account's token (SOUNDCLOUD_AUTH_TOKEN) fetches the whole track"


class FetchFailed(Exception):
    """This track cannot be fetched: str() is why, for the user; `detail` what the tool said, for the log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.detail = detail


@dataclass(frozen=True)
class Failure:
    """A kind of failure yt-dlp reports, by any of: an exception type, an HTTP status, words of its message."""

    sentence: str
    types: tuple[type[BaseException], ...] = ()
    statuses: tuple[int, ...] = ()
    words: tuple[str, ...] = ()

    def matches(self, errors: list[BaseException], text: str) -> bool:
        return (
            any(isinstance(error, self.types) for error in errors)
            or any(_status(error) in self.statuses for error in errors)
            or any(word in text for word in self.words)
        )


GONE = (401, 403, 404, 410)  # what SoundCloud (and a file host) answers for a track deleted or made private
# yt-dlp's failures, first match wins. It wraps what went wrong: a DownloadError whose `exc_info`
# is the extractor's error or the network's, an ExtractorError whose `cause` is the network's: an
# HTTPError (with the answer's status) or a TransportError (no connection: refused, no such host,
# TLS, a dropped stream; through the guard these are its SOCKS replies). Words are matched in lower
# case, against messages whose URLs are reduced to their hosts.
FAILURES = (
    Failure(GEO_BLOCKED, types=(GeoRestrictedError,), words=("geo restriction", "not available from your location")),
    Failure(DRM_ONLY, words=("drm protected",)),
    Failure(REMOVED, statuses=GONE, words=tuple(f"http error {status}" for status in GONE)),
    Failure(BUSY, statuses=(429,)),
    Failure(UNREACHABLE, types=(TransportError, ConnectionError, TimeoutError), statuses=tuple(range(500, 600))),
    Failure(NOT_AUDIO, words=("unsupported url",)),
)


@dataclass(frozen=True)
class Source:
    """Where a track may be fetched from, and with what."""

    allowed: egress.HostRules  # hosts a track URL may name (DOWNLOADS_ALLOWED_HOSTS)
    soundcloud_media: egress.HostRules  # SoundCloud's CDN hosts, reached only by the SoundCloud extractor
    client_id: str = ""
    auth_token: str = ""
    paced: egress.HostRules = SOUNDCLOUD  # hosts whose requests take a slot of the budget (SoundCloud's API)


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    max_bytes: int


@dataclass(frozen=True)
class Fetched:
    path: Path
    format_id: str
    original: bool  # the uploader's own file, not a stream


def is_soundcloud(url: str) -> bool:
    return SOUNDCLOUD.allows(urlsplit(url).hostname or "")


class _Logger:
    """yt-dlp's messages, kept for a failure's detail: logged with every URL reduced to its host (URLs carry tokens)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.too_large = False

    def debug(self, message: str) -> None:
        # yt-dlp's only word when a file is over max_filesize; the download then simply ends.
        self.too_large = self.too_large or "larger than max-filesize" in message

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        pass

    def error(self, message: str) -> None:
        self.errors.append(message)


class _PacedYoutubeDL(yt_dlp.YoutubeDL):
    """yt-dlp whose requests to SoundCloud's API take a slot of the shared budget, and wait out a 429."""

    def __init__(self, params: dict, *, pace, paced: egress.HostRules, deadline: float, clock: Callable[[], float]):
        super().__init__(params)
        self._pace, self._paced, self._deadline, self._clock = pace, paced, deadline, clock

    def urlopen(self, req):
        url = req if isinstance(req, str) else req.url
        if self._pace is None or not self._paced.allows(urlsplit(url).hostname or ""):
            return super().urlopen(req)
        for _ in range(MAX_429_RETRIES):
            # The wait counts against the track's time limit; PaceTimeout (the caller defers the
            # job) when the budget would not allow the request before it.
            self._pace.acquire(deadline=self._pace.clock() + max(self._deadline - self._clock(), 0.0))
            try:
                return super().urlopen(req)
            except HTTPError as error:
                if error.status != 429:
                    raise
                self._pace.pause(retry_after_seconds(error.response.headers.get("Retry-After")))
        raise FetchFailed(BUSY.format(site="SoundCloud"), f"HTTP 429 to {MAX_429_RETRIES} tries of one request")


def fetch(url: str, folder: Path, *, source: Source, limits: Limits, pace=None, clock=None) -> Fetched:
    """Download the audio of the track at `url` into `folder`; raise FetchFailed saying why not.

    `pace` is a core.pacing.Pace for SoundCloud's API (None: not paced); its PaceTimeout
    propagates when the budget would not allow a request within the track's time limit. The file
    is whatever the source serves (MP3, M4A, Opus, FLAC, ...); converting it is the caller's.
    """
    clock = clock or time.monotonic
    try:
        host = egress.check_url(url, source.allowed)
    except egress.EgressRefused as refused:
        raise FetchFailed(str(refused)) from None
    soundcloud = SOUNDCLOUD.allows(host)
    site = "SoundCloud" if soundcloud else f"The track's host ({host})"
    deadline = clock() + limits.timeout_seconds
    # Connections may go to the allowed hosts; a SoundCloud page also to SoundCloud's CDNs.
    rules = source.allowed.with_hosts(source.soundcloud_media.entries) if soundcloud else source.allowed
    # A little room over the file's limit for the API's JSON and HLS playlists.
    guard_bytes = limits.max_bytes + limits.max_bytes // 20 + 1_000_000
    logger = _Logger()
    with egress.EgressGuard(rules, deadline=deadline, max_bytes=guard_bytes) as guard:
        params = _params(folder, source=source, limits=limits, soundcloud=soundcloud, proxy=guard.proxy_url)
        params["logger"] = logger
        try:
            paced = _PacedYoutubeDL(params, pace=pace, paced=source.paced, deadline=deadline, clock=clock)
            with paced as ydl:
                if source.client_id and soundcloud:
                    ydl.cache.store("soundcloud", "client_id", source.client_id)
                return _download(ydl, url, logger=logger, limits=limits)
        except FetchFailed:
            raise
        except (DownloadError, ExtractorError, OSError) as error:
            raise FetchFailed(_reason(error, guard, limits, site=site), _detail(error, logger)) from None


def _params(folder: Path, *, source: Source, limits: Limits, soundcloud: bool, proxy: str) -> dict:
    params = {
        "proxy": proxy,
        "socket_timeout": min(30.0, limits.timeout_seconds),
        "paths": {"home": str(folder), "temp": str(folder)},
        "outtmpl": {"default": "source.%(ext)s"},
        "cachedir": str(folder / "yt-dlp-cache"),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "allowed_extractors": ["soundcloud"] if soundcloud else ["generic"],
        "max_filesize": limits.max_bytes,
        "retries": 2,
        "fragment_retries": 2,
        "extractor_retries": 0,
        "skip_unavailable_fragments": False,  # a stream with a hole is a failed track, not a shorter one
        "external_downloader": {"default": "native"},  # everything in this process, through the guard
        "concurrent_fragment_downloads": 1,
        "fixup": "never",
        "overwrites": True,
        "check_formats": False,
    }
    if soundcloud and source.auth_token:
        params["username"], params["password"] = "oauth", source.auth_token
    return params


def _download(ydl: yt_dlp.YoutubeDL, url: str, *, logger: _Logger, limits: Limits) -> Fetched:
    info = ydl.extract_info(url, download=False, process=False)
    if info is None:
        raise FetchFailed(NOTHING_HERE)
    if info.get("_type") in ("playlist", "multi_video"):
        raise FetchFailed("This URL is a set or playlist; name each track on its own.")
    formats = info.get("formats") or []
    if formats:
        full = [f for f in formats if "preview" not in (f.get("format_id") or "")]
        if not full:
            raise FetchFailed(PREVIEW_ONLY, PREVIEW_DETAIL)
        ydl.params["format"] = "download/bestaudio[format_id!*=preview]/best[format_id!*=preview]"
    result = ydl.process_ie_result(info, download=True)
    downloads = (result or {}).get("requested_downloads") or []
    path = Path(downloads[0]["filepath"]) if downloads and downloads[0].get("filepath") else None
    if path is None or not path.is_file() or path.stat().st_size == 0:
        if logger.too_large:
            raise FetchFailed(f"The file is larger than {limits.max_bytes / 1_000_000:g} MB.")
        raise FetchFailed(NO_AUDIO_SENT)
    format_id = str(result.get("format_id") or "")
    return Fetched(path=path, format_id=format_id, original=format_id == "download")


_URL = re.compile(r"\b(?:https?|ftp|file)://[^\s'\"<>]+", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:ERROR:\s*)?(?:\[[^\]]+\]\s*)?(?:[\w-]+:\s)?")


def _reason(error: Exception, guard, limits: Limits, *, site: str) -> str:
    """The user's reason for a failed fetch: what the guard cut or refused first, then `FAILURES`."""
    if guard.deadline_passed:
        return f"The download took longer than {limits.timeout_seconds:g} s and was stopped."
    if guard.over_size:
        return f"The file is larger than {limits.max_bytes / 1_000_000:g} MB."
    if guard.refusals:
        return guard.refusals[0]
    errors = list(_chain(error))
    text = " ".join(_without_urls(str(each)) for each in errors).lower()
    for failure in FAILURES:
        if failure.matches(errors, text):
            return failure.sentence.format(site=site)
    return GENERIC


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every error it wraps: yt-dlp's `exc_info` and `cause`, Python's own chain."""
    seen: list[BaseException] = []
    waiting: list[BaseException | None] = [error]
    while waiting and len(seen) < 20:
        current = waiting.pop(0)
        if current is None or any(current is known for known in seen):
            continue
        seen.append(current)
        yield current
        exc_info = getattr(current, "exc_info", None)
        wrapped = exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None
        waiting += [wrapped, getattr(current, "cause", None), current.__cause__, current.__context__]


def _status(error: BaseException) -> int | None:
    return error.status if isinstance(error, HTTPError) else None


def _detail(error: Exception, logger: _Logger) -> str:
    """What yt-dlp said, for the log: its message (or its last logged error), URLs reduced to their hosts."""
    text = str(error) or (logger.errors[-1] if logger.errors else "")
    return f"{type(error).__name__}: {_without_urls(text)}"


def _without_urls(text: str) -> str:
    """yt-dlp's message with every URL reduced to its host (query strings carry client ids and tokens)."""
    text = _URL.sub(lambda m: urlsplit(m.group(0)).hostname or "a URL", text.strip())
    text = _PREFIX.sub("", text).strip()
    return text[:500]
