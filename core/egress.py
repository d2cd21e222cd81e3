"""Egress guard: the only way out for downloads from user-supplied URLs (SSRF protection).

A worker that downloads audio with yt-dlp from a URL a user typed must not become a tool for
reaching the worker's own network: the cloud metadata service (169.254.169.254), the database,
Redis, the S3 server, anything on loopback or a private network. Checking the URL before the
download is not enough, for two reasons. yt-dlp makes many connections of its own (API calls,
redirects, media files, HLS segments), none of which the caller sees. And a host name that
resolved to a public address during a check may resolve to a private one a moment later, when
the connection is made (DNS rebinding).

So every connection is checked at the moment it is made. yt-dlp is given
``proxy=guard.proxy_url``, a ``socks5h://`` URL of a small SOCKS5 server (RFC 1928) that
`EgressGuard` runs on 127.0.0.1 inside the worker process. With ``socks5h`` the client does not
resolve host names itself; it sends them to the proxy, which

1. refuses a host that the `HostRules` do not allow,
2. resolves the host once and refuses it if any of its addresses is not public (`check_address`),
3. connects to one of exactly these checked addresses, so the name cannot resolve to something
   else between check and use, and
4. relays bytes both ways until a side closes, the guard's deadline passes, or the bytes received
   across all its tunnels exceed its limit.

A refused connection gets SOCKS reply 0x02 ("connection not allowed by ruleset"), which yt-dlp
reports as a proxy error. The reason, worded for users, is appended to `EgressGuard.refusals`, so
the caller can say why a download failed. A tunnel cut by a limit is reset rather than closed, so
that the client sees an error and never a download that merely looks complete; even so, callers
should treat any recorded refusal as a failed download.

`check_url` applies the same host rules to the URL a user submits, so that most bad URLs are
refused with a clear message before any work is queued. It is a courtesy; the proxy is the guard.

Host rules are written like Django's ALLOWED_HOSTS: "soundcloud.com" allows exactly that host,
".soundcloud.com" allows it and every subdomain. Only hosts listed exactly may be IP addresses or
resolve to non-public addresses (for tests, or a trusted internal mirror).

The guard uses one thread per connection. Every blocking step waits at most `POLL_SECONDS` before
it rechecks `EgressGuard.close` and the deadline, so both take effect promptly. The exception is
the resolver: a slow DNS lookup cannot be interrupted, which is why `close` waits for its threads
for a bounded time only (they are daemon threads).
"""

import contextlib
import errno
import ipaddress
import os
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

POLL_SECONDS = 0.5  # the longest a guard thread blocks before it rechecks close() and the deadline
JOIN_SECONDS = 5.0  # how long close() waits, in total, for the guard's threads to end
BUFFER_SIZE = 64 * 1024

SOCKS_VERSION = 5
NO_AUTHENTICATION = 0x00
NO_ACCEPTABLE_METHOD = 0xFF
CONNECT = 0x01
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 0x01, 0x03, 0x04
REPLY_SUCCEEDED = 0x00
REPLY_NOT_ALLOWED = 0x02
REPLY_HOST_UNREACHABLE = 0x04
REPLY_CONNECTION_REFUSED = 0x05
REPLY_COMMAND_NOT_SUPPORTED = 0x07
REPLY_ADDRESS_TYPE_NOT_SUPPORTED = 0x08

# Address properties that forbid a connection, checked in this order (the first one names the kind).
FORBIDDEN_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)


class EgressRefused(Exception):
    """A URL or connection the rules refuse; str() is a user-readable reason."""


