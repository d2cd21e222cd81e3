"""The track confirm answers at once; a worker does what it used to do inside the request.

    .venv/bin/python -m bench.confirm_bench [--files 20] [--megabytes 50] [--rounds 1] [--storage local,s3]

For each storage, local files in a temporary DATA_DIR and the S3 test server (moto, started by
tests.stack.Stack), in a child process with the project's settings (SQLite, no DATABASE_URL or
REDIS_URL even if set outside: tasks go to the file-system broker as a web process sends them, and
no worker takes them):

    setup      the parent writes N distinct WAVs of white noise (random 16-bit PCM, 44.1 kHz
               stereo) of M MB each; the child asks the API for upload URLs and puts the bytes
               at the staging keys. Not timed.
    confirm    POST /api/tracks/ with the N files, through Django's test client: the request.
               Target: under 2 s. Checked after it: 202, every track `processing`, nothing yet
               under the owner's final keys.
    reference  the same batch's jobs, each run by the task (tracks.tasks.track_process.apply: the
               job runner, the staged object copied, hashed, its tags read, the original stored),
               one after the other as one worker runs them: what the confirm did inline before.
               Checked after: every original stored, every transcode queued.

Both times are printed with their ratio (confirm / reference). Missing the target is reported,
not an error.
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
import wave
from pathlib import Path

from bench.common import django_env, setup_django
from bench.harness import run_benchmark, run_python
from bench.machine import ForeignLoad

TARGET_SECONDS = 2.0
RESULT_PREFIX = "RESULT "
SAMPLE_RATE = 44100
CHUNK = 4 * 1024 * 1024


def _emit(result: dict) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- files (parent) -----------------------------------------------------------------------


def make_noise_wav(path: Path, megabytes: float) -> None:
    """A WAV of white noise: random 16-bit stereo frames, so every file's bytes (and sha256) differ."""
    frames_left = int(megabytes * 1024 * 1024) // 4
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        while frames_left:
            frames = min(frames_left, CHUNK // 4)
            out.writeframesraw(os.urandom(frames * 4))
            frames_left -= frames


# --- the measured run (child) -------------------------------------------------------------


def _stored_under(prefix: str) -> list[str]:
    from tests.helpers.stored import stored_keys

    return stored_keys(prefix)


def child_round(sources: list[Path], label: str, bench_pid: int) -> None:
    """One round: a fresh DJ uploads the files, confirms them (timed), then their jobs run (timed)."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.files.storage import default_storage
    from rest_framework.test import APIClient

    from core import storage
    from tracks.api.serializers import UploadInputSerializer
    from tracks.models import Track
    from tracks.tasks import track_process

    owner = get_user_model().objects.create(username=f"bench-confirm-{label}")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(owner)
    started = time.perf_counter()
    slots = []
    limit = UploadInputSerializer().fields["files"].max_length  # files per upload-URL request
    for batch in (sources[at : at + limit] for at in range(0, len(sources), limit)):
        body = {
            "files": [
                {"file_name": path.name, "content_type": "audio/wav", "size": path.stat().st_size} for path in batch
            ]
        }
        response = client.post("/api/tracks/upload-urls/", body, format="json")
        if response.status_code != 201:
            raise RuntimeError(f"upload-urls answered {response.status_code}: {response.content[:500]}")
        slots += response.json()["uploads"]
    by_name = {path.name: path for path in sources}
    for slot in slots:
        with open(by_name[slot["file_name"]], "rb") as handle:
            storage.save_exactly(slot["key"], File(handle))
    staged = time.perf_counter() - started

    confirm = {"files": [{name: slot[name] for name in ("track_id", "file_name", "key")} for slot in slots]}
    client.get("/api/tracks/")  # a web process that has served before: views and URL resolver loaded
    with ForeignLoad(bench_pid) as confirm_load:
        started = time.perf_counter()
        response = client.post("/api/tracks/", confirm, format="json")
        confirm_seconds = time.perf_counter() - started
    if response.status_code != 202:
        raise RuntimeError(f"confirm answered {response.status_code}: {response.content[:500]}")
    statuses = sorted({item["status"] for item in response.json()["tracks"]})
    final_prefix = f"users/{owner.pk}/tracks"
    stored_after_confirm = len(_stored_under(final_prefix))

    ids = [slot["track_id"] for slot in slots]
    with ForeignLoad(bench_pid) as worker_load:
        started = time.perf_counter()
        for track_id in ids:
            track_process.apply(args=(track_id,))
        worker_seconds = time.perf_counter() - started
    tracks = Track.objects.filter(pk__in=ids)
    accepted = [
        track
        for track in tracks
        if track.status == Track.Status.PROCESSING and track.sha256 and storage.object_exists(track.original_key)
    ]
    errors = sorted({track.error for track in tracks if track.error})
    # Not timed: leave the next round (and the S3 server's memory) nothing of this one.
    storage.delete_objects(
        [slot["key"] for slot in slots] + [key for track in tracks for key in (track.original_key, track.artwork_key)]
    )
    location = getattr(default_storage, "location", "") or getattr(default_storage, "bucket_name", "")
    _emit(
        {
            "files": len(slots),
            "file_bytes": sources[0].stat().st_size,
            "staging_seconds": staged,
            "confirm_seconds": confirm_seconds,
            "confirm_statuses": statuses,
            "confirm_load": confirm_load.describe(),
            "stored_after_confirm": stored_after_confirm,
            "worker_seconds": worker_seconds,
            "worker_load": worker_load.describe(),
            "accepted": len(accepted),
            "errors": errors,
            "storage": f"{default_storage.__class__.__module__}.{default_storage.__class__.__name__} {location}",
        }
    )


# --- measuring (parent) -------------------------------------------------------------------


def run_child(env: dict[str, str], sources: list[Path], label: str) -> dict:
    files = [str(path) for path in sources]
    # The bench's own tree (this process: its S3 server, the child) is not "other load".
    argv = ["-m", "bench.confirm_bench", "--child", label, "--bench-pid", str(os.getpid()), "--sources", *files]
    completed = run_python(env, *argv, stdout=subprocess.PIPE, text=True, check=False)
    lines = completed.stdout.splitlines()
    results = [line[len(RESULT_PREFIX) :] for line in lines if line.startswith(RESULT_PREFIX)]
    if completed.returncode != 0 or not results:
        raise RuntimeError(f"child {label} failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}")
    return json.loads(results[-1])


def measure(storage: str, env: dict[str, str], sources: list[Path], rounds: int) -> list[dict]:
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    results = []
    for number in range(1, rounds + 1):
        result = run_child(env, sources, f"{storage}-{number}")
        results.append(result)
        ok = (
            result["confirm_statuses"] == ["processing"]
            and result["stored_after_confirm"] == 0
            and result["accepted"] == result["files"]
        )
        print(
            "%s round %d: confirm %.3f s (%s)  worker's processing of the batch %.2f s (%s)  ratio %.4f  %s"
            % (
                storage,
                number,
                result["confirm_seconds"],
                result["confirm_load"],
                result["worker_seconds"],
                result["worker_load"],
                result["confirm_seconds"] / result["worker_seconds"],
                "OK" if ok else f"CHECK FAILED: {result}",
            ),
            flush=True,
        )
    return results


def report(storage: str, results: list[dict]) -> None:
    files, size = results[0]["files"], results[0]["file_bytes"]
    confirm = statistics.median(result["confirm_seconds"] for result in results)
    worker = statistics.median(result["worker_seconds"] for result in results)
    verdict = "met" if confirm < TARGET_SECONDS else "MISSED"
    lines = [
        f"{storage}: {files} WAVs of {size / 1e6:.1f} MB ({results[0]['storage']}), median of {len(results)} round(s)",
        f"  confirm request (POST /api/tracks/, 202): {confirm:.3f} s, {1000 * confirm / files:.1f} ms per file;"
        f" target < {TARGET_SECONDS:.0f} s {verdict}",
        f"  worker's processing of the same batch:   {worker:.2f} s, {1000 * worker / files:.0f} ms per file"
        " (copy, sha256, tags, original stored)",
        f"  ratio confirm / worker processing:       {confirm / worker:.4f} (1/{worker / confirm:.0f})",
        f"  (not timed: upload URLs and the bytes put at the staging keys, {results[0]['staging_seconds']:.1f} s)",
    ]
    print("\n" + "\n".join(lines), flush=True)


def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confirm-bench-"))
    try:
        started = time.monotonic()
        sources = []
        for number in range(1, args.files + 1):
            path = work / f"Bench Noise {number:03d}.wav"
            make_noise_wav(path, args.megabytes)
            sources.append(path)
        print(
            "%d noise WAVs of %.1f MB made in %.1f s; %d round(s) per storage"
            % (len(sources), sources[0].stat().st_size / 1e6, time.monotonic() - started, args.rounds),
            flush=True,
        )
        for storage in args.storage:
            if storage == "local":
                report("local", measure("local", django_env(work / "data-local"), sources, args.rounds))
                continue
            from tests.stack import Stack

            with Stack(services=("s3",)) as stack:
                env = django_env(work / "data-s3", stack.env)
                report("s3", measure("s3", env, sources, args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.confirm_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=20, help="files in the batch (default 20)")
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of each file in MB (default 50)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per storage, a fresh DJ each (default 1)")
    parser.add_argument(
        "--storage",
        type=lambda value: [part.strip() for part in value.split(",") if part.strip()],
        default=["local", "s3"],
        help="local, s3 or both (default local,s3)",
    )
    # Internal: the measured run needs Django configured, in a child process.
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sources", type=Path, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--bench-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.files < 1 or args.rounds < 1 or args.megabytes <= 0:
        parser.error("--files, --rounds and --megabytes must be positive")
    if not set(args.storage) <= {"local", "s3"} or not args.storage:
        parser.error("--storage takes local, s3 or both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_round(args.sources, args.child, args.bench_pid or os.getppid())
        return 0
    return run_benchmark(lambda: run(args), interrupted="temporary files removed")


if __name__ == "__main__":
    sys.exit(main())
