"""A local stand-in for the internet a download fetches from: audio files over HTTP on 127.0.0.1.

yt-dlp's generic extractor fetches these as direct files, which is what an operator's
allow-listed host serves. Paths:

* ``/audio/<name>.<mp3|flac|m4a|wav>``: a generated tone in that format (``?seconds=`` long).
* ``/slow/<name>.<ext>``: the same, sent in small pieces over about a second.
* ``/held/<name>.<ext>``: the same after holding the request ``hold`` seconds (concurrency tests).
* ``/hang/<name>.mp3``: headers and a few bytes, then nothing, until the server stops.
* ``/missing/<name>.mp3``: 404.
* ``/limited/<name>.<ext>``: 429 with ``Retry-After: 1`` the first time, then the file.
* ``/redirect?to=<url>``: 302 to that URL.
* ``/page``: an HTML page (not audio).

It counts requests per path and the most requests it was answering at once, listens on
127.0.0.1 only, and stops (releasing every held request) when its context ends.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.helpers.media import tone_bytes

TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac", "m4a": "audio/mp4", "wav": "audio/wav"}


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

            def _send(self, status: int, content_type: str, data: bytes, body: bool) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler
