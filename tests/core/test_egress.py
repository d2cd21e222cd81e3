"""The egress guard: host rules, URL and address checks, and its SOCKS5 proxy, end to end with yt-dlp.

Every server here listens on 127.0.0.1 only and stops at the end of its test.
"""

import http.server
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import yt_dlp
from yt_dlp.networking.exceptions import TransportError

from core.egress import EgressGuard, EgressRefused, HostRules, check_address, check_url

SOUNDCLOUD = HostRules([".soundcloud.com"])
LOCAL = HostRules(["127.0.0.1"])
GREETING = b"\x05\x01\x00"  # SOCKS5, one method: no authentication
HELLO = b"hello from the local server"


# Local HTTP servers.


class Handler(http.server.BaseHTTPRequestHandler):
    """GET / says hello, /bytes/N sends N bytes, /redirect redirects, /hang sends headers and waits."""

    def do_GET(self):
        with self.server.lock:
            self.server.hits += 1
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/hang":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"the start")
            self.wfile.flush()
            self.server.release.wait(30)
            return
        body = b"x" * int(self.path.removeprefix("/bytes/")) if self.path.startswith("/bytes/") else HELLO
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class LocalServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.hits = 0
        self.redirect_to = ""
        self.release = threading.Event()  # lets /hang requests end
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def handle_error(self, request, client_address):
        pass  # the guard resets connections on purpose

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


@pytest.fixture
def start_server():
    servers = []

    def start() -> LocalServer:
        servers.append(LocalServer())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def guard_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("egress-guard")]


@pytest.fixture(autouse=True)
def _no_guard_threads_left():
    yield
    assert guard_threads() == []


@pytest.fixture(params=["requests", "urllib"])
def fetch(request):
    """fetch(guard, url) -> body, through the guard with yt-dlp's requests or urllib request handler."""
    options = {"compat_opts": ["prefer-legacy-http-handler"]} if request.param == "urllib" else {}

    def fetch(guard: EgressGuard, url: str) -> bytes:
        params = {"proxy": guard.proxy_url, "quiet": True, "no_warnings": True, **options}
        with yt_dlp.YoutubeDL(params) as ydl, ydl.urlopen(url) as response:
            assert request.param in type(response).__name__.lower()  # the handler this test meant to use
            return response.read()

    return fetch


