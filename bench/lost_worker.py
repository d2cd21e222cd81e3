"""How long a transcode stays stuck when its Celery worker dies as a whole, on the production topology.

    .venv/bin/python -m bench.lost_worker [--minutes 10] [--timeout 480] [--no-child-kill]

A worker killed as a whole (a crashed host, the OOM killer taking the main process) acknowledges
nothing and rejects nothing: its task stays unacknowledged in Redis, which hands it out again
only after the visibility timeout (over 25 minutes with the default settings). What brings the
row back sooner is core.jobs: the task stamps the row's heartbeat_at every JOB_HEARTBEAT_SECONDS,
and the beat job core.tasks.stalled_jobs_requeue, every minute, re-queues rows whose heartbeat is
older than JOB_STALLED_AFTER_SECONDS. This measures that path end to end, as processes:

    PostgreSQL + Redis      tests.stack.Stack, on 127.0.0.1, torn down at the end
    storage                 local files in a temporary DATA_DIR / MEDIA_ROOT
    worker 1, worker 2      celery -A config worker --queues default,audio,network --concurrency 2
    beat                    celery -A config beat --scheduler django_celery_beat.schedulers:DatabaseScheduler
    settings                config.settings, DJANGO_DEBUG=false, throttles off, CELERY_TASK_ALWAYS_EAGER=false

Scenario: migrate, create a DJ and a `processing` track whose original is an N-minute noise FLAC
in storage (queued_at=now), start worker 1 and beat, queue tracks.tasks.track_process,
wait until the row has started_at and ffmpeg runs under worker 1, then SIGKILL worker 1's whole
process group (main process, pool children, ffmpeg) and start worker 2 at once. Measured from the
kill: when the row was re-queued (the sweep stamps heartbeat_at; worker 2's log shows the task
received), when worker 2 started it, when the track was `ready`; and the transcode's own duration
(started_at to ready of the run that finished). Printed next to the bound the settings imply:
heartbeat + stale + one sweep period.

Then, unless --no-child-kill, the comparison from the same run: the same transcode queued again
and only the pool child doing it SIGKILLed (its main process lives). acks_late +
reject_on_worker_lost make the main process put the message back at once, so the row is picked
up again within seconds, without the sweep.

Exits non-zero when the track is not ready within --timeout seconds (8 minutes) of a kill.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import common
from bench.common import django_env
from core.processes import argv_dying_with_parent
from tests.stack import Stack

PROJECT_DIR = common.PROJECT_DIR
SAMPLE_RATE = 44100
FLAC_NAME = "Bench Artist - Lost Worker Noise.flac"
POLL_SECONDS = 0.25
START_TIMEOUT = 90.0
TASK = "tracks.tasks.track_process"
SWEEP_TASK = "core.tasks.stalled_jobs_requeue"

WORKER_ARGV = ["-m", "celery", "-A", "config", "worker", "--queues", "default,audio,network", "--concurrency", "2"]
BEAT_ARGV = ["-m", "celery", "-A", "config", "beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]


def project_env(stack_env: dict[str, str], data_dir: Path) -> dict[str, str]:
    # The workers' "received" and "re-queued" lines are read from their logs: INFO, and a real broker.
    return django_env(data_dir, stack_env, {"CELERY_TASK_ALWAYS_EAGER": "false", "LOG_LEVEL": "INFO"})


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_flac(path: Path, seconds: float) -> None:
    """Two sine tones under pink noise, stereo 16-bit FLAC (as bench/transcode_bench.py makes it)."""
    graph = (
        f"sine=f=220:r={SAMPLE_RATE}:d={seconds},volume=0.5[a];"
        f"sine=f=277.2:r={SAMPLE_RATE}:d={seconds},volume=0.5[b];"
        f"anoisesrc=c=pink:a=0.4:r={SAMPLE_RATE}:d={seconds}:seed=11[n1];"
        f"anoisesrc=c=pink:a=0.4:r={SAMPLE_RATE}:d={seconds}:seed=22[n2];"
        "[a][n1]amix=inputs=2[l];[b][n2]amix=inputs=2[r];"
        "[l][r]join=inputs=2:channel_layout=stereo[out]"
    )
    _ffmpeg("-filter_complex", graph, "-map", "[out]", "-sample_fmt", "s16", "-codec:a", "flac", str(path))


# --- processes -----------------------------------------------------------------------


class Proc:
    """A celery process in its own process group (killpg takes its pool children and ffmpeg too)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], work: Path):
        self.name = name
        self.log_path = work / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._read_at = 0
        self.proc = subprocess.Popen(
            argv_dying_with_parent([sys.executable, *argv], signal.SIGTERM),
            env=env,
            cwd=work,  # beat's and the worker's files (if any) go to the temp dir, not the project
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self.pid = self.proc.pid

    def new_lines(self) -> list[str]:
        """Log lines written since the last call (whole lines only)."""
        with open(self.log_path, "rb") as fh:
            fh.seek(self._read_at)
            data = fh.read()
        end = data.rfind(b"\n") + 1
        self._read_at += end
        return data[:end].decode(errors="replace").splitlines()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def killpg(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def stop(self, grace: float = 20.0) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(grace)
        finally:
            self.killpg()  # whatever is left of the group: the main process, pool children, ffmpeg
            if self.proc.poll() is None:
                self.proc.wait()
            self._log.close()


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, pgid, comm) of every live process (zombies left out), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if fields[0] not in ("Z", "X"):
            found[int(entry)] = (int(fields[1]), int(fields[2]), comm)
    return found


def ffmpeg_under(group: int) -> list[tuple[int, int]]:
    """(ffmpeg pid, its parent pid) for the ffmpeg processes of a process group."""
    return [(pid, ppid) for pid, (ppid, pgid, comm) in _processes().items() if pgid == group and comm == "ffmpeg"]


def group_members(group: int) -> list[int]:
    return [pid for pid, (_, pgid, _) in _processes().items() if pgid == group]


def wait_group_gone(group: int, timeout: float = 5.0) -> list[int]:
    """Members of the group still alive after `timeout` (SIGKILL is delivered asynchronously)."""
    deadline = time.monotonic() + timeout
    while (left := group_members(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def log_time(line: str) -> float | None:
    """The wall-clock time a log line starts with (the "line" formatter's asctime), or None."""
    try:
        stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    except ValueError:
        return None
    return stamp.timestamp()  # naive: local time, as logging wrote it


def start_worker(number: int, env: dict[str, str], work: Path) -> tuple[Proc, str]:
    hostname = f"lost-worker-{number}@{socket.gethostname()}"
    return Proc(f"worker{number}", [*WORKER_ARGV, "--hostname", hostname, "--loglevel", "INFO"], env, work), hostname


def wait_worker_ready(worker: Proc, hostname: str) -> float:
    """Seconds until the worker answers a ping by name."""
    from celery import current_app

    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"{worker.name} exited ({worker.proc.returncode}):\n{worker.log_tail()}")
        if current_app.control.ping(destination=[hostname], timeout=0.5):
            return time.monotonic() - started
    raise RuntimeError(f"{worker.name} did not answer a ping in {START_TIMEOUT:g}s:\n{worker.log_tail()}")


# --- the track (this process runs Django against the same services) -------------------


def setup_django(env: dict[str, str]) -> None:
    # This process becomes a Django process of the same services, with its own logging quiet.
    os.environ.clear()
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    common.setup_django()


def create_track(flac: Path) -> str:
    """A DJ and a `processing` track whose original is in storage, as the confirm leaves it."""
    track, _ = common.processing_track_from_file(flac, username="bench-lost-worker", file_name=FLAC_NAME)
    return str(track.pk)


def reset_track(track_id: str) -> None:
    """Back to `processing`, as freshly queued: the MP3 of the last run removed."""
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from tracks.models import Track

    track = Track.objects.get(pk=track_id)
    if track.mp3_key:
        default_storage.delete(track.mp3_key)
    Track.objects.filter(pk=track_id).update(
        status=Track.Status.PROCESSING,
        mp3_key="",
        error="",
        started_at=None,
        heartbeat_at=None,
        queued_at=timezone.now(),
    )


def row(track_id: str) -> dict:
    from tracks.models import Track

    return Track.objects.filter(pk=track_id).values("status", "error", "started_at", "heartbeat_at", "updated_at")[0]


def queue_transcode(track_id: str) -> None:
    from tracks.tasks import track_process

    track_process.delay(track_id)  # the track's original is stored: this run makes its MP3


def configured_figures() -> dict:
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask

    sweep = PeriodicTask.objects.select_related("interval").get(task=SWEEP_TASK)
    unit = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[sweep.interval.period]
    return {
        "heartbeat": settings.JOB_HEARTBEAT_SECONDS,
        "stale": settings.JOB_STALLED_AFTER_SECONDS,
        "sweep": sweep.interval.every * unit,
        "sweep_enabled": sweep.enabled,
        "visibility": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout"),
        "acks_late": settings.CELERY_TASK_ACKS_LATE,
        "reject_on_worker_lost": settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
        "database": "{} {}".format(settings.DATABASES["default"]["ENGINE"], settings.DATABASES["default"]["NAME"]),
        "storage": settings.STORAGES["default"]["BACKEND"],
        "media_root": str(settings.MEDIA_ROOT),
        "debug": settings.DEBUG,
        "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    }


# --- the scenario ----------------------------------------------------------------------


def wait_running(track_id: str, worker: Proc, since: float, timeout: float) -> tuple[dict, list[tuple[int, int]]]:
    """Wait until the row has started_at (after `since`, wall clock) and ffmpeg runs under the worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"{worker.name} exited ({worker.proc.returncode}):\n{worker.log_tail()}")
        current = row(track_id)
        if current["status"] != "processing":
            raise RuntimeError(f"the track ended {current['status']!r} before the kill: {current['error']}")
        if current["started_at"] and current["started_at"].timestamp() >= since:
            running = ffmpeg_under(worker.pid)
            if running:
                return current, running
        time.sleep(0.05)
    raise RuntimeError(f"the transcode did not start on {worker.name} in {timeout:g}s:\n{worker.log_tail()}")


class Watch:
    """Poll the row and the logs after a kill; record when each step was first seen (seconds from the kill)."""

    def __init__(self, track_id: str, kill_wall: float, kill_mono: float):
        self.track_id = track_id
        self.kill_wall = kill_wall
        self.kill_mono = kill_mono
        self.seen: dict[str, float] = {}
        self.sweeps: list[float] = []  # beat sending the sweep
        self.heartbeats: list[float] = []  # heartbeat_at values written after the kill, from the row
        self.final: dict | None = None

    def since_kill(self) -> float:
        return time.monotonic() - self.kill_mono

    def mark(self, key: str, at: float | None = None) -> None:
        if key not in self.seen:
            self.seen[key] = self.since_kill() if at is None else at

    def at_line(self, line: str) -> float:
        """Seconds from the kill to a log line: its own timestamp, else when it was read."""
        stamp = log_time(line)
        return self.since_kill() if stamp is None else stamp - self.kill_wall

    def run(self, timeout: float, logs: dict[str, Proc], last_heartbeat) -> bool:
        while self.since_kill() < timeout:
            for name, proc in logs.items():
                for line in proc.new_lines():
                    if (stamp := log_time(line)) is not None and stamp < self.kill_wall:
                        continue  # before the kill: the first delivery's lines
                    if name == "beat" and SWEEP_TASK in line and "Sending due task" in line:
                        self.sweeps.append(self.at_line(line))
                    elif name != "beat" and TASK in line and "received" in line:
                        self.mark(f"{name}: {TASK} received", self.at_line(line))
                    elif name != "beat" and "re-queued" in line and "stalled" in line:
                        self.mark(f"{name}: sweep re-queued the track (its log line)", self.at_line(line))
                    elif name != "beat" and "WorkerLostError" in line:
                        self.mark(f"{name}: WorkerLostError logged", self.at_line(line))
                    elif name != "beat" and line.rstrip().endswith("ready."):
                        self.mark(f"{name}: ready for tasks", self.at_line(line))
            current = row(self.track_id)
            beat = current["heartbeat_at"]
            if beat and beat != last_heartbeat:
                self.heartbeats.append(beat.timestamp() - self.kill_wall)
                last_heartbeat = beat
            if current["started_at"] and current["started_at"].timestamp() > self.kill_wall:
                self.mark("row started again (started_at)", current["started_at"].timestamp() - self.kill_wall)
            if current["status"] != "processing":
                self.final = current
                self.mark(f"row {current['status']}", current["updated_at"].timestamp() - self.kill_wall)
                return current["status"] == "ready"
            time.sleep(POLL_SECONDS)
        return False

    def report(self, indent: str = "  ") -> None:
        for key, seconds in sorted(self.seen.items(), key=lambda item: item[1]):
            print(f"{indent}{seconds:8.1f}s  {key}")
        if self.heartbeats:
            print(
                f"{indent}heartbeat_at values seen after the kill (s; the sweep's stamp, then the new run's): "
                + ", ".join(f"{s:.1f}" for s in self.heartbeats)
            )
        if self.sweeps:
            print(f"{indent}beat sent the sweep at (s): " + ", ".join(f"{s:.1f}" for s in self.sweeps))


def whole_worker_kill(
    track_id: str, env: dict, work: Path, procs: dict, worker: Proc, beat: Proc, timeout: float
) -> dict:
    since = time.time()
    queue_transcode(track_id)
    running_row, running = wait_running(track_id, worker, since, 60.0)
    time.sleep(2.0)  # a couple of seconds into ffmpeg: mid-way through the encode
    before = row(track_id)
    members = group_members(worker.pid)
    kill_wall, kill_mono = time.time(), time.monotonic()
    worker.killpg(signal.SIGKILL)
    worker2, hostname2 = start_worker(2, env, work)
    procs["worker2"] = worker2
    worker.proc.wait()
    left = [pid for pid in wait_group_gone(worker.pid) if pid in members]
    last_beat = before["heartbeat_at"]
    print(
        f"  killed worker 1's process group ({len(members)} processes: main {worker.pid}, pool children, "
        f"ffmpeg {running[0][0]}) {kill_wall - running_row['started_at'].timestamp():.1f}s after started_at; "
        f"last heartbeat {kill_wall - last_beat.timestamp():.1f}s before the kill; "
        f"{left or 'none'} left alive",
        flush=True,
    )
    print("  worker 2 started at once; waiting for the track ...", flush=True)
    watch = Watch(track_id, kill_wall, kill_mono)
    ok = watch.run(timeout, {"worker2": worker2, "beat": beat}, last_beat)
    watch.report()
    return {
        "ok": ok,
        "watch": watch,
        "last_beat_age": kill_wall - last_beat.timestamp(),
        "killed_after": kill_wall - running_row["started_at"].timestamp(),
        "worker2": worker2,
    }


def child_kill(track_id: str, worker: Proc, name: str, timeout: float) -> dict:
    reset_track(track_id)
    worker.new_lines()  # skip what it logged before
    since = time.time()
    queue_transcode(track_id)
    running_row, running = wait_running(track_id, worker, since, 60.0)
    time.sleep(2.0)
    ffmpeg_pid, child_pid = running[0]
    last_beat = row(track_id)["heartbeat_at"]
    kill_wall, kill_mono = time.time(), time.monotonic()
    os.kill(child_pid, signal.SIGKILL)
    print(
        f"  killed pool child {child_pid} of {name} (main {worker.pid} alive) "
        f"{kill_wall - running_row['started_at'].timestamp():.1f}s after started_at",
        flush=True,
    )
    time.sleep(1.0)
    orphan = ffmpeg_pid in _processes()
    watch = Watch(track_id, kill_wall, kill_mono)
    ok = watch.run(timeout, {name: worker}, last_beat)
    watch.report()
    print(
        f"  the killed child's ffmpeg ({ffmpeg_pid}) was "
        + ("still running, orphaned, 1s after the kill" if orphan else "gone 1s after the kill")
        + ("; still running once the track was ready" if ffmpeg_pid in _processes() else "")
    )
    return {"ok": ok, "watch": watch}


def run(args: argparse.Namespace) -> int:
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    print(f"{version}; source {args.minutes:g} min stereo {SAMPLE_RATE} Hz FLAC; {os.cpu_count()} CPUs", flush=True)
    work = Path(tempfile.mkdtemp(prefix="lost-worker-"))
    procs: dict[str, Proc] = {}
    try:
        with Stack(services=("postgres", "redis")) as stack:
            try:
                failed = scenario(args, stack, work, procs)
            finally:
                # Before the services go: a worker left without its broker takes long to give up.
                for proc in reversed(list(procs.values())):
                    with contextlib.suppress(Exception):
                        proc.stop()
                with contextlib.suppress(Exception):
                    from django.db import connections

                    connections.close_all()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


def scenario(args: argparse.Namespace, stack: Stack, work: Path, procs: dict[str, Proc]) -> bool:
    """The whole-worker kill, then the pool-child kill; True when a track was not ready in time."""
    failed = False
    started = time.monotonic()
    flac = work / "in.flac"
    make_flac(flac, args.minutes * 60)
    made = time.monotonic() - started
    env = project_env(stack.env, work / "data")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=PROJECT_DIR, check=True
    )
    migrated = time.monotonic() - started
    setup_django(env)
    figures = configured_figures()
    track_id = create_track(flac)
    print(
        f"setup: FLAC {flac.stat().st_size / 1e6:.1f} MB made in {made:.1f}s; migrated in {migrated:.1f}s; "
        f"track {track_id} processing, original in storage",
        flush=True,
    )
    print(
        f"  database {figures['database']} (PostgreSQL {stack.ports['postgres']}), Redis "
        f"{stack.ports['redis']}, storage {figures['storage']} at {figures['media_root']}; "
        f"DEBUG {figures['debug']}, eager {figures['eager']}",
        flush=True,
    )
    procs["beat"] = beat = Proc("beat", [*BEAT_ARGV, "--loglevel", "INFO"], env, work)
    procs["worker1"], hostname1 = start_worker(1, env, work)
    print(f"worker 1 answered a ping after {wait_worker_ready(procs['worker1'], hostname1):.1f}s", flush=True)

    print("\nwhole worker killed (SIGKILL to the process group of worker 1):", flush=True)
    whole = whole_worker_kill(track_id, env, work, procs, procs["worker1"], beat, args.timeout)
    watch = whole["watch"]
    final = watch.final or row(track_id)
    transcode = None
    if whole["ok"]:
        transcode = (final["updated_at"] - final["started_at"]).total_seconds()
    else:
        failed = True
        print(f"  NOT READY within {args.timeout:g}s of the kill (status {final['status']!r}: {final['error']})")

    child = None
    if args.child_kill and whole["ok"]:
        print("\npool child only killed (SIGKILL to the child running the task; worker 2's main process lives):")
        child = child_kill(track_id, whole["worker2"], "worker2", args.timeout)
        if not child["ok"]:
            failed = True
            print(f"  NOT READY within {args.timeout:g}s of the kill")

    report(figures, whole, transcode, child)
    return failed


def _first(seen: dict[str, float], *needles: str) -> float | None:
    hits = [seconds for key, seconds in seen.items() if all(needle in key for needle in needles)]
    return min(hits) if hits else None


def _fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.1f}s"


def report(figures: dict, whole: dict, transcode: float | None, child: dict | None) -> None:
    heartbeat, stale, sweep = figures["heartbeat"], figures["stale"], figures["sweep"]
    seen = whole["watch"].seen
    requeue_row = next((s for s in whole["watch"].heartbeats if s > 0), None)
    requeue_log = _first(seen, "worker2", "re-queued")
    requeued = requeue_log if requeue_log is not None else requeue_row
    received = _first(seen, "worker2", "received")
    ready = _first(seen, "row ready")
    bound = heartbeat + stale + sweep
    print("\nconfigured:")
    print(
        f"  JOB_HEARTBEAT_SECONDS {heartbeat}s, JOB_STALLED_AFTER_SECONDS {stale}s, "
        f"sweep ({SWEEP_TASK}) every {sweep}s{'' if figures['sweep_enabled'] else ' (DISABLED)'}"
    )
    print(
        f"  acks_late {figures['acks_late']}, reject_on_worker_lost {figures['reject_on_worker_lost']}, "
        f"Redis visibility_timeout {figures['visibility']}s (the broker's own redelivery of the lost task)"
    )
    print("\nwhole worker lost:")
    print(
        f"  transcode's own duration (started_at to ready, worker 2's run)  {_fmt(transcode)}; "
        f"worker 1 was killed {whole['killed_after']:.1f}s into its run"
    )
    print(
        f"  kill -> re-queued       {_fmt(requeued)} (the sweep's log line; row heartbeat_at first changed at "
        f"{_fmt(requeue_row)}); worker 2 received the task at {_fmt(received)}"
    )
    print(f"  kill -> ready           {_fmt(ready)}")
    print(
        f"  bound: heartbeat + stale + one sweep = {heartbeat} + {stale} + {sweep} = {bound}s to the re-queue, "
        f"{bound}s + the transcode{'' if transcode is None else f' = {bound + transcode:.0f}s'} to ready"
    )
    print(
        f"  (from this kill: last heartbeat {whole['last_beat_age']:.1f}s before it, so stale "
        f"{stale - whole['last_beat_age']:.1f}s after it, re-queued by the next sweep after that: "
        f"at most {stale - whole['last_beat_age'] + sweep:.1f}s)"
    )
    verdict = "within" if requeued is not None and requeued <= bound else "OUTSIDE"
    print(f"  re-queue {verdict} the bound")
    if child is not None:
        cseen = child["watch"].seen
        restarted = _first(cseen, "started again")
        cready = _first(cseen, "row ready")
        final = child["watch"].final
        ctranscode = (final["updated_at"] - final["started_at"]).total_seconds() if child["ok"] else None
        print(
            f"\ncomparison, pool child only: kill -> started again {_fmt(restarted)}, kill -> ready {_fmt(cready)} "
            f"(its transcode {_fmt(ctranscode)}); whole worker: kill -> ready {_fmt(ready)}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.lost_worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the FLAC in minutes (default 10)")
    parser.add_argument(
        "--timeout", type=float, default=480.0, help="seconds after a kill for the track to be ready (default 480)"
    )
    parser.add_argument(
        "--no-child-kill", dest="child_kill", action="store_false", help="skip the pool-child-only comparison"
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for tool in ("ffmpeg", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH")
    started = datetime.now().astimezone()
    try:
        code = run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; processes stopped, temporary files removed", file=sys.stderr)
        return 130
    print(f"\n{'FAILED' if code else 'done'} in {(datetime.now().astimezone() - started).total_seconds():.0f}s")
    return code


if __name__ == "__main__":
    sys.exit(main())
