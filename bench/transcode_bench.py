"""Cost of the track library's transcode and upload confirm, against bare ffmpeg.

    .venv/bin/python -m bench.transcode_bench [--rounds 5] [--minutes 5] [--confirm-files 500]

Runs on the embedded default (SQLite and local files in a temporary DATA_DIR,
tasks queued to the file-system broker, as a web process queues them; no
DATABASE_URL, REDIS_URL or AWS_* even if set outside), in
child processes with the project's settings; this process only runs ffmpeg,
starts the children and reports. Measured:

    transcode  the task body tracks.services.track_transcode(track_id=...) on a
               tagged FLAC with cover art, storage read and write included, in a
               child process that runs nothing else, against the bare
               `ffmpeg -i in.flac -codec:a libmp3lame -b:a 320k out.mp3` on the
               same file; alternating, the order swapped every round.
               Target: median project / median bare <= 1.10.
               Also the peak memory of the process running the task body
               (RUSAGE_SELF) and of its ffmpeg (RUSAGE_CHILDREN).
    confirm    POST /api/tracks/ confirming N uploaded MP3s (tags and cover read,
               artwork stored, rows written) through Django's test client, as
               many per request as the endpoint takes (read from its serializer:
               500 at the time of writing, so 500 files are one POST).

Missing a target is reported, not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import django_env, processing_track_from_file, setup_django
from bench.harness import alternate, run_benchmark, run_python
from bench.machine import ForeignLoad, MemoryPeak

TARGET_RATIO = 1.10
CONFIRM_SECONDS = 5.0
SAMPLE_RATE = 44100
RESULT_PREFIX = "RESULT "
BARE_ARGV = ["ffmpeg", "-i", "{in}", "-codec:a", "libmp3lame", "-b:a", "320k", "{out}"]

FLAC_NAME = "Bench Artist - Five Minute Noise.flac"
FLAC_TAGS = {
    "TITLE": "Five Minute Noise",
    "ARTIST": "Bench Artist",
    "ALBUMARTIST": "Bench Artist",
    "ALBUM": "Benchmarks",
    "DATE": "2024-05-01",
    "TRACKNUMBER": "3",
    "TRACKTOTAL": "12",
    "GENRE": "Techno",
    "BPM": "128",
    "INITIALKEY": "8A",
    "ISRC": "XXA002400001",
    "LABEL": "Bench Records",
    "COMMENT": "Pink noise over two sine tones, so FLAC cannot squeeze it to nothing.",
    "REPLAYGAIN_TRACK_GAIN": "-6.50 dB",
    "REPLAYGAIN_TRACK_PEAK": "0.998871",
}

# --- helpers shared by both sides -------------------------------------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _mb(kilobytes: float) -> str:
    return "%.1f MB" % (kilobytes / 1024)


def _emit(result: dict) -> None:
    """A child's answer: one JSON line on stdout, after whatever else it printed."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- source files (parent: ffmpeg only) --------------------------------------------


def noise_filter(seconds: float) -> str:
    """Two sine tones, each under its own pink noise, as left and right: about 1000 kb/s in FLAC."""
    return (
        f"sine=f=220:r={SAMPLE_RATE}:d={seconds},volume=0.5[a];"
        f"sine=f=277.2:r={SAMPLE_RATE}:d={seconds},volume=0.5[b];"
        f"anoisesrc=c=pink:a=0.4:r={SAMPLE_RATE}:d={seconds}:seed=11[n1];"
        f"anoisesrc=c=pink:a=0.4:r={SAMPLE_RATE}:d={seconds}:seed=22[n2];"
        "[a][n1]amix=inputs=2[l];[b][n2]amix=inputs=2[r];"
        "[l][r]join=inputs=2:channel_layout=stereo[out]"
    )


def make_flac(path: Path, seconds: float) -> None:
    _ffmpeg(
        "-filter_complex", noise_filter(seconds), "-map", "[out]", "-sample_fmt", "s16", "-codec:a", "flac", str(path)
    )


def make_mp3(path: Path, seconds: float) -> None:
    _ffmpeg(
        "-filter_complex", noise_filter(seconds), "-map", "[out]", "-codec:a", "libmp3lame", "-b:a", "320k", str(path)
    )


def make_cover(path: Path) -> None:
    # A busy test pattern: a cover of realistic size, not a few bytes of flat colour.
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=s=600x600", "-frames:v", "1", "-q:v", "3", str(path))


# --- child processes ----------------------------------------------------------------


def run_child(env: dict[str, str], *args: str) -> dict:
    """Run `python -m bench.transcode_bench --child ...`; its stderr passes through."""
    completed = run_python(
        env, "-m", "bench.transcode_bench", "--child", *args, stdout=subprocess.PIPE, text=True, check=False
    )
    lines = completed.stdout.splitlines()
    results = [line[len(RESULT_PREFIX) :] for line in lines if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        raise RuntimeError(f"child {args[0]} failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}")
    for line in lines:
        if not line.startswith(RESULT_PREFIX):
            print("  [child] " + line)
    return json.loads(results[-1])


def _database_line() -> str:
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        database = "sqlite (SQLite {}) at {}".format(sqlite3.sqlite_version, connection.settings_dict["NAME"])
    else:
        database = "{} {}".format(connection.vendor, connection.settings_dict.get("NAME"))
    location = getattr(default_storage, "location", "")  # also makes the lazy storage load
    storage = default_storage.__class__  # the class of the storage behind the lazy object
    return (
        f"database: {database}; storage: {storage.__module__}.{storage.__name__} at {location}; "
        f"Celery eager: {settings.CELERY_TASK_ALWAYS_EAGER}; DEBUG: {settings.DEBUG}"
    )


def child_setup(flac: Path) -> None:
    """The DJ, and a `processing` track whose original (and cover) are in storage."""
    setup_django()
    from dataclasses import fields

    from tracks import tags

    track, info = processing_track_from_file(flac, username="bench-transcode", file_name=FLAC_NAME)
    props = info.properties
    _emit(
        {
            "track_id": str(track.pk),
            "database": _database_line(),
            "duration": props.duration_seconds,
            "sample_rate": props.sample_rate,
            "channels": props.channels,
            "bitrate": props.bitrate_kbps,
            "cover_bytes": len(info.cover.data) if info.cover else 0,
            "tag_fields": sum(1 for item in fields(tags.TagSet) if getattr(info.tags, item.name) not in ("", None)),
        }
    )


class _Timers:
    """Wall time spent in each wrapped function (instrumented run only)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, attribute, timed)


def child_transcode(track_id: str, breakdown: bool) -> None:
    """Reset the track to `processing`, then time the task body alone."""
    import resource

    setup_django()
    from django.core.files.storage import default_storage

    import tracks.tasks  # noqa: F401  (a worker has its tasks imported)
    from core import mp3
    from tracks import services, tags
    from tracks.models import Track

    track = Track.objects.get(pk=track_id)
    if track.mp3_key:
        default_storage.delete(track.mp3_key)
    Track.objects.filter(pk=track_id).update(status=Track.Status.PROCESSING, mp3_key="", error="")

    timers = None
    if breakdown:
        timers = _Timers()
        timers.wrap(services.shutil, "copyfileobj", "storage read: original to temp file")
        timers.wrap(mp3, "transcode_to_mp3", "ffmpeg (the project's argv)")
        timers.wrap(services, "_cover_of", "cover read from storage")
        timers.wrap(tags, "write_id3_tags", "ID3 tags + cover written (mutagen)")
        timers.wrap(mp3, "verify_mp3", "verify_mp3")
        timers.wrap(default_storage, "save", "storage write: MP3")
        timers.wrap(services, "_track_transcoded", "database: track marked ready")

    before_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with MemoryPeak("ffmpeg") as ffmpeg_peak:
        started = time.perf_counter()
        services.track_transcode(track_id=track_id)
        elapsed = time.perf_counter() - started
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    track.refresh_from_db()
    if track.status != Track.Status.READY or not track.mp3_key or not default_storage.exists(track.mp3_key):
        raise RuntimeError(f"track ended {track.status!r} (mp3_key={track.mp3_key!r}): {track.error}")
    mp3_path = default_storage.path(track.mp3_key)
    info = tags.read_audio_file(mp3_path)
    _emit(
        {
            "seconds": elapsed,
            "maxrss_self_kb": peak_self,
            "maxrss_self_before_kb": before_self,
            "maxrss_children_kb": peak_children,
            "maxrss_children_before_kb": before_children,
            "ffmpeg_hwm_kb": ffmpeg_peak.peak_kb,
            "mp3_bytes": os.path.getsize(mp3_path),
            "mp3_duration": mp3.mp3_duration(mp3_path),
            "mp3_sample_rate": info.properties.sample_rate,
            "mp3_kbps": info.properties.bitrate_kbps,
            "mp3_title": info.tags.title,
            "mp3_cover_bytes": len(info.cover.data) if info.cover else 0,
            "steps": timers.seconds if timers else {},
            "calls": timers.calls if timers else {},
        }
    )


def child_confirm(count: int, template: Path, cover: Path, work: Path) -> None:
    """Upload `count` distinct tagged MP3s (bytes straight into storage), then time their confirm."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.files.storage import default_storage
    from rest_framework.test import APIClient

    from tests.helpers.tagging import tag_mp3
    from tracks import services
    from tracks.api.serializers import ConfirmInputSerializer, UploadInputSerializer
    from tracks.models import Track
    from tracks.tags import CoverArt, TagSet

    started = time.perf_counter()
    art = CoverArt(data=cover.read_bytes(), mime="image/jpeg")
    folder = work / "confirm"
    folder.mkdir()
    names = []
    for number in range(1, count + 1):
        name = "Bench Artist - Confirm %04d.mp3" % number
        path = folder / name
        shutil.copyfile(template, path)
        # A different title (and comment) per copy: the service discards byte-identical files.
        tag_mp3(
            path,
            TagSet(
                title="Confirm %04d" % number,
                artist="Bench Artist",
                album="Bench Album",
                date="2024",
                track_number=number % 99 + 1,
                genre="House",
                bpm=124.0,
                initial_key="8A",
                comment="copy %d" % number,
            ),
            art,
        )
        names.append(name)
    tagged = time.perf_counter() - started

    owner = get_user_model().objects.create(username="bench-confirm")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(owner)
    # The endpoints' own limits on files per request.
    upload_limit = UploadInputSerializer().fields["files"].max_length
    confirm_limit = ConfirmInputSerializer().fields["files"].max_length
    started = time.perf_counter()
    slots = []
    for batch in (names[at : at + upload_limit] for at in range(0, count, upload_limit)):
        response = client.post(
            "/api/tracks/upload-urls/",
            {
                "files": [
                    {"file_name": name, "content_type": "audio/mpeg", "size": (folder / name).stat().st_size}
                    for name in batch
                ]
            },
            format="json",
        )
        if response.status_code != 201:
            raise RuntimeError(f"upload-urls answered {response.status_code}: {response.content[:500]}")
        slots.append(response.json()["uploads"])
    slots = [slot for batch in slots for slot in batch]
    for slot in slots:
        with open(folder / slot["file_name"], "rb") as handle:
            if default_storage.save(slot["key"], File(handle)) != slot["key"]:
                raise RuntimeError("storage renamed {}".format(slot["key"]))
    uploaded = time.perf_counter() - started

    request_seconds, job_seconds = [], []
    statuses: dict[str, int] = {}
    batches = [slots[at : at + confirm_limit] for at in range(0, count, confirm_limit)]
    for batch in batches:
        body = {"files": [{"track_id": s["track_id"], "file_name": s["file_name"], "key": s["key"]} for s in batch]}
        started = time.perf_counter()
        response = client.post("/api/tracks/", body, format="json")
        request_seconds.append(time.perf_counter() - started)
        if response.status_code != 202:
            raise RuntimeError(f"confirm answered {response.status_code}: {response.content[:500]}")
        answered = len(response.json()["tracks"])
        if answered != len(batch):
            raise RuntimeError("confirm answered %d results for %d files" % (answered, len(batch)))
        # The confirm answers `processing` and queues each file's job; the job's first run (copy,
        # hash, tags, cover, store) is what the confirm did inline before it went to the worker, run
        # here in-process so the two add up to the old figure. bench/confirm_bench.py times both
        # on a real worker.
        ids = [s["track_id"] for s in batch]
        started = time.perf_counter()
        for track_id in ids:
            services.track_process(track_id=track_id)
        job_seconds.append(time.perf_counter() - started)
        results = list(Track.objects.filter(pk__in=ids).values("status", "error"))
        for result in results:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        not_ready = [result for result in results if result["status"] != "ready"]
        if not_ready:  # a measurement of failures or duplicates is not the one wanted
            raise RuntimeError("%d of %d files not ready, e.g. %r" % (len(not_ready), len(results), not_ready[0]))
    ready = Track.objects.filter(owner=owner, status=Track.Status.READY)
    _emit(
        {
            "files": count,
            "batches": [len(batch) for batch in batches],
            "request_seconds": request_seconds,
            "job_seconds": job_seconds,
            "confirm_limit": confirm_limit,
            "upload_limit": upload_limit,
            "upload_requests": -(-count // upload_limit),
            "statuses": statuses,
            "ready_rows": ready.count(),
            "rows_with_artwork": ready.exclude(artwork_key="").count(),
            "rows_titled": ready.filter(name__startswith="Confirm ").count(),
            "file_bytes": (folder / names[0]).stat().st_size,
            "cover_bytes": len(art.data),
            "tagging_seconds": tagged,
            "upload_seconds": uploaded,
            "database": _database_line(),
        }
    )


# --- measuring (parent) -------------------------------------------------------------


def run_bare(source: Path, target: Path) -> tuple[float, int, int]:
    """The bare ffmpeg command: (seconds, its max RSS from wait4, its VmHWM), sizes in KB."""
    target.unlink(missing_ok=True)
    argv = [part.replace("{in}", str(source)).replace("{out}", str(target)) for part in BARE_ARGV]
    started = time.perf_counter()
    # Bare, with no parent-death wrapper: the project's ffmpeg starts through setpriv and a shell
    # (core.processes, about 2.5 ms), a cost counted against the project.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # wait4 gives this ffmpeg's own rusage (RUSAGE_CHILDREN would mix in the Django children).
        with MemoryPeak("ffmpeg", pid=proc.pid) as peak:
            _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        raise RuntimeError("bare ffmpeg failed (exit {}): {}".format(proc.returncode, " ".join(argv)))
    return elapsed, usage.ru_maxrss, peak.peak_kb


def measure(env: dict[str, str], track_id: str, source: Path, work: Path, rounds: int) -> dict[str, list]:
    """Project and bare, alternating; odd rounds start with the project, even ones with bare."""
    bare_out = work / "bare.mp3"

    def one(kind: str, number: int | None) -> dict:
        with ForeignLoad() as foreign:
            if kind == "project":
                result = run_child(env, "transcode", "--track-id", track_id)
            else:
                seconds, maxrss, high_water = run_bare(source, bare_out)
                result = {"seconds": seconds, "maxrss_kb": maxrss, "ffmpeg_hwm_kb": high_water}
        result["other_cpus"], result["steal"] = foreign.cpus, foreign.steal
        label = "warm-up" if number is None else "round %d" % number
        if kind == "project":
            print(
                "%-8s project %7.3fs  RUSAGE_SELF %s (%s before the task body)  RUSAGE_CHILDREN %s  "
                "ffmpeg VmHWM %s  %s"
                % (
                    label,
                    result["seconds"],
                    _mb(result["maxrss_self_kb"]),
                    _mb(result["maxrss_self_before_kb"]),
                    _mb(result["maxrss_children_kb"]),
                    _mb(result["ffmpeg_hwm_kb"]),
                    foreign.describe(),
                ),
                flush=True,
            )
        else:
            print(
                "%-8s bare    %7.3fs  ffmpeg wait4 max RSS %s  VmHWM %s  %s"
                % (
                    label,
                    result["seconds"],
                    _mb(result["maxrss_kb"]),
                    _mb(result["ffmpeg_hwm_kb"]),
                    foreign.describe(),
                ),
                flush=True,
            )
        return result

    # Page cache, ffmpeg's and Python's files: the warm-up of each pays for them.
    return alternate(("project", "bare"), rounds, one, rotate=True)


def report_transcode(results: dict[str, list], rounds: int) -> None:
    project, bare = results["project"], results["bare"]
    p_times = [r["seconds"] for r in project]
    b_times = [r["seconds"] for r in bare]
    p_median, b_median = statistics.median(p_times), statistics.median(b_times)
    ratio = p_median / b_median
    print()
    print("transcode, %d rounds each, alternating:" % rounds)
    for label, median, times in (
        ("project  tracks.services.track_transcode", p_median, p_times),
        ("bare     ffmpeg (argv below)             ", b_median, b_times),
    ):
        print(f"  {label}  median {median:.3f}s  (min {min(times):.3f}s, max {max(times):.3f}s)")
    print("           {}".format(" ".join(BARE_ARGV).replace("{in}", "in.flac").replace("{out}", "out.mp3")))
    per_round = ", ".join("%.3f" % (p / b) for p, b in zip(p_times, b_times, strict=False))
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    target = f"(target <= {TARGET_RATIO:.2f}: {verdict})"
    print(f"  ratio project/bare (medians) = {ratio:.3f}  {target}  per round: {per_round}")
    self_peak = max(r["maxrss_self_kb"] for r in project)
    ffmpeg_peak = max(r["ffmpeg_hwm_kb"] for r in project)
    print("  worker peak memory (max over rounds), child process running only the task body:")
    print(
        "    RUSAGE_SELF      max RSS {}  the worker process (Django loaded; {} of it before the task body)".format(
            _mb(self_peak), _mb(max(r["maxrss_self_before_kb"] for r in project))
        )
    )
    print(
        "    RUSAGE_CHILDREN  max RSS {}  its ffmpeg as the kernel counts it: never below the worker's RSS".format(
            _mb(max(r["maxrss_children_kb"] for r in project))
        )
    )
    print("                              at fork (Linux keeps the pre-exec high-water mark), so not ffmpeg's own")
    print(f"    ffmpeg VmHWM     peak  {_mb(ffmpeg_peak)}  the project's ffmpeg itself (/proc, sampled every 20 ms)")
    print(f"    worker + ffmpeg  <=    {_mb(self_peak + ffmpeg_peak)}  (both peaks added; they run at the same time)")
    print(
        "    bare ffmpeg      max RSS {} (wait4), VmHWM {}".format(
            _mb(max(r["maxrss_kb"] for r in bare)), _mb(max(r["ffmpeg_hwm_kb"] for r in bare))
        )
    )
    disturbed = max(r["other_cpus"] for r in project + bare)
    if disturbed > 0.1:
        print(f"  warning: other processes used up to {disturbed:.2f} CPU during a round; figures are skewed")
    last = project[-1]
    print(
        "  output check (last project round): ready, %.1f MB, %s Hz, %s kbps, %.3fs, title %r, cover %d bytes"
        % (
            last["mp3_bytes"] / 1e6,
            last["mp3_sample_rate"],
            last["mp3_kbps"],
            last["mp3_duration"],
            last["mp3_title"],
            last["mp3_cover_bytes"],
        )
    )


def report_breakdown(result: dict) -> None:
    total = result["seconds"]
    print()
    print(f"breakdown of one more, instrumented project run (not in the medians): total {total:.3f}s")
    steps = result["steps"]
    for label, seconds in steps.items():
        print(
            "  %-40s %8.3fs  %5.1f%%  (%d call%s)"
            % (
                label,
                seconds,
                100 * seconds / total,
                result["calls"][label],
                "" if result["calls"][label] == 1 else "s",
            )
        )
    rest = total - sum(steps.values())
    print("  %-40s %8.3fs  %5.1f%%" % ("rest (row query, temp dir, cleanup)", rest, 100 * rest / total))


def report_confirm(result: dict) -> None:
    seconds = result["request_seconds"]
    total = sum(seconds)
    files = result["files"]
    print()
    print(
        "confirm: %d uploaded MP3s in %d POST /api/tracks/ (%s files; the endpoint takes at most %d per request)"
        % (files, len(seconds), " + ".join(str(size) for size in result["batches"]), result["confirm_limit"])
    )
    print(
        "  each file: %.0f s 320 kbps MP3, %d bytes, ID3v2.4 tags + %d-byte JPEG cover, distinct title"
        % (CONFIRM_SECONDS, result["file_bytes"], result["cover_bytes"])
    )
    print(
        "  total %.3fs for %d files = %.2f ms per file%s"
        % (
            total,
            files,
            1000 * total / files,
            "; per request: " + ", ".join(f"{s:.3f}s" for s in seconds) if len(seconds) > 1 else "",
        )
    )
    jobs = sum(result["job_seconds"])
    print(
        "  their jobs' first runs (the work the confirm once did inline): %.3fs = %.2f ms per file; "
        "request + jobs %.3fs" % (jobs, 1000 * jobs / files, total + jobs)
    )
    print(
        "  bodies 202, statuses %s; rows ready %d, with artwork %d, titled from tags %d  %s"
        % (
            result["statuses"],
            result["ready_rows"],
            result["rows_with_artwork"],
            result["rows_titled"],
            "OK" if result["ready_rows"] == files == result["statuses"].get("ready") else "NOT ALL READY",
        )
    )
    print(
        "  (not timed: tagging the copies %.1fs; %d POST upload-urls of at most %d files + bytes put in storage "
        "directly %.1fs)"
        % (result["tagging_seconds"], result["upload_requests"], result["upload_limit"], result["upload_seconds"])
    )
    print("  " + result["database"])


def run(args: argparse.Namespace) -> None:
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    print(
        "%s; %d rounds; source %.4g min stereo %d Hz FLAC; confirm %d files"
        % (version, args.rounds, args.minutes, SAMPLE_RATE, args.confirm_files),
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="transcode-bench-"))
    try:
        started = time.monotonic()
        source, cover = work / "in.flac", work / "cover.jpg"
        make_flac(source, args.minutes * 60)
        make_cover(cover)
        from tests.helpers.tagging import tag_flac

        tag_flac(source, FLAC_TAGS, cover.read_bytes(), cover_mime="image/jpeg")
        made = time.monotonic() - started
        # Embedded default: no DATABASE_URL, REDIS_URL or AWS_*. DEBUG stays off: with it
        # on Django keeps every SQL query in memory, which would weigh on the 500-file confirm.
        env = django_env(work / "data")
        started = time.monotonic()
        run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
        setup = run_child(env, "setup", "--flac", str(source))
        print(
            "setup: FLAC %.1f MB (%s kb/s, %s Hz, %s ch, %.2fs, %d tag fields, %d-byte JPEG cover) made in %.1fs; "
            "migrated and track row + original in storage in %.1fs"
            % (
                source.stat().st_size / 1e6,
                setup["bitrate"],
                setup["sample_rate"],
                setup["channels"],
                setup["duration"],
                setup["tag_fields"],
                setup["cover_bytes"],
                made,
                time.monotonic() - started,
            )
        )
        print("  " + setup["database"], flush=True)
        results = measure(env, setup["track_id"], source, work, args.rounds)
        report_transcode(results, args.rounds)
        if args.breakdown:
            report_breakdown(run_child(env, "transcode", "--track-id", setup["track_id"], "--breakdown"))
        if args.confirm_files:
            template = work / "template.mp3"
            make_mp3(template, CONFIRM_SECONDS)
            report_confirm(
                run_child(
                    env,
                    "confirm",
                    "--files",
                    str(args.confirm_files),
                    "--mp3",
                    str(template),
                    "--cover",
                    str(cover),
                    "--work",
                    str(work),
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.transcode_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the FLAC in minutes (default 5)")
    parser.add_argument("--confirm-files", type=int, default=500, help="MP3s to confirm, 0 to skip (default 500)")
    parser.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="skip the extra instrumented project run that times each step",
    )
    # Internal: the steps that need Django configured run in child processes.
    parser.add_argument("--child", choices=("setup", "transcode", "confirm"), help=argparse.SUPPRESS)
    parser.add_argument("--track-id", help=argparse.SUPPRESS)
    parser.add_argument("--breakdown", dest="child_breakdown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--flac", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mp3", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cover", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    if args.confirm_files < 0:
        parser.error("--confirm-files must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "setup":
        child_setup(args.flac)
        return 0
    if args.child == "transcode":
        child_transcode(args.track_id, args.child_breakdown)
        return 0
    if args.child == "confirm":
        child_confirm(args.files, args.mp3, args.cover, args.work)
        return 0
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg not found on PATH")

    return run_benchmark(lambda: run(args), interrupted="temporary files removed")


if __name__ == "__main__":
    sys.exit(main())
