"""Cost of mastering's audio analysis engine against ffmpeg's loudness meter, and of the similarity search.

    .venv/bin/python -m bench.analysis_bench [--rounds 5] [--long-minutes 30]

The audio is music-like and deterministic: 30 s of the first built-in generated reference
(mastering.generator.render: kick, snare, hats, bass, lead, mastered), tiled to length in
sections of different levels (a breakdown, a quieter verse), written as stereo 44.1 kHz
16-bit WAV files in a temporary directory: 2 seconds, 5 minutes and --long-minutes.
This process only starts the children and reports. Measured:

    time        the full analysis as a user runs it, `manage.py analyze_audio FILE --json` (a
                child process on the embedded default, temporary DATA_DIR), against
                `ffmpeg -nostats -i FILE -af ebur128=peak=true -f null -`, loudness and true
                peak only, on the same files; alternating, the order swapped every round.
                Start-up is taken out by subtracting each side's time on the 2-second file.
                Target: net project / net ffmpeg (medians) <= 1.5; aim 1.0. Also the CPU
                time of each (the engine uses two threads, ffmpeg's meter one) and a check
                of the engine's loudness against ffmpeg's.
    memory      peak RSS of the engine's own process (`python -c` importing
                mastering.analysis and calling analyze(path): no Django), of the manage.py
                command and of ffmpeg, on the 5-minute and the long file; os.wait4's rusage
                read in a small, fresh intermediate process per measurement, because Linux
                carries the RSS a process had before exec into the exec'd program's max RSS
                (see bench.machine.MemoryPeak). Targets: engine < 300 MB on 5 minutes; on the
                long file <= 1.5 x its 5-minute peak.
    similarity  mastering.similarity.VectorIndex over 100,000 random 128-dimensional float32
                vectors: build time, then top 10 for 200 queries (median and p95), and the
                API's path (mastering.selectors.similar_references: a genre mask selecting
                about 1/6 of the rows, then VectorIndex.top(..., mask=...): every row scored,
                the others dropped).
                Target: top 10 under 50 ms at p95; aim under 10 ms.

Missing a target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PROJECT_DIR, django_env
from bench.harness import alternate, run_benchmark, run_python
from bench.machine import ForeignLoad
from core.processes import argv_dying_with_parent

SAMPLE_RATE = 44100
SECTION_SECONDS = 30.0
# Level of each 30 s section, in turn: a song's shape (intro, drops, a verse, a breakdown).
SECTION_GAINS_DB = (-6.0, 0.0, 0.0, -3.0, -12.0, -8.0, 0.0, 0.0, -2.0, -4.0)
RAMP_SECONDS = 1.0  # a section's level glides from the previous one's
SHORT_SECONDS = 2.0
FIVE_MINUTES = 300.0

TARGET_TIME_RATIO, AIM_TIME_RATIO = 1.5, 1.0
TARGET_PEAK_MB = 300.0
TARGET_LONG_PEAK_RATIO = 1.5
TARGET_TOP_MS, AIM_TOP_MS = 50.0, 10.0

VECTORS = 100_000
DIMENSIONS = 128
QUERIES = 200
GENRES = ("house", "techno", "trance", "drum & bass", "dubstep", "psytrance")
ORACLE_QUERIES = 5
SEED = 20240501

FFMPEG_ARGV = ["ffmpeg", "-nostats", "-i", "{in}", "-af", "ebur128=peak=true", "-f", "null", "-"]
RESULT_PREFIX = "RESULT "

# The engine's own process: imports, then analyze() alone, timed from inside.
ENGINE_SCRIPT = """\
import json, sys, time
from mastering.analysis import analyze
started = time.perf_counter()
result = analyze(sys.argv[1])
print(json.dumps({"analyze_seconds": time.perf_counter() - started, "duration": result.file.duration_seconds}))
"""
IMPORT_SCRIPT = "import mastering.analysis"

# The intermediate process of a memory measurement: small (no numpy), fresh each time, so the
# program it starts inherits no large pre-exec high-water mark (started by vfork, the program's
# ru_maxrss counts the intermediate's own, about 12 MB, printed as intermediate_kb; every program
# measured peaks higher). Its arguments: the file the program's stderr goes to, then the
# program's argv. Prints one JSON line.
PEAK_SCRIPT = """\
import json, os, resource, signal, subprocess, sys, time
from core.processes import argv_dying_with_parent
with open(sys.argv[1], "wb") as log:
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv_dying_with_parent(sys.argv[2:], signal.SIGTERM),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({
    "seconds": elapsed,
    "exit": proc.returncode,
    "maxrss_kb": usage.ru_maxrss,
    "intermediate_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "stdout_tail": out[-2000:].decode(errors="replace"),
}))
"""


def _mb(kilobytes: float) -> str:
    return "%.1f MB" % (kilobytes / 1024)


def _verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def _emit(result: dict) -> None:
    """A child's answer: one JSON line on stdout, after whatever else it printed."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_child(env: dict[str, str], *args: str) -> dict:
    """Run `python -m bench.analysis_bench --child ...`; its stderr passes through."""
    completed = run_python(
        env, "-m", "bench.analysis_bench", "--child", *args, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = completed.stdout.splitlines()
    results = [line[len(RESULT_PREFIX) :] for line in lines if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        raise RuntimeError(f"child {args[0]} failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}")
    for line in lines:
        if not line.startswith(RESULT_PREFIX):
            print("  [child] " + line)
    return json.loads(results[-1])


# --- children -------------------------------------------------------------------------------------


def _write_music(path: Path, loop, seconds: float) -> None:
    """`loop` tiled to `seconds`, section by section at SECTION_GAINS_DB, as 16-bit PCM WAV."""
    import numpy as np
    import soundfile as sf

    frames = round(seconds * SAMPLE_RATE)
    ramp = min(round(RAMP_SECONDS * SAMPLE_RATE), len(loop))
    gains = [10 ** (db / 20) for db in SECTION_GAINS_DB]
    # Plain WAV stops at 4 GiB; RF64 (which the engine and ffmpeg both read) goes beyond.
    container = "RF64" if frames * 4 > 2**32 - 2**20 else "WAV"
    with sf.SoundFile(path, "w", SAMPLE_RATE, 2, "PCM_16", format=container) as out:
        start, section = 0, 0
        while start < frames:
            count = min(len(loop), frames - start)
            envelope = np.full(count, gains[section % len(gains)], dtype=np.float32)
            if section > 0:
                glide = min(ramp, count)
                envelope[:glide] = np.linspace(gains[(section - 1) % len(gains)], envelope[0], glide, dtype=np.float32)
            out.write(loop[:count] * envelope[:, None])
            start += count
            section += 1


def child_generate(work: Path, long_minutes: float) -> None:
    import numpy as np

    from mastering import generator

    spec = generator.BUILT_IN[0]
    started = time.perf_counter()
    loop = generator.render(spec, seconds=SECTION_SECONDS, sample_rate=SAMPLE_RATE)
    rendered = time.perf_counter() - started
    started = time.perf_counter()
    files = {}
    for name, seconds in (("short", SHORT_SECONDS), ("five", FIVE_MINUTES), ("long", long_minutes * 60)):
        path = work / f"{name}.wav"
        _write_music(path, loop, seconds)
        files[name] = {"path": str(path), "seconds": seconds, "bytes": path.stat().st_size}
    _emit(
        {
            "spec": f"{spec.name} ({spec.genre}, {spec.tempo:g} BPM, target {spec.target_lufs:g} LUFS)",
            "loop_peak": float(np.abs(loop).max()),
            "render_seconds": rendered,
            "write_seconds": time.perf_counter() - started,
            "files": files,
        }
    )


def _percentile(values: list[float], fraction: float) -> float:
    import numpy as np

    return float(np.percentile(values, 100 * fraction))


def child_similarity() -> None:
    import uuid

    import numpy as np

    from mastering.similarity import VectorIndex

    rng = np.random.default_rng(SEED)
    vectors = rng.standard_normal((VECTORS, DIMENSIONS), dtype=np.float32)
    keys = [uuid.UUID(bytes=rng.bytes(16)) for _ in range(VECTORS)]  # Reference ids are UUIDs
    # As mastering.selectors holds them: casefolded genre and owner per row, built-in flags.
    genres = np.array([GENRES[i] for i in rng.integers(0, len(GENRES), VECTORS)], dtype=object)
    owners = np.array([""] * VECTORS, dtype=object)
    built_in = np.ones(VECTORS, dtype=bool)
    rows_as_bytes = [row.tobytes() for row in vectors]  # the selector builds from the rows' bytes
    queries = rng.standard_normal((QUERIES, DIMENSIONS), dtype=np.float32)

    started = time.perf_counter()
    index = VectorIndex(keys, rows_as_bytes)
    build = time.perf_counter() - started
    del rows_as_bytes

    # The oracle: float64 cosine similarity and a full sort, over all rows or the rows given.
    unit = vectors.astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)

    def expected_top(query, rows=None) -> list:
        rows = np.arange(VECTORS) if rows is None else rows
        scores = unit[rows] @ (query.astype(np.float64) / np.linalg.norm(query))
        return [keys[rows[i]] for i in np.argsort(-scores)[:10]]

    agree = sum(
        [match.key for match in index.top(query, 10)] == expected_top(query) for query in queries[:ORACLE_QUERIES]
    )

    for query in queries[:10]:  # warm-up: caches, lazy paths
        index.top(query, 10)
    top_ms = []
    for query in queries:
        started = time.perf_counter()
        index.top(query, 10)
        top_ms.append(1000 * (time.perf_counter() - started))

    user_id = "42"
    parts = {"mask": [], "top": [], "total": []}
    selected, subset_agree = [], 0
    for number, query in enumerate(queries):
        genre = GENRES[number % len(GENRES)]
        t0 = time.perf_counter()
        # mastering.selectors.similar_references, step by step.
        visible = built_in | (owners == user_id)
        visible &= genres == genre
        rows = np.flatnonzero(visible)
        t1 = time.perf_counter()
        matches = index.top(query, 10, mask=visible)
        t3 = time.perf_counter()
        for name, seconds in (("mask", t1 - t0), ("top", t3 - t1), ("total", t3 - t0)):
            parts[name].append(1000 * seconds)
        selected.append(rows.size)
        if number < ORACLE_QUERIES:
            subset_agree += [match.key for match in matches] == expected_top(query, rows)

    _emit(
        {
            "build_seconds": build,
            "matrix_mb": index.matrix.nbytes / 2**20,
            "oracle_agree": agree,
            "subset_oracle_agree": subset_agree,
            "top_median_ms": statistics.median(top_ms),
            "top_p95_ms": _percentile(top_ms, 0.95),
            "top_max_ms": max(top_ms),
            "subset_rows_median": statistics.median(selected),
            "subset": {
                name: {"median": statistics.median(values), "p95": _percentile(values, 0.95)}
                for name, values in parts.items()
            },
        }
    )


# --- measuring (parent) ---------------------------------------------------------------------------


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], env: dict[str, str] | None) -> tuple[float, float, str, str]:
    """(seconds, CPU seconds, stdout, stderr) of `argv`; both sides start the same way (with a death signal).

    The CPU is the delta of RUSAGE_CHILDREN: this process runs one child at a time.
    """
    cpu = _cpu_of_children()
    started = time.perf_counter()
    completed = subprocess.run(
        argv_dying_with_parent(argv, signal.SIGTERM, env=env),
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    cpu = _cpu_of_children() - cpu
    if completed.returncode != 0:
        print(completed.stderr[-3000:], file=sys.stderr)
        raise subprocess.CalledProcessError(completed.returncode, argv)
    return elapsed, cpu, completed.stdout, completed.stderr


def project_argv(path: str) -> list[str]:
    return [sys.executable, "manage.py", "analyze_audio", path, "--json"]


def ffmpeg_argv(path: str) -> list[str]:
    return [part.replace("{in}", path) for part in FFMPEG_ARGV]


_SUMMARY = {
    "integrated_lufs": re.compile(r"^\s*I:\s+(-?[\d.]+|-inf) LUFS", re.MULTILINE),
    "loudness_range_lu": re.compile(r"^\s*LRA:\s+(-?[\d.]+) LU", re.MULTILINE),
    "true_peak_dbtp": re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf) dBFS", re.MULTILINE),
}


def parse_ebur128(stderr: str) -> dict[str, float]:
    summary = stderr[stderr.rfind("Summary:") :]
    found = {name: pattern.search(summary) for name, pattern in _SUMMARY.items()}
    if not all(found.values()):
        raise RuntimeError("cannot parse ffmpeg's ebur128 summary:\n" + summary[-1500:])
    return {name: float(match.group(1)) for name, match in found.items()}


def measure_time(env: dict[str, str], files: dict, rounds: int) -> tuple[dict[str, list], dict]:
    """Project and ffmpeg, alternating, each on the 2-second and then the 5-minute file."""
    outputs: dict = {}

    def one(kind: str, number: int | None) -> dict:
        result = {}
        with ForeignLoad() as foreign:
            for name in ("short", "five"):
                path = files[name]["path"]
                argv = project_argv(path) if kind == "project" else ffmpeg_argv(path)
                result[name], result[name + "_cpu"], stdout, stderr = _run(argv, env if kind == "project" else None)
                if name == "five":
                    outputs[kind] = stdout if kind == "project" else stderr
        result["net"] = result["five"] - result["short"]
        result["net_cpu"] = result["five_cpu"] - result["short_cpu"]
        result["other_cpus"] = foreign.cpus
        label = "warm-up" if number is None else "round %d" % number
        print(
            "%-8s %-8s 2 s file %6.3fs  5 min file %6.3fs  net %6.3fs (CPU %6.3fs)  %s"
            % (label, kind, result["short"], result["five"], result["net"], result["net_cpu"], foreign.describe()),
            flush=True,
        )
        return result

    # The warm-up of each pays for the page cache and the first imports (.pyc files).
    return alternate(("project", "ffmpeg"), rounds, one, rotate=True), outputs