def resolve_to(*addresses: str):
    """A resolver, like socket.getaddrinfo, that resolves every name to the given addresses."""

    def resolver(host, port, type=0, **kwargs):
        return [
            (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in addresses
        ]

    return resolver


# HostRules


def test_an_exact_entry_allows_only_that_host():
    rules = HostRules(["soundcloud.com"])
    for host in ("soundcloud.com", "SoundCloud.COM", "soundcloud.com."):
        assert rules.allows(host)
        assert rules.is_exact(host)
    for host in ("api-v2.soundcloud.com", "evilsoundcloud.com", "soundcloud.com.evil.com", "com", ""):
        assert not rules.allows(host)
        assert not rules.is_exact(host)


def test_a_domain_entry_allows_the_domain_and_its_subdomains_but_none_exactly():
    for host in ("soundcloud.com", "api-v2.soundcloud.com", "A.B.SoundCloud.com."):
        assert SOUNDCLOUD.allows(host)
        assert not SOUNDCLOUD.is_exact(host)
    for host in ("evilsoundcloud.com", "soundcloud.com.evil.com", "soundcloud.co", "com", ""):
        assert not SOUNDCLOUD.allows(host)


def test_ip_addresses_are_matched_only_by_exact_entries():
    rules = HostRules(["127.0.0.1", "::1", ".0.0.1"])
    assert rules.allows("127.0.0.1")
    assert rules.is_exact("[::1]")
    assert rules.is_exact("0:0::1")
    assert not rules.allows("10.0.0.1")  # ".0.0.1" is not a pattern over addresses


def test_with_hosts_returns_new_rules():
    rules = SOUNDCLOUD.with_hosts(["127.0.0.1"])
    assert rules.allows("api.soundcloud.com")
    assert rules.is_exact("127.0.0.1")
    assert not SOUNDCLOUD.allows("127.0.0.1")
    assert rules.describe() == "soundcloud.com and its subdomains, 127.0.0.1"


@pytest.mark.parametrize("entries", [["*"], [""], ["."], [".*.example.com"]])
def test_wildcards_and_empty_entries_are_rejected(entries):
    with pytest.raises(ValueError):
        HostRules(entries)


def test_a_single_string_is_not_taken_for_a_list_of_hosts():
    with pytest.raises(TypeError):
        HostRules("soundcloud.com")


# check_url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", 'Only http and https URLs can be downloaded, not "file".'),
        ("ftp://soundcloud.com/track.mp3", 'Only http and https URLs can be downloaded, not "ftp".'),
        ("data:text/plain,hello", 'Only http and https URLs can be downloaded, not "data".'),
        ("javascript:alert(1)", 'Only http and https URLs can be downloaded, not "javascript".'),
        ("soundcloud.com/artist/track", "Only http and https URLs can be downloaded."),
        ("https:///artist/track", "The URL has no host."),
        ("https://user@/track", "The URL has no host."),
        ("https://soundcloud.com:99999/track", "The URL has an invalid port."),
        ("https://soundcloud.com:http/track", "The URL has an invalid port."),
        ("http://[::1/", "The URL is malformed."),
        ("https://soundcloud.com.evil.example/x", 'The host "soundcloud.com.evil.example" is not allowed'),
        ("https://evil.example/soundcloud.com/x", 'The host "evil.example" is not allowed'),
        ("https://soundcloud.com@evil.example/", 'The host "evil.example" is not allowed'),
        ("https://soundcloud.com:pw@evil.example/", 'The host "evil.example" is not allowed'),
        ("https://evilsoundcloud.com/x", 'The host "evilsoundcloud.com" is not allowed'),
        ("http://169.254.169.254/latest/meta-data", 'The host "169.254.169.254" is an IP address'),
        ("http://[::1]/", 'The host "::1" is an IP address'),
        ("http://[::ffff:127.0.0.1]/", 'The host "::ffff:7f00:1" is an IP address'),
        ("http://0x7f000001/", 'The host "0x7f000001" is an IP address'),
        ("http://2130706433/", 'The host "2130706433" is an IP address'),
        ("http://127.1/", 'The host "127.1" is an IP address'),
    ],
)
def test_check_url_refuses(url, reason):
    with pytest.raises(EgressRefused) as refused:
        check_url(url, SOUNDCLOUD)
    assert str(refused.value).startswith(reason)


def test_a_refused_host_is_explained_with_the_rules():
    with pytest.raises(EgressRefused) as refused:
        check_url("https://evil.example/track", SOUNDCLOUD)
    assert str(refused.value) == 'The host "evil.example" is not allowed (allowed: soundcloud.com and its subdomains).'


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://soundcloud.com/artist/track", "soundcloud.com"),
        ("HTTPS://API-V2.SoundCloud.com./tracks?id=1", "api-v2.soundcloud.com"),
        ("http://m.soundcloud.com:8080/artist", "m.soundcloud.com"),
        ("https://user:secret@soundcloud.com/x", "soundcloud.com"),
        ("https://evil.example@soundcloud.com/x", "soundcloud.com"),
    ],
)
def test_check_url_returns_the_normalised_host(url, host):
    assert check_url(url, SOUNDCLOUD) == host


def test_an_ip_address_listed_exactly_may_be_used_in_urls():
    assert check_url("http://127.0.0.1:8000/x", LOCAL) == "127.0.0.1"
    assert check_url("http://[::1]:8000/x", HostRules(["::1"])) == "::1"


