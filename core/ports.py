"""Is a host and port free to serve on? Standard library only.

`make run` runs this file with the system Python before anything else (no virtualenv yet), so a
busy port is reported in a second instead of after the install and the migrations; the `serve`
command checks again just before it starts the server.

    python3 core/ports.py HOST PORT   # exit 0 when free, else 2 and the reason on stderr
"""

from __future__ import annotations

import errno
import socket
import sys


def port_problem(host: str, port: str | int) -> str | None:
    """Why the server could not listen on host:port, in words; None when it can."""
    try:
        number = int(port)
    except (TypeError, ValueError):
        return f"PORT={port!r} is not a port number (1-65535)."
    if not 0 < number < 65536:
        return f"PORT={number} is not a port number (1-65535)."
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, number, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        return f"HOST={host!r} is not a name or address of this machine."
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"Port {number} on {host} is already in use (another server?). "
                    f"Stop it, or choose another port: make run PORT={_another(number)}"
                )
            if exc.errno == errno.EACCES:
                return f"Port {number} needs administrator rights; choose one above 1023: make run PORT=8000"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"HOST={host} is not an address of this machine (try 127.0.0.1, or 0.0.0.0 for every address)."
            return f"Cannot listen on {host}:{number}: {exc.strerror}."
    return None


def _another(port: int) -> int:
    return 8765 if port != 8765 else 8766


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python3 core/ports.py HOST PORT", file=sys.stderr)
        return 2
    problem = port_problem(argv[1], argv[2])
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