def report_time(results: dict[str, list], outputs: dict, rounds: int) -> dict:
    project, ffmpeg = results["project"], results["ffmpeg"]

    def median(side: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in side)

    print()
    print("time, %d rounds each, alternating (medians; net = 5-minute file minus 2-second file):" % rounds)
    print("  %-46s %9s %9s %9s" % ("", "2 s file", "5 min", "net"))
    for label, side in (
        ("project  manage.py analyze_audio FILE --json", project),
        ("ffmpeg   ebur128=peak=true (loudness only)", ffmpeg),
    ):
        print(
            "  %-46s %8.3fs %8.3fs %8.3fs"
            % (label[:46], median(side, "short"), median(side, "five"), median(side, "net"))
        )
    print("           (ffmpeg argv: {})".format(" ".join(FFMPEG_ARGV).replace("{in}", "FILE")))
    raw = median(project, "five") / median(ffmpeg, "five")
    net = median(project, "net") / median(ffmpeg, "net")
    per_round = ", ".join("%.2f" % (p["net"] / f["net"]) for p, f in zip(project, ffmpeg, strict=True))
    print(
        f"  ratio project/ffmpeg, net  = {net:.2f}  (target <= {TARGET_TIME_RATIO:.1f}: "
        f"{_verdict(net <= TARGET_TIME_RATIO)}; aim <= {AIM_TIME_RATIO:.1f}: {_verdict(net <= AIM_TIME_RATIO)})"
        f"  per round: {per_round}"
    )
    print(
        f"  ratio project/ffmpeg, raw  = {raw:.2f}  (5-minute file, start-up included: Django and imports "
        f"{median(project, 'short'):.2f}s vs ffmpeg {median(ffmpeg, 'short'):.2f}s on the 2-second file)"
    )
    print(
        "  speed: project %.0fx real time net, ffmpeg %.0fx"
        % (FIVE_MINUTES / median(project, "net"), FIVE_MINUTES / median(ffmpeg, "net"))
    )
    cpu_ratio = median(project, "net_cpu") / median(ffmpeg, "net_cpu")
    print(
        "  CPU time (user + sys), net: project %.3fs, ffmpeg %.3fs = %.2f x; the engine runs on two threads, "
        "ffmpeg's meter on one, so on idle cores the wall ratio is below this and under load it comes near it"
        % (median(project, "net_cpu"), median(ffmpeg, "net_cpu"), cpu_ratio)
    )
    disturbed = max(r["other_cpus"] for r in project + ffmpeg)
    if disturbed > 0.1:
        print(f"  warning: other processes used up to {disturbed:.2f} CPU during a round; figures are skewed")

    # Output check: the engine's loudness against ffmpeg's, an independent BS.1770 meter, within
    # EBU Tech 3341/3342's tolerances (I 0.1 LU, LRA 1 LU, true peak 0.4 dB) plus ffmpeg's 0.1 rounding.
    ours = json.loads(outputs["project"])
    theirs = parse_ebur128(outputs["ffmpeg"])
    overall = ours["overall"]
    checks = []
    for name, tolerance in (("integrated_lufs", 0.15), ("loudness_range_lu", 1.05), ("true_peak_dbtp", 0.45)):
        value, reference = overall[name], theirs[name]
        close = value is not None and abs(value - reference) <= tolerance
        checks.append(close)
        print(
            "  check %-18s project %7.2f  ffmpeg %6.1f  %s (within %.2f)"
            % (name, value, reference, "agree" if close else "DISAGREE", tolerance)
        )
    info = ours["file"]
    print(
        "  check file: %.2f s, %s Hz, %s ch, %s %s; vector of %d; loudness series of %d points"
        % (
            info["duration_seconds"],
            info["sample_rate"],
            info["channels"],
            info["format"],
            info["subtype"],
            len(ours["vector"]),
            len(ours["loudness_series"]["momentary"]),
        )
    )
    return {"net_ratio": net, "raw_ratio": raw, "checks_ok": all(checks)}