# check_address


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback"),
        ("127.255.0.9", "a loopback"),
        ("10.1.2.3", "a private"),
        ("172.16.0.1", "a private"),
        ("172.31.255.254", "a private"),
        ("192.168.1.1", "a private"),
        ("169.254.169.254", "a link-local"),
        ("0.0.0.0", "an unspecified"),
        ("224.0.0.1", "a multicast"),
        ("100.64.0.1", "a non-public"),
        ("::1", "a loopback"),
        ("::", "an unspecified"),
        ("fe80::1", "a link-local"),
        ("fd00:ec2::254", "a private"),
        ("::ffff:127.0.0.1", "a loopback"),
        ("::ffff:169.254.169.254", "a link-local"),
        ("::ffff:10.0.0.1", "a private"),
        ("2002:7f00:1::", "a loopback"),  # 6to4 wrapping 127.0.0.1
        ("2002:a9fe:a9fe::", "a link-local"),  # 6to4 wrapping 169.254.169.254
    ],
)
def test_check_address_refuses_non_public_addresses(address, kind):
    with pytest.raises(EgressRefused) as refused:
        check_address("media.example", address, SOUNDCLOUD)
    assert str(refused.value) == (
        f'The host "media.example" resolves to {kind} address ({address}), which is never fetched.'
    )


def test_check_address_words_a_refused_ip_host_plainly():
    with pytest.raises(EgressRefused) as refused:
        check_address("169.254.169.254", "169.254.169.254", SOUNDCLOUD)
    assert str(refused.value) == "The address 169.254.169.254 is a link-local address, which is never fetched."


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_check_address_allows_public_addresses(address):
    check_address("media.soundcloud.com", address, SOUNDCLOUD)


def test_only_an_exact_entry_may_reach_non_public_addresses():
    check_address("127.0.0.1", "127.0.0.1", LOCAL)
    check_address("minio", "10.0.0.5", HostRules(["minio"]))
    check_address("Minio.", "10.0.0.5", HostRules(["minio"]))
    with pytest.raises(EgressRefused):
        check_address("minio", "10.0.0.5", HostRules([".minio"]))
    with pytest.raises(EgressRefused):
        check_address("cdn.minio", "10.0.0.5", HostRules(["minio"]))


# The proxy, end to end with yt-dlp's networking


def test_the_proxy_listens_on_loopback():
    with EgressGuard(LOCAL) as guard:
        assert guard.proxy_url.startswith("socks5h://127.0.0.1:")
        assert urlsplit(guard.proxy_url).port > 0


def test_an_allowed_host_is_relayed(start_server, fetch):
    server = start_server()
    with EgressGuard(LOCAL) as guard:
        assert fetch(guard, server.url()) == HELLO
        assert fetch(guard, server.url()) == HELLO
    assert guard.refusals == []
    assert guard.connections == [("127.0.0.1", server.port)] * 2
    assert guard.bytes_received > 2 * len(HELLO)  # with the headers
    assert server.hits == 2


def test_a_host_name_the_rules_refuse_never_connects(start_server, fetch):
    server = start_server()
    with EgressGuard(LOCAL) as guard, pytest.raises(TransportError):
        fetch(guard, server.url(host="localhost"))
    assert guard.refusals == ['The host "localhost" is not allowed (allowed: 127.0.0.1).']
    assert guard.connections == [("localhost", server.port)]
    assert server.hits == 0


def test_a_redirect_to_an_unlisted_host_is_refused_at_connect_time(start_server, fetch):
    first, second = start_server(), start_server()
    first.redirect_to = second.url(host="localhost")
    with EgressGuard(LOCAL) as guard, pytest.raises(TransportError):
        fetch(guard, first.url("/redirect"))
    assert first.hits == 1
    assert second.hits == 0
    assert guard.connections == [("127.0.0.1", first.port), ("localhost", second.port)]
    assert guard.refusals == ['The host "localhost" is not allowed (allowed: 127.0.0.1).']


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["127.0.0.1"], "resolves to a loopback address (127.0.0.1)"),  # DNS rebinding to the worker itself
        (["169.254.169.254"], "resolves to a link-local address (169.254.169.254)"),  # cloud metadata
        (["93.184.215.14", "127.0.0.1"], "resolves to a loopback address (127.0.0.1)"),  # any forbidden address
        (["::ffff:127.0.0.1"], "resolves to a loopback address (::ffff:127.0.0.1)"),
    ],
)
def test_a_name_resolving_to_a_forbidden_address_is_refused(start_server, fetch, addresses, reason):
    server = start_server()
    rules = HostRules([".example.test"])
    with EgressGuard(rules, resolver=resolve_to(*addresses)) as guard, pytest.raises(TransportError):
        fetch(guard, server.url(host="media.example.test"))
    assert guard.refusals == [f'The host "media.example.test" {reason}, which is never fetched.']
    assert server.hits == 0


