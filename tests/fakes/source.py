"""A local stand-in for the internet a download fetches from: audio files over HTTP on 127.0.0.1.

yt-dlp's generic extractor fetches these as direct files, which is what an operator's
allow-listed host serves. Paths:

* ``/audio/<name>.<mp3|flac|m4a|wav>``: a generated tone in that format (``?seconds=`` long).
* ``/slow/<name>.<ext>``: the same, sent in small pieces over about a second.
* ``/held/<name>.<ext>``: the same after holding the request ``hold`` seconds (concurrency tests).
* ``/hang/<name>.mp3``: headers and a few bytes, then nothing, until the server stops.
* ``/missing/<name>.mp3``: 404.
* ``/forbidden/<name>.mp3``: 403 (a private file).
* ``/failing/<name>.mp3``: 503 (the source is down).
* ``/garbage/<name>.mp3``: 200 ``audio/mpeg`` with bytes that are not audio.
* ``/limited/<name>.<ext>``: 429 with ``Retry-After: 1`` the first time, then the file.
* ``/redirect?to=<url>``: 302 to that URL.
* ``/page``: an HTML page (not audio).
* ``/soundcloud-api/...``: SoundCloud's api-v2 as yt-dlp's SoundCloud extractor reads it (a test
  points the extractor's ``_API_V2_BASE`` at `soundcloud_api`; see `soundcloud_track`). A
  track page ``https://soundcloud.com/<user>/<slug>`` resolves by its slug's first word: ``removed``
  is a 404 (SoundCloud's answer for a deleted or private track), ``geo`` a track whose ``policy``
  is ``BLOCK`` with no streams (the extractor's geo-restriction), ``preview`` a Go+ track with only
  a 30-second ``snipped`` stream, ``drm`` a track with only encrypted streams, anything else a
  track with one progressive MP3 stream (served from ``/audio/<slug>.mp3``). The API never answers
  401 or 403: the extractor would then scrape soundcloud.com for a new client id.

It counts requests per path and the most requests it was answering at once, listens on
127.0.0.1 only, and stops (releasing every held request) when its context ends.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.helpers.media import tone_bytes

TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac", "m4a": "audio/mp4", "wav": "audio/wav"}
FAILING = {"forbidden": 403, "failing": 503}


class FakeSource:
    def __init__(self, *, hold: float = 0.4) -> None:
        self.hold = hold
        self.requests: list[str] = []
        self.limited: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def soundcloud_api(self) -> str:
        """The base of the fake api-v2, for the extractor's `_API_V2_BASE`."""
        return self.url("/soundcloud-api/")

    def soundcloud_track(self, slug: str, kind: str) -> dict:
        """api-v2's track object for a slug (the fields yt-dlp's SoundCloud extractor reads)."""

        def transcoding(protocol: str, *, snipped: bool = False) -> dict:
            return {
                "url": f"{self.soundcloud_api}streams/{slug}/{protocol}",
                "preset": "mp3_1_0",
                "snipped": snipped,
                "format": {"protocol": protocol, "mime_type": "audio/mpeg"},
                "quality": "sq",
            }

        transcodings = {
            "geo": [],
            "preview": [transcoding("progressive", snipped=True)],
            "drm": [transcoding("ctr-encrypted-hls")],
        }.get(kind, [transcoding("progressive")])
        return {
            "id": zlib.crc32(slug.encode()),
            "kind": "track",
            "title": slug,
            "policy": "BLOCK" if kind == "geo" else ("SNIP" if kind == "preview" else "ALLOW"),
            "downloadable": False,
            "user": {"id": 1, "username": "artist", "permalink": "artist"},
            "media": {"transcodings": transcodings},
        }

    def hits(self, prefix: str) -> int:
        return sum(1 for path in self.requests if path.startswith(prefix))

    def __enter__(self) -> FakeSource:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _handler(self):
        source = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, *, body: bool) -> None:
                parts = urlsplit(self.path)
                with source._lock:
                    source.requests.append(parts.path)
                    source.in_flight += 1
                    source.max_in_flight = max(source.max_in_flight, source.in_flight)
                try:
                    self._route(parts, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with source._lock:
                        source.in_flight -= 1

            def _route(self, parts, body: bool) -> None:
                query = parse_qs(parts.query)
                kind, _, name = parts.path.strip("/").partition("/")
                if kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"][0])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "page":
                    self._send(200, "text/html; charset=utf-8", b"<html><body>no audio here</body></html>", body)
                    return
                if kind == "soundcloud-api":
                    self._soundcloud_api(name, query, body)
                    return
                if kind in FAILING:
                    self._send(FAILING[kind], "text/plain", HTTPStatus(FAILING[kind]).phrase.encode(), body)
                    return
                if kind == "garbage":
                    self._send(200, "audio/mpeg", b"\x00 not audio at all " * 2000, body)
                    return
                extension = name.rsplit(".", 1)[-1]
                if kind == "missing" or extension not in TYPES:
                    self._send(404, "text/plain", b"not found", body)
                    return
                seconds = float(query.get("seconds", ["2"])[0])
                data = tone_bytes(extension, seconds)
                if kind == "hang":
                    self.send_response(200)
                    self.send_header("Content-Type", TYPES[extension])
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if body:
                        self.wfile.write(data[:1000])
                        self.wfile.flush()
                        source._stopping.wait()
                    return
                if kind == "limited" and parts.path not in source.limited:
                    source.limited.add(parts.path)
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "held" and body:
                    source._stopping.wait(source.hold)
                if kind == "slow" and body:
                    self.send_response(200)
                    self.send_header("Content-Type", TYPES[extension])
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    step = max(len(data) // 10, 1)
                    for start in range(0, len(data), step):
                        self.wfile.write(data[start : start + step])
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                if kind not in ("audio", "slow", "held", "limited"):
                    self._send(404, "text/plain", b"not found", body)
                    return
                self._send(200, TYPES[extension], data, body)

            def _soundcloud_api(self, path: str, query: dict, body: bool) -> None:
                if path == "resolve":
                    slug = urlsplit(query.get("url", [""])[0]).path.rstrip("/").rsplit("/", 1)[-1]
                    kind = slug.split("-", 1)[0]
                    if kind == "removed":
                        self._json(404, {"code": 404, "message": "Not Found"}, body)
                        return
                    self._json(200, source.soundcloud_track(slug, kind), body)
                    return
                if path.startswith("streams/"):  # a transcoding's URL: where its audio is
                    slug = path.split("/")[1]
                    self._json(200, {"url": source.url(f"/audio/{slug}.mp3")}, body)
                    return
                self._json(404, {"code": 404, "message": "Not Found"}, body)

            def _json(self, status: int, payload: dict, body: bool) -> None:
                self._send(status, "application/json", json.dumps(payload).encode(), body)

            def _send(self, status: int, content_type: str, data: bytes, body: bool) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler
