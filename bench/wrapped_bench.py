"""The weekly release radar for 50 users on real Celery workers, against the fake Spotify with 20 ms latency.

    .venv/bin/python -m bench.wrapped_bench [--users 50] [--artists 40] [--latency 0.02]

Topology, as processes:

    PostgreSQL + Redis      tests.stack.Stack, on 127.0.0.1, torn down at the end
    fake Spotify            tests.fakes.spotify.FakeSpotify in this process (a thread), LATENCY per
                            /v1 request; accounts/api/token (the token refresh) sleeps none
    worker                  celery -A config worker --queues network --pool prefork --concurrency N
    settings                config.settings, DJANGO_DEBUG=false, CELERY_TASK_ALWAYS_EAGER=false,
                            SPOTIFY_REQUESTS_PER_30_SECONDS=100000 (the shared budget never binds:
                            this measures the job, not the pace; core.pacing still runs per request)

The catalogue is built once per quota mode: 80 artists, each with 3 to 7 old albums (12 for
every tenth), a new album of 1 to 4 tracks released on a day in the week, a new single for every
third artist and a month-precision release for every fourth (skipped by the job); user u follows
40 of them, artists 3u .. 3u+39 (mod 80). Then, for 1 and 4 worker processes in turn: the weeks
deleted, the saved playlist ids cleared (so every run makes its playlist) and the cached access
tokens dropped (so every run refreshes them), a fresh worker started and pinged, the weekly beat
job (wrapped.tasks.release_radar_weekly) queued, which makes each account's ReleaseRadarWeek row
pending and sends its id to release_radar_run; timed until every row is done (the last row's
finished_at). A row that ends failed stops the run with its error.

Printed per run: users per minute, /v1 requests per user (the fake's own log, and each task's
count from its log line), the fake's peak requests in flight, and each user's requests against
the bound the catalogue implies: followed-artist pages + artist-album pages (of 10 in
development, 50 extended) + one per new album (development) or one per 20 (extended) + the
playlist writes (one per 100 tracks) + the playlist's creation. Then the speed-up of 4 workers
over 1 (target: at least 3). Missing a target is reported, not an error; a run that does not
finish within --timeout seconds is an error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

if not __package__:  # run as a file (python bench/wrapped_bench.py): the project on the path, as with -m
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.common import django_env  # noqa: E402
from bench.harness import run_benchmark  # noqa: E402
from bench.lost_worker import Proc, wait_worker_ready  # noqa: E402
from bench.machine import ForeignLoad  # noqa: E402
from tests.stack import Stack  # noqa: E402

PROJECT_DIR = common.PROJECT_DIR
MODES = ("development", "extended")
WORKER_COUNTS = (1, 4)
ARTIST_POOL = 80
REQUESTS_PER_30_SECONDS = 100_000
TARGET_SPEEDUP = 3.0
POLL_SECONDS = 0.1
WORKER_ARGV = ["-m", "celery", "-A", "config", "worker", "--queues", "network", "--pool", "prefork"]
# services.release_radar_run's INFO line, one per account the worker finished.
DONE_LINE = re.compile(r"release radar (\S+) for account (\d+): (\d+) tracks, (\d+) requests")


# --- the catalogue -------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """What the fake holds, as plain data: the bench computes each user's bound from it."""

    albums: dict[str, dict]  # id -> {"artists": [...], "type", "date", "precision", "tracks": [...]}
    follows: dict[int, list[str]]  # user number -> artist ids


def build_catalogue(users: int, artists: int, today: date) -> Catalogue:
    if artists > ARTIST_POOL:
        raise SystemExit(f"--artists is at most {ARTIST_POOL} (the pool of artists)")
    albums: dict[str, dict] = {}

    def album(album_id, artist, kind, released, precision, tracks):
        albums[album_id] = {
            "artists": [artist],
            "type": kind,
            "date": released,
            "precision": precision,
            "tracks": [f"{album_id}t{n}" for n in range(tracks)],
        }

    for a in range(ARTIST_POOL):
        artist = f"ar{a}"
        old = 12 if a % 10 == 0 else 3 + a % 5  # every tenth artist has two pages of 10
        for n in range(old):
            album(f"old{a}n{n}", artist, "album", f"202{n % 5}-0{1 + n % 9}-1{n % 9}", "day", 1)
        # New: released on a day of the 7 before the run, 1 to 4 tracks.
        album(f"new{a}", artist, "album", (today - timedelta(days=1 + a % 7)).isoformat(), "day", 1 + a % 4)
        if a % 3 == 0:
            album(f"single{a}", artist, "single", (today - timedelta(days=2 + a % 5)).isoformat(), "day", 1)
        if a % 4 == 0:  # cannot be placed in a week: skipped by the job
            album(f"month{a}", artist, "album", today.strftime("%Y-%m"), "month", 1)
    follows = {u: [f"ar{(3 * u + i) % ARTIST_POOL}" for i in range(artists)] for u in range(users)}
    return Catalogue(albums, follows)


def load_fake(fake, catalogue: Catalogue) -> None:
    for a in range(ARTIST_POOL):
        fake.add_artist(f"ar{a}", f"Artist {a}", genres=["techno"])
    for album_id, album in catalogue.albums.items():
        for track_id in album["tracks"]:
            fake.add_track(track_id, f"Track {track_id}", album["artists"])
        fake.add_album(
            album_id,
            album["artists"],
            album_type=album["type"],
            release_date=album["date"],
            release_date_precision=album["precision"],
            track_ids=album["tracks"],
        )
    for u, artists in catalogue.follows.items():
        fake.add_user(f"user{u}", display_name=f"User {u}", email=f"u{u}@example.com", refresh_token=f"rt{u}")
        fake.follow(f"user{u}", artists)


def bound(catalogue: Catalogue, u: int, mode: str, start: date, end: date) -> dict:
    """The most /v1 requests user u's run may make, term by term, and its new albums and tracks."""
    followed = catalogue.follows[u]
    page = 50 if mode == "extended" else 10
    album_pages = 0
    new: dict[str, list[str]] = {}
    for artist in followed:
        own = [i for i, album in catalogue.albums.items() if artist in album["artists"]]
        album_pages += max(1, math.ceil(len(own) / page))  # an artist without albums still costs a page
        for i in own:
            album = catalogue.albums[i]
            if album["precision"] == "day" and start <= date.fromisoformat(album["date"]) < end:
                new[i] = album["tracks"]
    tracks = len({t for ids in new.values() for t in ids})
    terms = {
        "followed_pages": max(1, math.ceil(len(followed) / 50)),
        "album_pages": album_pages,
        "per_album": len(new) if mode == "development" else math.ceil(len(new) / 20),
        "writes": max(1, math.ceil(tracks / 100)) + 1,  # replace + adds, and the playlist's creation
    }
    return {"total": sum(terms.values()), "terms": terms, "new_albums": len(new), "tracks": tracks}


# --- this process as a Django process of the same services ----------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    common.setup_django()


def utc_today() -> date:
    """The date the weekly job runs for (timezone.now() in UTC, as release_radar_weekly reads it)."""
    from django.utils import timezone

    return timezone.now().date()


def create_accounts(users: int) -> dict[int, int]:
    """user number -> SpotifyAccount pk; refresh token rt<u>, as the fake knows it."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from wrapped.models import SpotifyAccount

    accounts = {}
    for u in range(users):
        user = get_user_model().objects.create(username=f"bench-radar-{u}")
        account = SpotifyAccount(
            user=user, spotify_user_id=f"user{u}", display_name=f"User {u}", authorized_at=timezone.now()
        )
        account.set_refresh_token(f"rt{u}")
        account.save()
        accounts[u] = account.pk
    return accounts


def reset(accounts: dict[int, int]) -> None:
    """No weeks, no saved playlist, no cached access token: every run does the same work."""
    from django.core.cache import cache

    from wrapped.models import ReleaseRadarWeek, SpotifyAccount

    ReleaseRadarWeek.objects.all().delete()
    SpotifyAccount.objects.update(release_radar_playlist_id="")
    cache.delete_many([f"wrapped:access-token:{pk}" for pk in accounts.values()])


def weeks_done(week_start: date) -> tuple[int, float | None]:
    """How many of the week's runs are done, and when the last of them finished; a failed run is an error."""
    from django.db.models import Max

    from wrapped.models import ReleaseRadarWeek

    rows = ReleaseRadarWeek.objects.filter(week_start=week_start)
    failed = rows.filter(status="failed").values_list("pk", "error").first()
    if failed:
        raise RuntimeError(f"release radar week {failed[0]} failed: {failed[1]}")
    done = rows.filter(status="done")
    last = done.aggregate(last=Max("finished_at"))["last"]
    return done.count(), (last.timestamp() if last else None)


# --- one run ----------------------------------------------------------------------------------------


def measure(
    *, mode: str, workers: int, env: dict, work: Path, fake, accounts: dict, catalogue: Catalogue, args
) -> dict:
    from django.utils import timezone

    from wrapped.tasks import release_radar_weekly

    reset(accounts)
    hostname = f"wrapped-bench-{mode[:3]}-{workers}@{socket.gethostname()}"
    worker = Proc(
        f"worker-{mode}-{workers}",
        [*WORKER_ARGV, "--concurrency", str(workers), "--hostname", hostname, "--loglevel", "INFO"],
        env,
        work,
    )
    try:
        ready = wait_worker_ready(worker, hostname)
        with fake._lock:
            first_request = len(fake.requests)
            fake.max_in_flight = 0
        today = timezone.now().date()  # the fan-out's date (UTC)
        week_start = today - timedelta(days=7)
        started = time.time()
        with ForeignLoad() as foreign:
            release_radar_weekly.delay()
            deadline = time.monotonic() + args.timeout
            while True:
                done, last = weeks_done(week_start)
                if done >= len(accounts):
                    break
                if worker.proc.poll() is not None:
                    raise RuntimeError(f"{worker.name} exited ({worker.proc.returncode}):\n{worker.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{mode}, {workers} worker(s): {done} of {len(accounts)} weeks after {args.timeout:g}s:\n"
                        + worker.log_tail()
                    )
                time.sleep(POLL_SECONDS)
        seconds = last - started
        with fake._lock:
            made = fake.requests[first_request:]
            in_flight = fake.max_in_flight
        lines = worker.new_lines()
    finally:
        worker.stop()
    by_account = {int(m[2]): (int(m[3]), int(m[4])) for m in map(DONE_LINE.search, lines) if m}
    api = [r for r in made if r[1].startswith("/v1/")]
    per_user = {}
    for u, pk in accounts.items():
        limit = bound(catalogue, u, mode, week_start, today)
        logged_tracks, requests = by_account.get(pk, (None, None))
        per_user[u] = {"requests": requests, "logged_tracks": logged_tracks, **limit}
    counted = [p["requests"] for p in per_user.values() if p["requests"] is not None]
    over = [u for u, p in per_user.items() if p["requests"] is None or p["requests"] > p["total"]]
    wrong_tracks = [u for u, p in per_user.items() if p["logged_tracks"] not in (None, p["tracks"])]
    result = {
        "mode": mode,
        "workers": workers,
        "seconds": round(seconds, 2),
        "users_per_minute": round(len(accounts) * 60 / seconds, 1),
        "requests_per_user": round(len(api) / len(accounts), 1),
        "task_requests_per_user": round(sum(counted) / max(len(counted), 1), 1),
        "bound_per_user": round(sum(p["total"] for p in per_user.values()) / len(accounts), 1),
        "users_over_bound": len(over),
        "token_refreshes": sum(1 for r in made if r[1].startswith("/accounts/api/token")),
        "max_in_flight": in_flight,
        "worker_ready_s": round(ready, 1),
        "other_load_cpus": round(foreign.cpus, 2),
    }
    print(json.dumps(result), flush=True)
    if over:
        for u in over[:5]:
            p = per_user[u]
            print(f"  OVER THE BOUND user{u}: {p['requests']} requests > {p['total']} {p['terms']}", flush=True)
    if wrong_tracks:
        print(f"  warning: track counts differ from the catalogue for users {wrong_tracks[:5]}", flush=True)
    if len(counted) != len(accounts):
        print(f"  warning: {len(accounts) - len(counted)} accounts without a 'release radar' log line", flush=True)
    result["per_user"] = per_user
    return result


def run_mode(mode: str, stack: Stack, work: Path, accounts: dict, catalogue: Catalogue, args) -> list[dict]:
    from tests.fakes.spotify import FakeSpotify

    results = []
    with FakeSpotify(quota_mode=mode, latency=args.latency) as fake:
        started = time.monotonic()
        load_fake(fake, catalogue)
        env = django_env(
            work / "data",
            stack.env,
            {
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "LOG_LEVEL": "INFO",  # the per-account "release radar ..." line gives each task's count
                "SPOTIFY_QUOTA_MODE": mode,
                "SPOTIFY_API_BASE_URL": fake.api_url,
                "SPOTIFY_ACCOUNTS_BASE_URL": fake.accounts_url,
                "SPOTIFY_CLIENT_ID": fake.client_id,
                "SPOTIFY_CLIENT_SECRET": fake.client_secret,
                "SPOTIFY_REDIRECT_URI": "http://127.0.0.1/callback",
                "SPOTIFY_REQUESTS_PER_30_SECONDS": str(REQUESTS_PER_30_SECONDS),
                "SPOTIFY_MAX_WAIT_SECONDS": "60",
            },
        )
        today = utc_today()
        sample = bound(catalogue, 0, mode, today - timedelta(days=7), today)
        print(
            f"\n{mode}: fake Spotify on {fake.base_url}, latency {args.latency * 1000:g} ms per /v1 request, "
            f"{len(fake.albums)} albums, {len(fake.tracks)} tracks (loaded in {time.monotonic() - started:.1f}s); "
            f"user0's bound {sample['total']} = {sample['terms']} for {sample['new_albums']} new albums, "
            f"{sample['tracks']} tracks",
            flush=True,
        )
        for workers in WORKER_COUNTS:
            results.append(
                measure(
                    mode=mode,
                    workers=workers,
                    env=env,
                    work=work,
                    fake=fake,
                    accounts=accounts,
                    catalogue=catalogue,
                    args=args,
                )
            )
    return results


