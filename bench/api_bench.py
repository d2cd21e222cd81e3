"""Throughput of the song API against plain-Django references on the same server.

    .venv/bin/python -m bench.api_bench [--songs 10000] [--duration 10] [--rounds 2]

Starts throwaway PostgreSQL and Redis (tests.stack), migrates, seeds the songs,
serves the project with gunicorn (2 sync workers, production settings) and
loads it with wrk from a separate process over loopback. Measured:

    list    GET /api/chants/songs/?limit=100       (DRF)
    raw     GET /bench/songs-raw/?limit=100        (same page: COUNT(*) + one SQL query, JsonResponse)
    detail  GET /api/chants/songs/<id>/            (DRF)
    fixed   GET /bench/fixed/                      (fixed small JsonResponse)

Targets: list >= 50% of raw requests/s, detail >= 50% of fixed requests/s.
Missing a target is reported, not an error. Needs wrk, PostgreSQL and
redis-server on the machine.
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.common import PRODUCTION_ENV, clean_environment
from tests.stack import Stack, free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5
LIST_LIMIT = 100
WORKERS = 2
WARMUP_SECONDS = 2
READY_TIMEOUT = 30.0
# Above this much CPU taken by other processes, a run is flagged as disturbed.
DISTURBED_CPUS = 0.1


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: str
    other_cpus: float = 0.0  # CPUs used outside the benchmark meanwhile (ForeignLoad)


# --- machine --------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    # Printed before and after: other work on a shared machine skews absolute figures.
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine_line() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"machine: nproc={cpus} cpu={cpu_model()!r} python={platform.python_version()} load(1/5/15m)={load_average()}"
    )


def _proc_stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, CPU ticks) of a process and of its children it has reaped; None if gone.

    Reaped children count because PostgreSQL backends and gunicorn workers come
    and go (CONN_MAX_AGE, max-requests) and their time ends up in their parent's.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after its last ")".
    fields = text.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return int(fields[1]), utime + stime + cutime + cstime


def _our_ticks() -> int:
    """CPU ticks of this process, its reaped children (wrk) and every live descendant."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(entry)
            if stat is not None:
                stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    own = os.times()
    ticks = round((own.user + own.system + own.children_user + own.children_system) * os.sysconf("SC_CLK_TCK"))
    pending = list(children.get(os.getpid(), []))
    while pending:
        pid = pending.pop()
        ticks += stats[pid][1]
        pending.extend(children.get(pid, []))
    return ticks


def _machine_ticks() -> tuple[int, int]:
    """(busy, steal) ticks of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = values[:8]
    # irq and softirq time (loopback traffic) belongs to no process: leave it out.
    return user + nice + system, steal


class ForeignLoad:
    """CPU used by processes outside this benchmark while a measurement runs.

    The machine is shared: a test run next door takes CPU from gunicorn and
    from wrk alike, so runs with a high figure here are not comparable.
    """

    def __enter__(self) -> ForeignLoad:
        self.available = Path("/proc/stat").exists()
        if self.available:
            self._start = (time.monotonic(), _our_ticks(), *_machine_ticks())
        self.cpus = self.steal = 0.0
        return self

    def __exit__(self, *exc_info) -> None:
        if not self.available or exc_info[0] is not None:
            return
        started, ours, busy, steal = self._start
        elapsed_ticks = (time.monotonic() - started) * os.sysconf("SC_CLK_TCK")
        now_busy, now_steal = _machine_ticks()
        self.cpus = max(0.0, (now_busy - busy - (_our_ticks() - ours)) / elapsed_ticks)
        self.steal = (now_steal - steal) / elapsed_ticks


# --- child processes ------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
try:
    # Resolved before any fork: loading a library between fork and exec is unsafe.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_us():
    """preexec_fn: gunicorn gets SIGTERM if this script is killed without cleanup."""
    parent = os.getpid()

    def preexec() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        # This script may have died before prctl took effect.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _exit_on_sigterm(signum, frame) -> None:
    # Unwind through the finally blocks so gunicorn and the stack are stopped.
    raise SystemExit(128 + signum)


def run_django(env: dict[str, str], *args: str) -> None:
    """Run a Django command of this project in its own process, failing loudly."""
    subprocess.run([sys.executable, *args], cwd=PROJECT_DIR, env=env, check=True)


class Gunicorn:
    """The project under gunicorn; a context manager that always stops it."""

    def __init__(self, env: dict[str, str], log_dir: str):
        self.env = env
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
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            "127.0.0.1:%d" % self.port,
        ]
        # Workers print warnings (e.g. WhiteNoise's missing staticfiles/) to
        # stderr: keep them with gunicorn's log, out of the report.
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=PROJECT_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: Ctrl-C reaches this script, which then stops
                # gunicorn in order instead of racing it.
                process_group=0,
                preexec_fn=_die_with_us(),
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
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                fetch(self.base_url + "/bench/fixed/")
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


# --- seeding (runs in a child process with the Django settings) -----------------

_WORDS = [
    "allez",
    "paris",
    "ici",
    "c'est",
    "nous",
    "chantons",
    "ensemble",
    "toujours",
    "fidèles",
    "rouge",
    "bleu",
    "virage",
    "nord",
    "sud",
    "tribune",
    "victoire",
    "coeur",
    "ville",
    "nuit",
    "étoile",
    "forza",
    "olé",
    "campeones",
    "marseille",
    "lyon",
    "liberté",
    "gloire",
    "fierté",
    "drapeau",
    "hymne",
    "tambour",
    "stade",
    "légende",
]
_GENRES = ("chant", "anthem", "folk", "rock", "pop", "hip-hop", "")
_LANGUAGES = ("fr", "en", "es", "it", "pt", "de", "")


def _phrase(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high))).capitalize()


def seed(count: int) -> None:
    """Insert `count` songs: varied text, half with audio and artwork keys, lyrics on all."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from chants.models import Song

    rng = random.Random(1234)  # same catalogue on every run
    user, _ = get_user_model().objects.get_or_create(username="bench-curator")
    songs = []
    for number in range(count):
        with_assets = number % 2 == 0
        song_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        songs.append(
            Song(
                id=song_id,
                title="%s %d" % (_phrase(rng, 1, 5), number),
                artist=_phrase(rng, 1, 3),
                album=_phrase(rng, 1, 4) if number % 3 else "",
                genre=rng.choice(_GENRES),
                language=rng.choice(_LANGUAGES),
                duration_seconds=round(rng.uniform(30, 420), 3) if number % 5 else None,
                lyrics="\n".join(_phrase(rng, 4, 10) for _ in range(rng.randint(8, 30))),
                # Keys only: presigned URLs are signed without touching storage.
                audio="users/%d/chants/%s/audio/%032x-chant.mp3" % (user.pk, song_id, number) if with_assets else "",
                artwork="users/%d/chants/%s/artwork/%032x-cover.jpg" % (user.pk, song_id, number)
                if with_assets
                else "",
                created_by=user if number % 4 else None,
            )
        )
    with transaction.atomic():
        # The test stack runs with synchronous_commit=off, and VACUUM cannot mark
        # pages all-visible for rows of an asynchronous commit; this commit waits.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")
        Song.objects.all().delete()
        Song.objects.bulk_create(songs, batch_size=1000)
    with connection.cursor() as cursor:
        # A table in steady state, as autovacuum leaves it in production: planner
        # statistics and a visibility map, so COUNT(*) can use an index-only scan.
        cursor.execute(f"VACUUM (ANALYZE) {Song._meta.db_table}")


def detail_song_id() -> None:
    """Print the id of the song the detail endpoint is measured on (child process)."""
    import django

    django.setup()
    from chants.models import Song

    # A song with both assets: its detail signs two download URLs, the costly case.
    print(Song.objects.exclude(audio="").exclude(artwork="").order_by("title", "id").first().pk)


# --- HTTP checks ----------------------------------------------------------------


def fetch(url: str) -> tuple[int, bytes]:
    # No proxy: loopback only, whatever the environment says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check_endpoints(base_url: str, endpoints: dict[str, Endpoint]) -> None:
    """Fail before measuring if an endpoint is broken or the two lists disagree."""
    bodies = {}
    for endpoint in endpoints.values():
        status, body = fetch(base_url + endpoint.path)
        if status != 200:
            raise RuntimeError(f"{endpoint.path} answered {status}: {body[:300]}")
        bodies[endpoint.name] = json.loads(body)
    api, raw = bodies["list"], bodies["raw"]
    api_ids = [song["id"] for song in api["results"]]
    raw_ids = [song["id"] for song in raw["results"]]
    if api_ids != raw_ids or len(api_ids) != LIST_LIMIT:
        raise RuntimeError(
            "list and raw-SQL pages differ in ids or order (%d vs %d rows)" % (len(api_ids), len(raw_ids))
        )
    if api["count"] != raw["count"] or set(api) != set(raw):
        raise RuntimeError(
            "list and raw-SQL envelopes differ: {!r} vs {!r}".format(
                {k: api[k] for k in api if k != "results"}, {k: raw[k] for k in raw if k != "results"}
            )
        )
    same_rows = api["results"] == raw["results"]
    print(
        "check: all endpoints 200; list and raw-SQL: same %d ids in the same order, count=%d, "
        "rows identical field for field: %s" % (len(api_ids), api["count"], "yes" if same_rows else "NO")
    )
    if not same_rows:
        first = next(i for i, (a, r) in enumerate(zip(api["results"], raw["results"], strict=False)) if a != r)
        print(
            "  first differing row %d:\n    api %r\n    raw %r" % (first, api["results"][first], raw["results"][first])
        )
    print(
        "check: list body %d bytes, raw body %d bytes; detail song has audio and artwork "
        "(two signed download URLs): %s"
        % (
            len(json.dumps(api, separators=(",", ":"), ensure_ascii=False).encode()),
            len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()),
            "yes" if bodies["detail"]["audio_url"] and bodies["detail"]["artwork_url"] else "NO",
        )
    )


# --- load -----------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_LINE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS_LINE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_ERROR_LINES = re.compile(r"^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$", re.MULTILINE)


def parse_wrk(output: str) -> Result:
    latencies = {pct: float(value) * _UNIT_MS[unit] for pct, value, unit in _LATENCY_LINE.findall(output)}
    rps = _RPS_LINE.search(output)
    if rps is None or set(latencies) != {"50", "99"}:
        raise RuntimeError("cannot parse wrk output:\n" + output)
    errors = "; ".join(line.strip() for line in _ERROR_LINES.findall(output))
    return Result(float(rps.group(1)), latencies["50"], latencies["99"], errors)


def wrk(url: str, seconds: int, connections: int) -> Result:
    argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency", url]
    completed = subprocess.run(argv, capture_output=True, text=True, check=True)
    return parse_wrk(completed.stdout)


def measure(
    base_url: str, endpoints: list[Endpoint], rounds: int, seconds: int, connections: int
) -> dict[str, list[Result]]:
    """Alternate the endpoints round after round, so drift hits every one alike."""
    for endpoint in endpoints:
        wrk(base_url + endpoint.path, WARMUP_SECONDS, connections)
    results: dict[str, list[Result]] = {endpoint.name: [] for endpoint in endpoints}
    for number in range(1, rounds + 1):
        for endpoint in endpoints:
            with ForeignLoad() as foreign:
                result = wrk(base_url + endpoint.path, seconds, connections)
            result = dataclasses.replace(result, other_cpus=foreign.cpus)
            results[endpoint.name].append(result)
            print(
                "round %d  %-6s %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  other load %.2f CPU, steal %.2f%s"
                % (
                    number,
                    endpoint.name,
                    result.requests_per_s,
                    result.p50_ms,
                    result.p99_ms,
                    foreign.cpus,
                    foreign.steal,
                    ("  [" + result.errors + "]") if result.errors else "",
                ),
                flush=True,
            )
    return results


# --- report ---------------------------------------------------------------------


def best(results: list[Result]) -> Result:
    # The least disturbed run on a shared machine is the closest to the real cost.
    return max(results, key=lambda result: result.requests_per_s)


def report(results: dict[str, list[Result]], endpoints: dict[str, Endpoint]) -> None:
    rounds = len(results["list"])
    print()
    print("best of %d rounds:" % rounds)
    print("  %-6s %-56s %10s %10s %10s %12s" % ("", "endpoint", "req/s", "p50 ms", "p99 ms", "other load"))
    for name, runs in results.items():
        top = best(runs)
        print(
            "  %-6s %-56s %10.1f %10.2f %10.2f %8.2f CPU"
            % (name, endpoints[name].path, top.requests_per_s, top.p50_ms, top.p99_ms, top.other_cpus)
        )
    print()
    for measured, reference in (("list", "raw"), ("detail", "fixed")):
        ratio = best(results[measured]).requests_per_s / best(results[reference]).requests_per_s
        # Side by side runs of one round share the machine's state: a second view on drift.
        per_round = ", ".join(
            "%.1f%%" % (100 * m.requests_per_s / r.requests_per_s)
            for m, r in zip(results[measured], results[reference], strict=False)
        )
        verdict = "MET" if ratio >= TARGET_RATIO else "NOT MET"
        target = f"(target >= {TARGET_RATIO * 100:.0f}%: {verdict})"
        print(f"ratio {measured}/{reference} = {ratio * 100:.1f}%  {target}  per round: {per_round}")
    disturbed = max(best(runs).other_cpus for runs in results.values())
    if disturbed > DISTURBED_CPUS:
        print(
            f"warning: other processes used up to {disturbed:.2f} CPU during the best runs; "
            "absolute figures and ratios are skewed, rerun on a quiet machine"
        )


# --- main -----------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=10_000, help="songs in the catalogue (default 10000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    # Internal: the steps that need Django configured run in a child process.
    parser.add_argument("--child", choices=("seed", "detail-id"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.songs < LIST_LIMIT * 2:
        parser.error("--songs must be at least %d" % (LIST_LIMIT * 2))
    return args


def bench_env(stack_env: dict[str, str], data_dir: str) -> dict[str, str]:
    env = {
        **clean_environment(),
        **PRODUCTION_ENV,
        **stack_env,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATA_DIR": data_dir,
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")]))
    return env


def prepare_database(env: dict[str, str], songs: int) -> str:
    """Migrate, seed, and return the id of the song used for the detail endpoint."""
    started = time.monotonic()
    run_django(env, "manage.py", "migrate", "--noinput", "-v", "0")
    run_django(env, "-m", "bench.api_bench", "--child", "seed", "--songs", str(songs))
    song_id = subprocess.run(
        [sys.executable, "-m", "bench.api_bench", "--child", "detail-id"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print("setup: migrated and seeded %d songs in %.1fs" % (songs, time.monotonic() - started), flush=True)
    return song_id


def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found on PATH (apt-get install wrk)")
    print(machine_line())
    print(
        "config: %d songs, gunicorn %d sync workers, wrk -t1 -c%d -d%ds x %d rounds, list limit=%d"
        % (args.songs, WORKERS, args.connections, args.duration, args.rounds, LIST_LIMIT),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp, Stack(services=("postgres", "redis")) as stack:
        env = bench_env(stack.env, tmp)
        song_id = prepare_database(env, args.songs)
        endpoints = [
            Endpoint("list", "/api/chants/songs/?limit=%d" % LIST_LIMIT),
            Endpoint("raw", "/bench/songs-raw/?limit=%d" % LIST_LIMIT),
            Endpoint("detail", f"/api/chants/songs/{song_id}/"),
            Endpoint("fixed", "/bench/fixed/"),
        ]
        by_name = {endpoint.name: endpoint for endpoint in endpoints}
        with Gunicorn(env, tmp) as server:
            check_endpoints(server.base_url, by_name)
            results = measure(server.base_url, endpoints, args.rounds, args.duration, args.connections)
            problems = server.problems()
        report(results, by_name)
        if problems:
            print(
                "\nwarning: gunicorn logged %d problem lines, e.g.:\n  %s" % (len(problems), "\n  ".join(problems[:5]))
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "seed":
        seed(args.songs)
        return 0
    if args.child == "detail-id":
        detail_song_id()
        return 0
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.monotonic()
    try:
        run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    print(f"\ntotal time {time.monotonic() - started:.0f}s, load(1/5/15m) at the end {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