def test_an_exact_host_name_may_resolve_to_loopback(start_server, fetch):
    server = start_server()
    rules = HostRules(["media.example.test"])
    with EgressGuard(rules, resolver=resolve_to("127.0.0.1")) as guard:
        assert fetch(guard, server.url(host="media.example.test")) == HELLO
    assert guard.refusals == []


def test_a_connect_failure_is_a_network_error_not_a_refusal(fetch):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens here
        with EgressGuard(LOCAL) as guard, pytest.raises(TransportError):
            fetch(guard, f"http://127.0.0.1:{port}/")
    assert guard.refusals == []
    assert guard.connections == [("127.0.0.1", port)]


def test_max_bytes_cuts_a_larger_download(start_server, fetch):
    server = start_server()
    with EgressGuard(LOCAL, max_bytes=50_000) as guard:
        with pytest.raises(TransportError):
            fetch(guard, server.url("/bytes/200000"))
        with pytest.raises(TransportError):  # the guard is spent: new connections are refused
            fetch(guard, server.url())
    assert guard.refusals == ["The download is larger than 0.05 MB."]
    assert server.hits == 1
    assert 50_000 < guard.bytes_received < 200_000


def test_a_download_within_max_bytes_arrives_whole(start_server, fetch):
    server = start_server()
    with EgressGuard(LOCAL, max_bytes=1_000_000) as guard:
        assert fetch(guard, server.url("/bytes/200000")) == b"x" * 200_000
    assert guard.refusals == []


def test_the_deadline_cuts_a_hanging_download(start_server, fetch):
    server = start_server()
    started = time.monotonic()
    with EgressGuard(LOCAL, deadline=started + 1) as guard:
        with pytest.raises(TransportError):
            fetch(guard, server.url("/hang"))
        assert time.monotonic() - started < 10
        with pytest.raises(TransportError):  # past the deadline, new connections are refused
            fetch(guard, server.url())
    assert guard.refusals == ["The download took longer than its time limit."]
    assert server.hits == 1


def test_sequential_and_concurrent_downloads(start_server, fetch):
    server = start_server()
    with EgressGuard(LOCAL) as guard:
        for _ in range(10):
            assert fetch(guard, server.url()) == HELLO
        with ThreadPoolExecutor(max_workers=8) as pool:
            bodies = list(pool.map(lambda size: fetch(guard, server.url(f"/bytes/{size}")), range(1000, 9000, 500)))
    assert bodies == [b"x" * size for size in range(1000, 9000, 500)]
    assert len(guard.connections) == 26
    assert guard.refusals == []


# The SOCKS5 protocol, with raw sockets


def proxy_address(guard: EgressGuard) -> tuple[str, int]:
    parts = urlsplit(guard.proxy_url)
    return parts.hostname, parts.port


def receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def socks_request(guard: EgressGuard, request: bytes) -> bytes:
    """The proxy's reply to a request sent after a no-authentication greeting."""
    with socket.create_connection(proxy_address(guard), timeout=5) as sock:
        sock.sendall(GREETING)
        assert receive(sock, 2) == b"\x05\x00"
        sock.sendall(request)
        return receive(sock, 10)


def connect_request(address_type: int, address: bytes, port: int, command: int = 1) -> bytes:
    return bytes([5, command, 0, address_type]) + address + port.to_bytes(2, "big")


