"""What the machine is doing while a benchmark runs, read from /proc (Linux).

The machine is shared: a test run next door takes CPU from the code measured and from the
reference alike, so every benchmark prints the machine and its load, and the CPU other
processes took during each measurement ("other load"). A run with a high figure there is
not comparable with a quiet one. Also the peak memory of a program a benchmark starts.
"""

from __future__ import annotations

import os
import platform
import signal
import threading
import time
from pathlib import Path


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


# --- CPU taken by others --------------------------------------------------------------------


def process_stat(pid: int | str) -> tuple[str, int, int] | None:
    """(program name, parent pid, CPU ticks) of a process, its reaped children's included; None if gone.

    Reaped children count because PostgreSQL backends and gunicorn workers come
    and go (CONN_MAX_AGE, max-requests) and their time ends up in their parent's.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after its last ")".
    name = text[text.find("(") + 1 : text.rfind(")")]
    fields = text.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return name, int(fields[1]), utime + stime + cutime + cstime


def _tree_ticks(root: int) -> int:
    """CPU ticks of a process, of the children it reaped and of every live descendant."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = process_stat(entry)
            if stat is not None:
                stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    ticks = stats.get(root, ("", 0, 0))[2]
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        ticks += stats[pid][2]
        pending.extend(children.get(pid, []))
    return ticks


def _machine_ticks() -> tuple[int, int]:
    """(busy, steal) ticks of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = values[:8]
    # irq and softirq time (loopback traffic) belongs to no process: leave it out.
    return user + nice + system, steal


class ForeignLoad:
    """CPU used by processes outside the benchmark while a measurement runs.

    The benchmark is the process tree under `ours` (default: this process): its servers,
    its load generator and its children. A child that measures passes its parent, so
    PostgreSQL, started by the parent, counts as the benchmark's too.
    """

    def __init__(self, ours: int | None = None):
        self.ours = os.getpid() if ours is None else ours

    def __enter__(self) -> ForeignLoad:
        self.available = Path("/proc/stat").exists()
        self.cpus = self.steal = 0.0
        if self.available:
            self._start = (time.monotonic(), _tree_ticks(self.ours), *_machine_ticks())
        return self

    def __exit__(self, *exc_info) -> None:
        if not self.available or exc_info[0] is not None:
            return
        started, ours, busy, steal = self._start
        elapsed_ticks = (time.monotonic() - started) * os.sysconf("SC_CLK_TCK")
        now_busy, now_steal = _machine_ticks()
        self.cpus = max(0.0, (now_busy - busy - (_tree_ticks(self.ours) - ours)) / elapsed_ticks)
        self.steal = (now_steal - steal) / elapsed_ticks

    def describe(self) -> str:
        return "other load %.2f CPU, steal %.2f" % (self.cpus, self.steal)


# --- Peak memory of a program -----------------------------------------------------------------


class MemoryPeak:
    """Peak RSS of a program a process runs, read from /proc/<pid>/status (VmHWM) every 20 ms.

    RUSAGE_CHILDREN cannot give it: Linux carries the high-water mark of the memory a
    process had before exec over into the exec'd program's max RSS, so the ffmpeg of a
    Django worker "peaks" at no less than the worker's own size. VmHWM belongs to the
    memory of the exec'd program only, and as a high-water mark it only misses growth
    after the last sample. Give `pid` when it is known; otherwise the `program` child of
    `parent` (default: this process) is looked for in /proc (only until it is found).
    `program` is the name the kernel shows, cut to 15 characters ("ffmpeg").
    """

    INTERVAL = 0.02

    def __init__(self, program: str, *, pid: int | None = None, parent: int | None = None):
        self.program = program
        self.pid = pid
        self.parent = os.getpid() if parent is None else parent
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # Ctrl-C and SIGTERM go to the main thread, so they interrupt its wait for the program at once.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        pid = self.pid
        while True:
            if pid is None:
                pid = self._find()
            if pid is not None:
                high_water = self._high_water(pid)
                if high_water is None:  # gone, or a zombie without memory
                    if self.pid is not None:
                        return
                    pid = None
                else:
                    self.peak_kb = max(self.peak_kb, high_water)
            if self._stop.wait(self.INTERVAL):
                return

    def _find(self) -> int | None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            stat = process_stat(entry.name)
            if stat is not None and stat[0] == self.program and stat[1] == self.parent:
                return int(entry.name)
        return None

    def _high_water(self, pid: int) -> int | None:
        try:
            status = Path("/proc/%d/status" % pid).read_text()
        except OSError:
            return None
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        # Name is the program's after exec; before it, the forked Python's memory would be read.
        if fields.get("Name", "").strip() != self.program or "VmHWM" not in fields:
            return None
        return int(fields["VmHWM"].split()[0])