def measure_peak(env: dict[str, str], work: Path, label: str, argv: list[str]) -> dict:
    """One memory measurement: `argv` started by a fresh, small intermediate process."""
    log = work / "peak-stderr.log"
    with ForeignLoad() as foreign:
        completed = run_python(env, "-c", PEAK_SCRIPT, str(log), *argv, stdout=subprocess.PIPE, text=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    if result["exit"] != 0:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise RuntimeError(f"{label} failed (exit {result['exit']}): {' '.join(argv)}")
    print(
        "  %-30s max RSS %9s  %7.2fs  %s" % (label, _mb(result["maxrss_kb"]), result["seconds"], foreign.describe()),
        flush=True,
    )
    return result


def measure_memory(env: dict[str, str], work: Path, files: dict, long_label: str) -> dict[str, dict]:
    print()
    print("memory (max RSS of the process, os.wait4 in a fresh intermediate process; one run each):", flush=True)
    python = sys.executable
    runs = {
        "imports": ("engine: imports only", [python, "-c", IMPORT_SCRIPT]),
        "engine_short": ("engine: 2 s file", [python, "-c", ENGINE_SCRIPT, files["short"]["path"]]),
        "five": ("engine: 5 min file", [python, "-c", ENGINE_SCRIPT, files["five"]["path"]]),
        "long": (f"engine: {long_label} file", [python, "-c", ENGINE_SCRIPT, files["long"]["path"]]),
        "manage_five": ("manage.py: 5 min file", project_argv(files["five"]["path"])),
        "manage_long": (f"manage.py: {long_label} file", project_argv(files["long"]["path"])),
        "ffmpeg_five": ("ffmpeg ebur128: 5 min file", ffmpeg_argv(files["five"]["path"])),
        "ffmpeg_long": (f"ffmpeg ebur128: {long_label} file", ffmpeg_argv(files["long"]["path"])),
    }
    return {key: measure_peak(env, work, label, argv) for key, (label, argv) in runs.items()}


def report_memory(peaks: dict[str, dict], long_label: str, long_seconds: float) -> dict:
    five, long = peaks["five"]["maxrss_kb"], peaks["long"]["maxrss_kb"]
    imports = peaks["imports"]["maxrss_kb"]
    floor = max(r["intermediate_kb"] for r in peaks.values())
    five_met = five / 1024 < TARGET_PEAK_MB
    growth = long / five
    print(
        f"  engine peak, 5 min   {_mb(five)}  (target < {TARGET_PEAK_MB:.0f} MB: {_verdict(five_met)}); "
        f"{_mb(five - imports)} above its imports ({_mb(imports)})"
    )
    print(
        f"  engine peak, {long_label:7} {_mb(long)}  = {growth:.2f} x the 5-minute peak "
        f"(target <= {TARGET_LONG_PEAK_RATIO:.1f} x: {_verdict(growth <= TARGET_LONG_PEAK_RATIO)})"
    )
    manage_five, manage_long = peaks["manage_five"]["maxrss_kb"], peaks["manage_long"]["maxrss_kb"]
    print(
        f"  manage.py peak       {_mb(manage_five)} on 5 min, {_mb(manage_long)} on {long_label} "
        f"({manage_long / manage_five:.2f} x; Django start-up and the JSON output included)"
    )
    print(
        "  ffmpeg peak          {} on 5 min, {} on {}".format(
            _mb(peaks["ffmpeg_five"]["maxrss_kb"]), _mb(peaks["ffmpeg_long"]["maxrss_kb"]), long_label
        )
    )
    print(f"  (floor: the intermediate process had at most {_mb(floor)}, the most a child can inherit)")
    engine = {key: json.loads(peaks[key]["stdout_tail"].strip().splitlines()[-1]) for key in ("five", "long")}
    five_s, long_s = (engine[key]["analyze_seconds"] for key in ("five", "long"))
    manage_s, ffmpeg_s = peaks["manage_long"]["seconds"], peaks["ffmpeg_long"]["seconds"]
    print(
        f"  single runs, {long_label} file: analyze() in-process {long_s:.2f}s "
        f"({long_seconds / long_s:.0f}x real time; 5 min {five_s:.2f}s, {FIVE_MINUTES / five_s:.0f}x); "
        f"manage.py {manage_s:.2f}s vs ffmpeg {ffmpeg_s:.2f}s = {manage_s / ffmpeg_s:.2f} x"
    )
    return {"five_met": five_met, "growth": growth}


def report_similarity(result: dict) -> dict:
    print()
    print(
        "similarity: VectorIndex of %d random %d-dim float32 vectors (%.0f MB normalised), %d queries"
        % (VECTORS, DIMENSIONS, result["matrix_mb"], QUERIES)
    )
    print("  build from the rows' bytes, as the selector does: %.3fs" % result["build_seconds"])
    print(
        "  top 10 (whole index)   median %6.2f ms  p95 %6.2f ms  max %6.2f ms"
        % (result["top_median_ms"], result["top_p95_ms"], result["top_max_ms"])
    )
    subset = result["subset"]
    print(
        "  API path (genre mask, ~%d rows = 1/%d)  median %6.2f ms  p95 %6.2f ms;  medians: mask %.2f ms, "
        "top %.2f ms"
        % (
            result["subset_rows_median"],
            round(VECTORS / result["subset_rows_median"]),
            subset["total"]["median"],
            subset["total"]["p95"],
            subset["mask"]["median"],
            subset["top"]["median"],
        )
    )
    print(
        "  check: top 10 equal to a float64 full sort on %d of %d queries (whole index), %d of %d (API path)"
        % (result["oracle_agree"], ORACLE_QUERIES, result["subset_oracle_agree"], ORACLE_QUERIES)
    )
    whole, api = result["top_p95_ms"], subset["total"]["p95"]
    for label, p95 in (("top 10, whole index", whole), ("API path", api)):
        print(
            f"  {label:20} p95 {p95:6.2f} ms  (target < {TARGET_TOP_MS:.0f} ms: {_verdict(p95 < TARGET_TOP_MS)}; "
            f"aim < {AIM_TOP_MS:.0f} ms: {_verdict(p95 < AIM_TOP_MS)})"
        )
    return {"whole": whole, "api": api}


def run(args: argparse.Namespace) -> None:
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    long_label = "%g min" % args.long_minutes
    print(
        "%s; %d rounds; stereo %d Hz 16-bit WAV files of 2 s, 5 min and %s"
        % (version, args.rounds, SAMPLE_RATE, long_label),
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="analysis-bench-"))
    try:
        env = django_env(work / "data")  # the embedded default, nothing kept
        made = run_child(env, "generate", "--work", str(work), "--long-minutes", str(args.long_minutes))
        files = made["files"]
        print(
            "source: %s, 30 s rendered in %.1fs (peak %.3f), tiled in sections of %s dB; written in %.1fs: %s"
            % (
                made["spec"],
                made["render_seconds"],
                made["loop_peak"],
                "/".join("%g" % db for db in SECTION_GAINS_DB),
                made["write_seconds"],
                ", ".join("%s %.1f MB" % (name, f["bytes"] / 1e6) for name, f in files.items()),
            ),
            flush=True,
        )
        results, outputs = measure_time(env, files, args.rounds)
        timing = report_time(results, outputs, args.rounds)
        memory = report_memory(measure_memory(env, work, files, long_label), long_label, args.long_minutes * 60)
        similarity = report_similarity(run_child(env, "similarity"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("targets:")
    rows = [
        (
            f"analysis net time <= {TARGET_TIME_RATIO:.1f} x ffmpeg ebur128",
            f"{timing['net_ratio']:.2f} x",
            timing["net_ratio"] <= TARGET_TIME_RATIO,
        ),
        (f"  aim <= {AIM_TIME_RATIO:.1f} x", f"{timing['net_ratio']:.2f} x", timing["net_ratio"] <= AIM_TIME_RATIO),
        (f"engine peak, 5 min < {TARGET_PEAK_MB:.0f} MB", "", memory["five_met"]),
        (
            f"engine peak, {long_label} <= {TARGET_LONG_PEAK_RATIO:.1f} x 5 min",
            f"{memory['growth']:.2f} x",
            memory["growth"] <= TARGET_LONG_PEAK_RATIO,
        ),
        (
            f"similarity top 10 p95 < {TARGET_TOP_MS:.0f} ms",
            f"{similarity['whole']:.2f} ms",
            similarity["whole"] < TARGET_TOP_MS,
        ),
        (f"  aim < {AIM_TOP_MS:.0f} ms", f"{similarity['whole']:.2f} ms", similarity["whole"] < AIM_TOP_MS),
        (
            f"API path (mask, top 10) p95 < {TARGET_TOP_MS:.0f} ms",
            f"{similarity['api']:.2f} ms",
            similarity["api"] < TARGET_TOP_MS,
        ),
        (f"  aim < {AIM_TOP_MS:.0f} ms", f"{similarity['api']:.2f} ms", similarity["api"] < AIM_TOP_MS),
    ]
    for label, figure, met in rows:
        print(f"  {label:48} {figure:>10}  {_verdict(met)}")
    if not timing["checks_ok"]:
        print("  warning: the engine's loudness disagrees with ffmpeg's (see the checks above)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.analysis_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument(
        "--long-minutes", type=float, default=30.0, help="length of the long file in minutes (default 30)"
    )
    # Internal: the steps that need numpy run in child processes, so this one stays small.
    parser.add_argument("--child", choices=("generate", "similarity"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.long_minutes <= FIVE_MINUTES / 60:
        parser.error("--long-minutes must be more than 5")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "generate":
        child_generate(args.work, args.long_minutes)
        return 0
    if args.child == "similarity":
        child_similarity()
        return 0
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg not found on PATH")
    return run_benchmark(lambda: run(args), interrupted="temporary files removed")


if __name__ == "__main__":
    sys.exit(main())