def domain(name: bytes) -> bytes:
    return bytes([len(name)]) + name


def test_a_greeting_without_the_no_authentication_method_is_rejected():
    with EgressGuard(LOCAL) as guard, socket.create_connection(proxy_address(guard), timeout=5) as sock:
        sock.sendall(b"\x05\x01\x02")  # username/password only
        assert receive(sock, 2) == b"\x05\xff"
        assert sock.recv(1) == b""  # and the proxy hangs up


def test_a_client_that_does_not_speak_socks5_is_dropped():
    with EgressGuard(LOCAL) as guard, socket.create_connection(proxy_address(guard), timeout=5) as sock:
        sock.sendall(b"\x04\x01\x00")
        assert sock.recv(1) == b""


def test_commands_other_than_connect_are_not_supported(start_server):
    server = start_server()
    with EgressGuard(LOCAL) as guard:
        bind = connect_request(1, socket.inet_aton("127.0.0.1"), server.port, command=2)
        assert socks_request(guard, bind)[:2] == b"\x05\x07"
        udp_associate = connect_request(1, socket.inet_aton("127.0.0.1"), server.port, command=3)
        assert socks_request(guard, udp_associate)[:2] == b"\x05\x07"
    assert guard.connections == []


def test_an_unknown_address_type_is_not_supported():
    with EgressGuard(LOCAL) as guard:
        assert socks_request(guard, bytes([5, 1, 0, 9]))[:2] == b"\x05\x08"


def test_raw_connects_by_address_and_by_name(start_server):
    server = start_server()
    with EgressGuard(LOCAL) as guard:
        allowed = socks_request(guard, connect_request(1, socket.inet_aton("127.0.0.1"), server.port))
        unlisted = socks_request(guard, connect_request(1, socket.inet_aton("127.0.0.2"), server.port))
        ipv6 = socks_request(guard, connect_request(4, socket.inet_pton(socket.AF_INET6, "::1"), server.port))
        by_name = socks_request(guard, connect_request(3, domain(b"localhost"), server.port))
    assert allowed == b"\x05\x00\x00\x01" + bytes(6)
    assert [reply[:2] for reply in (unlisted, ipv6, by_name)] == [b"\x05\x02"] * 3
    assert guard.connections == [
        ("127.0.0.1", server.port),
        ("127.0.0.2", server.port),
        ("::1", server.port),
        ("localhost", server.port),
    ]
    assert guard.refusals == [
        'The host "127.0.0.2" is not allowed (allowed: 127.0.0.1).',
        'The host "::1" is not allowed (allowed: 127.0.0.1).',
        'The host "localhost" is not allowed (allowed: 127.0.0.1).',
    ]


def test_a_resolver_failure_is_a_network_error_not_a_refusal():
    def resolver(host, port, type=0, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with EgressGuard(HostRules([".example.test"]), resolver=resolver) as guard:
        reply = socks_request(guard, connect_request(3, domain(b"nowhere.example.test"), 443))
    assert reply[:2] == b"\x05\x04"
    assert guard.connections == [("nowhere.example.test", 443)]
    assert guard.refusals == []


def test_close_cuts_open_tunnels_and_ends_its_threads(start_server):
    server = start_server()
    with EgressGuard(LOCAL) as guard, socket.create_connection(proxy_address(guard), timeout=5) as sock:
        sock.sendall(GREETING + connect_request(1, socket.inet_aton("127.0.0.1"), server.port))
        assert receive(sock, 12) == b"\x05\x00" + b"\x05\x00\x00\x01" + bytes(6)
        sock.sendall(b"GET /hang HTTP/1.0\r\n\r\n")
        data = b""
        while not data.endswith(b"the start"):
            chunk = sock.recv(100)
            assert chunk, "the tunnel ended early"
            data += chunk
        assert guard_threads()
        started = time.monotonic()
        guard.close()
        assert time.monotonic() - started < 5
        assert guard_threads() == []
        with pytest.raises(ConnectionResetError):  # reset, so the cut download cannot look complete
            sock.recv(100)
