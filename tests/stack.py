"""Throwaway backing services (PostgreSQL, Redis, S3) for tests and benchmarks.

    with Stack(services=("postgres", "redis", "s3")) as stack:
        subprocess.run(cmd, env={**os.environ, **stack.env})

    python -m tests.stack [--services postgres,redis,s3] -- CMD ARGS...

Every server listens on a free 127.0.0.1 port, keeps its data and log in one
temporary directory, and is torn down on exit. Servers also die with the
process that started them (PR_SET_PDEATHSIG, see core.processes), so a harness
killed with SIGKILL does not leave daemons behind; only its temp directory remains.

Linux only: relies on prctl, the postgres system account and Debian's
/usr/lib/postgresql/<version>/bin layout (falling back to PATH).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from core.processes import argv_dying_with_parent

SERVICES = ("postgres", "redis", "s3")
DEFAULT_BUCKET = "music-test"


class StackError(RuntimeError):
    """A service failed to start."""


def free_port() -> int:
    # The port is released again before the server binds it; another process
    # could grab it in between, which is rare enough for a test harness.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


class _Server:
    def __init__(self, name: str, proc: subprocess.Popen, log_path: str, log, stop_signal: int):
        self.name = name
        self.proc = proc
        self.log_path = log_path
        self.log = log
        self.stop_signal = stop_signal

    def stop(self, grace: float = 10.0) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(self.stop_signal)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(grace)
        finally:
            # Also reached when the graceful wait is interrupted (Ctrl-C).
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


class Stack:
    """Start the chosen services; `env` then holds the settings the project reads."""

    def __init__(
        self,
        services=SERVICES,
        *,
        bucket: str = DEFAULT_BUCKET,
        timeout: float = 30.0,
        verbose: bool = False,
    ):
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            raise ValueError(f"unknown service(s) {unknown}; choose from {SERVICES}")
        self.services = tuple(dict.fromkeys(services))
        self.bucket = bucket
        self.timeout = timeout
        self.verbose = verbose
        self.env: dict[str, str] = {}
        self.ports: dict[str, int] = {}
        self.tmpdir: str | None = None
        self._servers: list[_Server] = []

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> Stack:
        self.tmpdir = tempfile.mkdtemp(prefix="stack-")
        try:
            for name in self.services:
                getattr(self, f"_start_{name}")()
        except BaseException:
            # __exit__ never runs when __enter__ fails, so undo a partial start here.
            self.stop()
            raise
        return self

    def stop(self) -> None:
        first_error = None
        while self._servers:
            try:
                self._servers.pop().stop()
            except BaseException as exc:  # noqa: BLE001 - keep stopping the others; re-raised below
                first_error = first_error or exc
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        if first_error is not None:
            raise first_error

    # -- helpers -----------------------------------------------------------

    def _log_path(self, name: str) -> str:
        return os.path.join(self.tmpdir, f"{name}.log")

    def _spawn(self, name: str, argv: list[str], *, stop_signal=signal.SIGTERM, **kwargs) -> _Server:
        log_path = self._log_path(name)
        log = open(log_path, "ab")  # noqa: SIM115 - the _Server owns it and closes it when the server stops
        try:
            proc = subprocess.Popen(
                argv_dying_with_parent(argv, stop_signal),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: a terminal Ctrl-C goes to the command under
                # test only, and the servers outlive it until we stop them.
                process_group=0,
                **kwargs,
            )
        except BaseException:
            log.close()
            raise
        server = _Server(name, proc, log_path, log, stop_signal)
        self._servers.append(server)
        return server

    def _wait_until(self, server: _Server, ready, what: str):
        """Retry `ready()` until it stops raising; return its result."""
        deadline = time.monotonic() + self.timeout
        while True:
            if server.proc.poll() is not None:
                raise StackError(
                    f"{server.name} exited with code {server.proc.returncode} before {what}; "
                    f"log tail:\n{_tail(server.log_path)}"
                )
            try:
                return ready()
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{server.name} not {what} after {self.timeout:g}s ({exc}); log tail:\n{_tail(server.log_path)}"
                    ) from exc
            time.sleep(0.1)

    def _started(self, name: str, port: int) -> None:
        self.ports[name] = port
        if self.verbose:
            print(f"stack: {name} on 127.0.0.1:{port}", file=sys.stderr, flush=True)

    # -- services ----------------------------------------------------------

    def _start_postgres(self) -> None:
        import psycopg  # only needed for this service

        initdb, postgres = _postgres_binaries()
        pgdir = tempfile.mkdtemp(prefix="pg-", dir=self.tmpdir)
        datadir = os.path.join(pgdir, "data")
        as_user = {}
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            account = _postgres_account()
            os.chmod(self.tmpdir, 0o711)  # let the account reach its directory
            os.chown(pgdir, account.pw_uid, account.pw_gid)
            as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

        initdb_log = self._log_path("initdb")
        # --no-locale: identical collation whatever the host's locale.
        initdb_argv = [
            initdb,
            "-D",
            datadir,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
        with open(initdb_log, "ab") as log:
            try:
                returncode = subprocess.run(
                    argv_dying_with_parent(initdb_argv, signal.SIGTERM),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=pgdir,
                    timeout=self.timeout,
                    **as_user,
                ).returncode
            except subprocess.TimeoutExpired:
                returncode = f"timed out after {self.timeout:g}s"
        if returncode:
            raise StackError(f"initdb failed ({returncode}); log tail:\n{_tail(initdb_log)}")

        port = free_port()
        server = self._spawn(
            "postgres",
            [
                postgres,
                "-D",
                datadir,
                "-p",
                str(port),
                "-k",
                pgdir,
                "-c",
                "listen_addresses=127.0.0.1",
                # Durability is worthless for throwaway data; speed is not.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM would wait for clients
            cwd=pgdir,
            **as_user,
        )
        conn = self._wait_until(
            server,
            lambda: psycopg.connect(
                host="127.0.0.1",
                port=port,
                user="postgres",
                dbname="postgres",
                connect_timeout=2,
                autocommit=True,
            ),
            "accepting connections",
        )
        with conn:
            conn.execute("CREATE DATABASE app")
        self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/app"
        self._started("postgres", port)

    def _start_redis(self) -> None:
        redis_server = shutil.which("redis-server")
        if not redis_server:
            raise StackError("redis-server not found on PATH")
        port = free_port()
        server = self._spawn(
            "redis",
            [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        )

        def ping() -> None:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
                if not reply.startswith(b"+PONG"):
                    raise StackError(f"unexpected PING reply {reply!r}")

        self._wait_until(server, ping, "answering PING")
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        self._started("redis", port)

    def _start_s3(self) -> None:
        import boto3  # slow to import; skip it when S3 is not wanted

        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server = self._spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        # A proxy from the environment must not intercept loopback requests.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def answers() -> None:
            with contextlib.suppress(urllib.error.HTTPError):  # any HTTP status proves the server is up
                opener.open(endpoint + "/", timeout=1).close()

        self._wait_until(server, answers, "answering HTTP")
        settings = {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_S3_REGION_NAME": "us-east-1",
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=settings["AWS_S3_REGION_NAME"],
            aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=self.bucket)
        self.env.update(settings)
        self._started("s3", port)


def _postgres_binaries() -> tuple[str, str]:
    """(initdb, postgres) of the newest installed PostgreSQL."""

    def version(bindir: str) -> tuple[int, ...]:
        name = os.path.basename(os.path.dirname(bindir))
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates = [
        d
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "postgres"), os.X_OK)
    ]
    if candidates:
        bindir = max(candidates, key=version)
        return os.path.join(bindir, "initdb"), os.path.join(bindir, "postgres")
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb and postgres:
        return initdb, postgres
    raise StackError("PostgreSQL not found in /usr/lib/postgresql/*/bin or on PATH")


def _postgres_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        return pwd.getpwnam("postgres")


def _exit_on_signal(signum, frame):
    # Unwinds through Stack.__exit__ so servers stop and temp files go away.
    raise SystemExit(128 + signum)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.stack",
        description="Run a command against throwaway PostgreSQL, Redis and S3 servers.",
    )
    parser.add_argument(
        "--services",
        default=",".join(SERVICES),
        help=f"comma-separated subset of {','.join(SERVICES)} (default: all)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = parser.parse_args(argv)

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given; usage: python -m tests.stack [--services ...] -- CMD ARGS...")
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}")

    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        with Stack(services, verbose=True) as stack:
            try:
                env = {**os.environ, **stack.env}
                # The command is pointless once its servers are gone.
                proc = subprocess.Popen(argv_dying_with_parent(command, signal.SIGTERM, env=env), env=env)
            except OSError as exc:
                print(f"stack: cannot run {command[0]}: {exc}", file=sys.stderr)
                return 127

            # The command decides how to react to signals; the stack is only
            # torn down once it has exited.
            def forward(signum, frame):
                proc.send_signal(signum)

            signal.signal(signal.SIGINT, forward)
            signal.signal(signal.SIGTERM, forward)
            try:
                returncode = proc.wait()
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, _exit_on_signal)
    except KeyboardInterrupt:
        return 130
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    # Shell convention for a command killed by a signal.
    return returncode if returncode >= 0 else 128 - returncode


if __name__ == "__main__":
    sys.exit(main())