def report(results: list[dict]) -> None:
    print("\nsummary:")
    print(
        "  %-12s %7s %9s %10s %13s %12s %10s %10s"
        % ("mode", "workers", "seconds", "users/min", "requests/user", "bound/user", "over", "in flight")
    )
    for r in results:
        print(
            "  %-12s %7d %8.1fs %10.1f %13.1f %12.1f %10d %10d"
            % (
                r["mode"],
                r["workers"],
                r["seconds"],
                r["users_per_minute"],
                r["requests_per_user"],
                r["bound_per_user"],
                r["users_over_bound"],
                r["max_in_flight"],
            )
        )
    print("\ntargets:")
    for mode in MODES:
        runs = {r["workers"]: r for r in results if r["mode"] == mode}
        one, four = runs[WORKER_COUNTS[0]], runs[WORKER_COUNTS[-1]]
        speedup = one["seconds"] / four["seconds"]
        met = "MET" if speedup >= TARGET_SPEEDUP else "NOT MET"
        print(
            f"  {mode:12} speed-up {WORKER_COUNTS[-1]} workers / 1 = {speedup:.2f} x "
            f"(target >= {TARGET_SPEEDUP:g}: {met})"
        )
        within = all(r["users_over_bound"] == 0 for r in runs.values())
        print(
            f"  {mode:12} requests per user within the bound for every user: {'MET' if within else 'NOT MET'} "
            f"(max {max(p['requests'] or 0 for r in runs.values() for p in r['per_user'].values())} requests, "
            f"bounds {min(p['total'] for p in one['per_user'].values())}"
            f"..{max(p['total'] for p in one['per_user'].values())})"
        )


def run(args: argparse.Namespace) -> None:
    print(
        f"{args.users} users x {args.artists} followed artists (of {ARTIST_POOL}); latency {args.latency * 1000:g} ms; "
        f"workers {' and '.join(map(str, WORKER_COUNTS))} (prefork, queue network); "
        f"SPOTIFY_REQUESTS_PER_30_SECONDS={REQUESTS_PER_30_SECONDS} (the pace never binds)",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="wrapped-bench-"))
    try:
        with Stack(services=("postgres", "redis")) as stack:
            try:
                env = django_env(work / "data", stack.env, {"CELERY_TASK_ALWAYS_EAGER": "false"})
                started = time.monotonic()
                subprocess.run(
                    [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                    env=env,
                    cwd=PROJECT_DIR,
                    check=True,
                )
                setup_django(env)
                accounts = create_accounts(args.users)
                print(
                    f"PostgreSQL {stack.ports['postgres']}, Redis {stack.ports['redis']}; migrated and "
                    f"{len(accounts)} accounts made in {time.monotonic() - started:.1f}s",
                    flush=True,
                )
                catalogue = build_catalogue(args.users, args.artists, utc_today())
                results = []
                for mode in MODES:
                    results += run_mode(mode, stack, work, accounts, catalogue, args)
                report(results)
            finally:
                with contextlib.suppress(Exception):
                    from django.db import connections

                    connections.close_all()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.wrapped_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="accounts (default 50)")
    parser.add_argument("--artists", type=int, default=40, help="followed artists per user (default 40, at most 80)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per /v1 request (default 0.02)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take (default 300)")
    args = parser.parse_args(argv)
    if args.users < 1 or not 1 <= args.artists <= ARTIST_POOL:
        parser.error(f"--users must be positive and --artists within 1..{ARTIST_POOL}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found on PATH")
    return run_benchmark(lambda: run(args), interrupted="workers, fake Spotify and services stopped")


if __name__ == "__main__":
    sys.exit(main())
