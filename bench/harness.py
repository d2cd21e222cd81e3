"""Running a benchmark: its child processes and server, the load, the rounds, the exit.

Every process a benchmark starts dies with it (core.processes.argv_dying_with_parent), so a run
killed with SIGKILL leaves no gunicorn or Django child behind; SIGTERM unwinds like
Ctrl-C, through the blocks that stop servers and remove temporary files.

The code measured and its reference take turns, round after round, so a slower or busier
moment of the shared machine falls on both alike; each measurement is printed with the
CPU other processes took meanwhile (bench.machine.ForeignLoad).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench.common import PROJECT_DIR
from bench.machine import load_average, machine_line
from core.processes import argv_dying_with_parent
from tests.stack import free_port

Outcome = TypeVar("Outcome")


# --- child processes --------------------------------------------------------------------------


def run_python(env: dict[str, str], *args: str, check: bool = True, **options) -> subprocess.CompletedProcess:
    """`python *args` in the project directory with `env`; fails loudly unless check=False is given."""
    argv = [sys.executable, *args]
    completed = subprocess.run(
        argv_dying_with_parent(argv, signal.SIGTERM),
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        **options,
    )
    # The argv as asked, not its wrapper: run_benchmark prints a failed step's arguments.
    completed.args = argv
    if check:
        completed.check_returncode()
    return completed


def run_benchmark(run: Callable[[], None], *, interrupted: str) -> int:
    """The parent side of a benchmark: the machine line, `run()`, then the total time and load.

    `interrupted` is printed on Ctrl-C once the servers and files are gone (e.g. "servers stopped").
    """

    def exit_on_sigterm(signum, frame) -> None:
        # Unwind through the finally blocks so servers are stopped and temp files removed.
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_on_sigterm)
    started = time.monotonic()
    try:
        print(machine_line())
        run()
    except KeyboardInterrupt:
        print(f"\ninterrupted; {interrupted}", file=sys.stderr)
        return 130
    except subprocess.CalledProcessError as exc:  # the step has printed its own error already
        print("\na step failed (exit {}): {}".format(exc.returncode, " ".join(exc.cmd[1:])), file=sys.stderr)
        return 1
    print(f"\ntotal time {time.monotonic() - started:.0f}s, load(1/5/15m) at the end {load_average()}")
    return 0


# --- the server under load ----------------------------------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    # No proxy: loopback only, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Gunicorn:
    """The project under gunicorn (sync workers); a context manager that always stops it.

    Ready once `ready_path` answers; its log goes to `log_dir`, out of the report.
    """

    READY_TIMEOUT = 30.0

    def __init__(self, env: dict[str, str], log_dir: str, *, workers: int, ready_path: str):
        self.env = env
        self.workers = workers
        self.ready_path = ready_path
        self.port = free_port()
        self.log_path = os.path.join(log_dir, "gunicorn.log")
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self) -> Gunicorn:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        argv = [
            gunicorn,
            "config.wsgi:application",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:%d" % self.port,
        ]
        # Workers print warnings (e.g. WhiteNoise's missing staticfiles/) to
        # stderr: keep them with gunicorn's log, out of the report.
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv_dying_with_parent(argv, signal.SIGTERM),
                cwd=PROJECT_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C reaches the benchmark, which then stops
                # gunicorn in order instead of racing it.
                process_group=0,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                fetch(self.base_url + self.ready_path)
                return
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn not ready: {exc}\n{self.log_tail()}") from exc
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # graceful: the master stops its workers
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_lines(self) -> list[str]:
        try:
            return Path(self.log_path).read_text(errors="replace").splitlines()
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_lines()[-lines:])

    def problems(self) -> list[str]:
        """Errors, worker timeouts and tracebacks gunicorn logged: they void a measurement."""
        markers = ("[ERROR]", "[CRITICAL]", "Traceback")
        return [line for line in self.log_lines() if any(marker in line for marker in markers)]


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: str
    other_cpus: float = 0.0  # CPUs used outside the benchmark meanwhile, for the caller to fill in


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_LINE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS_LINE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_ERROR_LINES = re.compile(r"^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$", re.MULTILINE)


def parse_wrk(output: str) -> WrkResult:
    latencies = {pct: float(value) * _UNIT_MS[unit] for pct, value, unit in _LATENCY_LINE.findall(output)}
    rps = _RPS_LINE.search(output)
    if rps is None or set(latencies) != {"50", "99"}:
        raise RuntimeError("cannot parse wrk output:\n" + output)
    errors = "; ".join(line.strip() for line in _ERROR_LINES.findall(output))
    return WrkResult(float(rps.group(1)), latencies["50"], latencies["99"], errors)


def wrk(url: str, seconds: int, connections: int) -> WrkResult:
    """Load `url` with wrk (one thread, a separate process) for `seconds`."""
    argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency", url]
    completed = subprocess.run(argv, capture_output=True, text=True, check=True)
    return parse_wrk(completed.stdout)


# --- rounds -------------------------------------------------------------------------------------


def rotated(names: Sequence[str], round_index: int) -> list[str]:
    """`names` starting one further each round (0, 1, ...), so each goes first as often as the others."""
    start = round_index % len(names)
    return [*names[start:], *names[:start]]


def alternate(
    names: Sequence[str],
    rounds: int,
    measure: Callable[[str, int | None], Outcome],
    *,
    rotate: bool,
) -> dict[str, list[Outcome]]:
    """measure(name, None) once each as a warm-up, then measure(name, round) for rounds 1..`rounds`.

    The warm-up pays for the page cache and lazy imports, and is not counted. With `rotate`,
    the order turns every round (see rotated); otherwise it stays as given.
    """
    for name in names:
        measure(name, None)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in names}
    for number in range(1, rounds + 1):
        for name in rotated(names, number - 1) if rotate else names:
            outcomes[name].append(measure(name, number))
    return outcomes