def _normalise(host: str) -> str:
    """The host in lower case, without one trailing dot or IPv6 brackets; IP addresses canonical."""
    host = host.strip().lower().removesuffix(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _looks_like_ip(host: str) -> bool:
    """Whether the resolver would read host as an IP address, including forms like 0x7f000001 or 127.1."""
    try:
        socket.inet_aton(host)
    except OSError:
        return _is_ip(host)
    return True


def _hosts(hosts: Iterable[str]) -> list[str]:
    if isinstance(hosts, str):
        raise TypeError("Host rules take a list of hosts, not a single string.")
    return list(hosts)


class HostRules:
    """Which hosts may be fetched, in entries written like Django's ALLOWED_HOSTS.

    "example.com" allows exactly that host; ".example.com" allows example.com and every subdomain.
    Comparison ignores case and a trailing dot on the host. IP addresses are written without
    brackets ("::1") and are allowed only by exact entries. Exact entries are also trusted
    further: only their hosts may reach non-public addresses (see `check_address`).

    Rules are immutable; `with_hosts` returns rules with more entries.
    """

    def __init__(self, allowed: Iterable[str]):
        self.entries = tuple(_hosts(allowed))
        self._exact: set[str] = set()
        self._domains: set[str] = set()
        self._described: list[str] = []
        for entry in self.entries:
            host = _normalise(entry)
            if not host.strip(".") or "*" in host:
                raise ValueError(f"Unusable host rule {entry!r}: wildcards and empty entries are not supported.")
            if host.startswith("."):
                self._domains.add(host[1:])
                self._described.append(f"{host[1:]} and its subdomains")
            else:
                self._exact.add(host)
                self._described.append(host)

    def allows(self, host: str) -> bool:
        """Whether an entry allows host."""
        host = _normalise(host)
        if host in self._exact:
            return True
        if _is_ip(host):
            return False
        return any(host == domain or host.endswith("." + domain) for domain in self._domains)

    def is_exact(self, host: str) -> bool:
        """Whether host is listed as an exact entry; only such hosts may reach non-public addresses."""
        return _normalise(host) in self._exact

    def with_hosts(self, extra: Iterable[str]) -> "HostRules":
        """New rules with the entries of these rules and then the extra entries."""
        return HostRules([*self.entries, *_hosts(extra)])

    def describe(self) -> str:
        """The rules in words, such as "soundcloud.com and its subdomains, example.org"."""
        return ", ".join(self._described) or "no hosts"

    def __repr__(self) -> str:
        return f"HostRules({list(self.entries)!r})"


def _not_allowed(host: str, rules: HostRules) -> EgressRefused:
    return EgressRefused(f'The host "{host}" is not allowed (allowed: {rules.describe()}).')


def check_url(url: str, rules: HostRules) -> str:
    """Raise EgressRefused unless url is http(s) with a host the rules allow; return the normalised host.

    The host is the one urllib.parse.urlsplit finds, as the HTTP client will, so user information
    ("https://soundcloud.com@evil.example/") and paths cannot pose as the host. Host names that
    the resolver would read as IP addresses (such as "0x7f000001") must be listed exactly.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        raise EgressRefused("The URL is malformed.") from None
    if parts.scheme not in ("http", "https"):
        if not parts.scheme:
            raise EgressRefused("Only http and https URLs can be downloaded.")
        raise EgressRefused(f'Only http and https URLs can be downloaded, not "{parts.scheme}".')
    host = _normalise(parts.hostname or "")
    if not host:
        raise EgressRefused("The URL has no host.")
    try:
        _ = parts.port  # raises ValueError when the port is not a number from 0 to 65535
    except ValueError:
        raise EgressRefused("The URL has an invalid port.") from None
    if _looks_like_ip(host) and not rules.is_exact(host):
        raise EgressRefused(f'The host "{host}" is an IP address; only listed host names can be downloaded from.')
    if not rules.allows(host):
        raise _not_allowed(host, rules)
    return host


def _forbidden_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of a forbidden address ("a loopback"), or None for a public one.

    An IPv6 address that embeds an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, 6to4 2002::/16) is
    forbidden when either the embedded address or the IPv6 address itself is.
    """
    embedded = (ip.ipv4_mapped or ip.sixtofour) if ip.version == 6 else None
    for candidate in (embedded, ip):
        if candidate is None:
            continue
        for attribute, kind in FORBIDDEN_KINDS:
            if getattr(candidate, attribute):
                return kind
        if not candidate.is_global:
            return "a non-public"
    return None


def check_address(host: str, address: str, rules: HostRules) -> None:
    """Raise EgressRefused when host may not be reached at address.

    Every address that is not public is refused: unspecified, loopback, link-local, multicast,
    private, reserved and other non-global addresses, and IPv6 forms embedding such an IPv4
    address. Hosts the rules list exactly may reach any address.
    """
    if rules.is_exact(host):
        return
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise EgressRefused(f'The host "{host}" resolves to "{address}", which is not an IP address.') from None
    kind = _forbidden_kind(ip)
    if kind is None:
        return
    if _normalise(host) == str(ip):
        raise EgressRefused(f"The address {address} is {kind} address, which is never fetched.")
    raise EgressRefused(f'The host "{host}" resolves to {kind} address ({address}), which is never fetched.')


class _Cut(Exception):
    """Internal: the guard is closed or past a limit, so the tunnel or handshake must end."""


class EgressGuard:
    """A SOCKS5 server on 127.0.0.1 that lets through only connections the rules allow.

    It speaks RFC 1928 with the no-authentication method and the CONNECT command only, and accepts
    host names (socks5h) as well as IPv4 and IPv6 addresses. It starts serving on construction on
    a port the OS chooses; use it as a context manager, or call `close`, to stop it.

    deadline is a time.monotonic() value: once it passes, every tunnel is cut and new connections
    are refused. max_bytes limits the bytes received from upstream across all tunnels; once
    exceeded, likewise. Either limit is recorded in `refusals` once, when first hit.
    connect_timeout bounds the SOCKS handshake and each connection attempt upstream. resolver is
    called like socket.getaddrinfo(host, port, type=socket.SOCK_STREAM).

    Attributes, readable while it runs:
    proxy_url: "socks5h://127.0.0.1:<port>", for yt-dlp's proxy option.
    refusals: user-readable reasons, in order, for refused connections and cut tunnels.
    connections: (host, port) of every CONNECT request received, allowed or not.
    bytes_received: bytes received from upstream across all tunnels.
    """

    def __init__(
        self,
        rules: HostRules,
        *,
        deadline: float | None = None,
        max_bytes: int | None = None,
        connect_timeout: float = 10.0,
        resolver: Callable[..., list] = socket.getaddrinfo,
    ):
        self.rules = rules
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self.resolver = resolver
        self.refusals: list[str] = []
        self.connections: list[tuple[str, int]] = []
        self.bytes_received = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._limit_hit: str | None = None
        self._limit_kind: str | None = None  # "deadline" or "size"
        self._tunnels: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(POLL_SECONDS)
        port = self._listener.getsockname()[1]
        self.proxy_url = f"socks5h://127.0.0.1:{port}"
        self._server = threading.Thread(target=self._serve, name=f"egress-guard-{port}", daemon=True)
        self._server.start()

    def __enter__(self) -> "EgressGuard":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, cut every tunnel, and wait up to JOIN_SECONDS for the guard's threads."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes a waiting accept() at once, on Linux
        give_up = time.monotonic() + JOIN_SECONDS
        self._server.join(JOIN_SECONDS)
        with self._lock:
            tunnels = list(self._tunnels)
        for thread in tunnels:
            thread.join(max(0.0, give_up - time.monotonic()))

    # Bookkeeping, shared by all threads.

    def _record(self, reason: str) -> None:
        with self._lock:
            self.refusals.append(reason)

    @property
    def deadline_passed(self) -> bool:
        """Whether the tunnels were cut at the deadline (the first limit hit)."""
        return self._limit_kind == "deadline"

    @property
    def over_size(self) -> bool:
        """Whether the tunnels were cut past max_bytes (the first limit hit)."""
        return self._limit_kind == "size"

    def _cut(self, reason: str, kind: str) -> None:
        """End the guard because a limit was hit (recorded the first time) by raising _Cut."""
        with self._lock:
            if self._limit_hit is None:
                self._limit_hit, self._limit_kind = reason, kind
                self.refusals.append(reason)
        raise _Cut(reason)

    def _check_alive(self) -> None:
        """Raise _Cut when the guard is closed or past its deadline or byte limit."""
        if self._closed.is_set():
            raise _Cut("closed")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._cut("The download took longer than its time limit.", "deadline")
        if self._limit_hit is not None:
            raise _Cut(self._limit_hit)

    def _count(self, size: int) -> None:
        with self._lock:
            self.bytes_received += size
            over = self.max_bytes is not None and self.bytes_received > self.max_bytes
        if over:
            self._cut(f"The download is larger than {self.max_bytes / 1_000_000:g} MB.", "size")

    # The server thread, and one thread per accepted connection.

    def _serve(self) -> None:
        with self._listener:
            while not self._closed.is_set():
                try:
                    client, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:  # such as too many open files: wait, then try again
                    self._closed.wait(POLL_SECONDS)
                    continue
                # Tunnel threads share the server thread's name, "egress-guard-<port>".
                thread = threading.Thread(target=self._handle, args=(client,), name=self._server.name, daemon=True)
                with self._lock:
                    self._tunnels = [tunnel for tunnel in self._tunnels if tunnel.is_alive()]
                    self._tunnels.append(thread)
                thread.start()

    def _handle(self, client: socket.socket) -> None:
        upstream = None
        try:
            client.settimeout(POLL_SECONDS)
            upstream = self._open_tunnel(client)
            if upstream is not None:
                self._relay(client, upstream)
        except _Cut:
            # Reset instead of closing, so that the client sees an error, not a clean end of data.
            with contextlib.suppress(OSError):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass  # a network error or a misbehaving client: the tunnel just ends
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def _open_tunnel(self, client: socket.socket) -> socket.socket | None:
        """Run the SOCKS5 handshake; return the connected upstream socket, or None after a failure reply."""
        give_up = time.monotonic() + self.connect_timeout
        version, method_count = self._receive(client, 2, give_up)
        methods = self._receive(client, method_count, give_up)
        if version != SOCKS_VERSION:
            return None
        if NO_AUTHENTICATION not in methods:
            client.sendall(bytes([SOCKS_VERSION, NO_ACCEPTABLE_METHOD]))
            return None
        client.sendall(bytes([SOCKS_VERSION, NO_AUTHENTICATION]))

        version, command, _, address_type = self._receive(client, 4, give_up)
        if version != SOCKS_VERSION:
            return None
        if address_type == ATYP_IPV4:
            host = str(ipaddress.IPv4Address(self._receive(client, 4, give_up)))
        elif address_type == ATYP_IPV6:
            host = str(ipaddress.IPv6Address(self._receive(client, 16, give_up)))
        elif address_type == ATYP_DOMAIN:
            (length,) = self._receive(client, 1, give_up)
            host = _normalise(self._receive(client, length, give_up).decode("ascii", "replace"))
        else:
            self._reply(client, REPLY_ADDRESS_TYPE_NOT_SUPPORTED)
            return None
        port = int.from_bytes(self._receive(client, 2, give_up), "big")
        if command != CONNECT:
            self._reply(client, REPLY_COMMAND_NOT_SUPPORTED)
            return None

        with self._lock:
            self.connections.append((host, port))
        try:
            upstream = self._connect(host, port)
        except EgressRefused as refusal:
            self._record(str(refusal))
            self._reply(client, REPLY_NOT_ALLOWED)
            return None
        except _Cut:
            self._reply(client, REPLY_NOT_ALLOWED)
            return None
        except ConnectionRefusedError:
            self._reply(client, REPLY_CONNECTION_REFUSED)
            return None
        except (OSError, ValueError):  # no address, unreachable, timed out, a name the resolver cannot encode
            self._reply(client, REPLY_HOST_UNREACHABLE)
            return None
        try:
            self._reply(client, REPLY_SUCCEEDED)
        except OSError:
            upstream.close()
            raise
        return upstream

    def _receive(self, sock: socket.socket, size: int, give_up: float) -> bytes:
        """Exactly size bytes of the handshake from sock, received before give_up."""
        data = b""
        while len(data) < size:
            if self._closed.is_set():
                raise _Cut("closed")
            if time.monotonic() > give_up:
                raise TimeoutError("The SOCKS client took too long.")
            try:
                chunk = sock.recv(size - len(data))
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionAbortedError("The SOCKS client closed the connection.")
            data += chunk
        return data

    @staticmethod
    def _reply(client: socket.socket, code: int) -> None:
        # The bound address is reported as 0.0.0.0:0; clients have no use for it here.
        client.sendall(bytes([SOCKS_VERSION, code, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0]))

    def _connect(self, host: str, port: int) -> socket.socket:
        """Check host and all its addresses, then connect to the first checked address that answers."""
        self._check_alive()
        if not self.rules.allows(host):
            raise _not_allowed(host, self.rules)
        if _is_ip(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            addresses = [(family, (host, port))]
        else:
            addresses = [(info[0], info[4]) for info in self.resolver(host, port, type=socket.SOCK_STREAM)]
        for _, sockaddr in addresses:
            check_address(host, sockaddr[0], self.rules)
        error = OSError(f'The host "{host}" has no addresses.')
        for family, sockaddr in addresses:
            try:
                return self._connect_to(family, sockaddr)
            except OSError as failure:
                error = failure
        raise error

    def _connect_to(self, family: int, sockaddr: tuple) -> socket.socket:
        """A socket connected to sockaddr, polling so that close() and the deadline are honoured."""
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(sockaddr)
            if code not in (0, errno.EINPROGRESS):
                raise OSError(code, os.strerror(code))
            give_up = time.monotonic() + self.connect_timeout
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while not selector.select(POLL_SECONDS):
                    self._check_alive()
                    if time.monotonic() > give_up:
                        raise TimeoutError(f"Connecting to {sockaddr[0]} timed out.")
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            sock.settimeout(POLL_SECONDS)
            return sock
        except BaseException:
            sock.close()
            raise

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until both directions have ended, counting what upstream sends."""
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while selector.get_map():
                self._check_alive()
                for key, _ in selector.select(POLL_SECONDS):
                    source, target = key.fileobj, key.data
                    data = source.recv(BUFFER_SIZE)
                    if source is upstream:
                        self._count(len(data))
                    if data:
                        self._send_all(target, data)
                    else:  # end of data from source: pass it on, keep relaying the other way
                        selector.unregister(source)
                        target.shutdown(socket.SHUT_WR)

    def _send_all(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._check_alive()
            try:
                sent = sock.send(view)
            except TimeoutError:
                continue
            view = view[sent:]
