"""Cost of Guess The Track's due list and grade, for a small and a large library, against /api/auth/me/.

    .venv/bin/python -m bench.due_bench [--small 1000] [--large 100000] [--rounds 5] [--requests 200]

Starts a throwaway PostgreSQL (tests.stack; no Redis: REDIS_URL is left unset, so
Celery is eager and the cache is local memory), migrates, and seeds two users:
one with --small cards, one with --large, each card on its own `ready` track with
an mp3_key; 10% of each user's cards are due (due_at in the past), the rest due
in the future. Then, in one child process with production-like settings, through
Django's test client (rest_framework.test.APIClient) authenticated with a real
JWT access token in the Authorization header, as a client would send it (so every
request pays JWTAuthentication and its user query, `me` included):

    due-small  GET  /api/learning/due/?limit=50   as the --small user
    due-large  GET  /api/learning/due/?limit=50   as the --large user
    grade      POST /api/learning/grade/          grade 4 on a due card of the --small user
    me         GET  /api/auth/me/                 as the --small user (the reference)

Grading moves a card out of the due list, so the grades go to the small user's
due cards in turn (a different card each time, in due order, round and round), and
the cards graded are put back to their seeded state (untimed UPDATEs, between two
requests) before fewer than a full page of them is left due: each timed grade is
a scheduling review of a due card (row lock, SM-2, UPDATE, one ReviewLog row
INSERTed), and every due list is a full page of due cards. (Grading one card over
and over piles up dead row versions of that one row and slows grades down.)

After a warm-up, the endpoints take turns request by request (due-small, due-large,
grade, me, due-small, ...; the order rotated every round), so a slower or busier
moment of the machine falls on all four alike; each request is timed alone, and
medians per request are reported. Targets:

    due-large / due-small  <= 1.2   (the due list does not grow with the library)
    due / me               <= 5     (both users)
    grade / me             <= 4

followed by EXPLAIN ANALYZE of the queries of learning.selectors.due_cards for one
page of the large user (the count of both parts, then today's drills when there are
any, then the due cards). Missing a target is reported, not an error. --profile N
adds a cProfile of N more requests per endpoint.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import django_env, setup_django
from bench.harness import rotated, run_benchmark, run_python
from bench.machine import ForeignLoad
from tests.stack import Stack

DUE_LIMIT = 50
DUE_FRACTION = 0.10
BATCH_SIZE = 5000
WARMUP_REQUESTS = 20
GRADE = 4  # passes, so no drill: every timed grade is a scheduling review
SMALL_USER, LARGE_USER = "bench-due-small", "bench-due-large"
STATE_FIELDS = (
    "easiness_factor",
    "repetitions",
    "interval_days",
    "due_at",
    "last_reviewed_at",
    "drill_day",
    "fsrs_state",
    "fsrs_step",
    "stability",
    "difficulty",
)
TARGETS = {"scale": 1.2, "due": 5.0, "grade": 4.0}

# On top of bench.common's production-like settings: the test client's host, and an access
# token that lives long enough for the run (its lifetime costs nothing per request).
CHILD_ENV = {
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "JWT_ACCESS_MINUTES": "600",
}


# --- child processes (Django configured) ------------------------------------------


_ARTISTS = ("Bench Artist", "Nora Vale", "DJ Kilowatt", "The Sine Waves", "Mira & Co", "Low Pass Club")
_GENRES = ("House", "Techno", "Drum & Bass", "Disco", "Ambient", "Garage")
_KEYS = ("8A", "9A", "10B", "3A", "11B", "5A")


def child_seed(small: int, large: int) -> None:
    """Both users, their ready tracks (bulk, 5,000 a batch), then their cards, then VACUUM ANALYZE."""
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from learning.models import Card
    from tests.factories import UserFactory
    from tracks import files
    from tracks.models import Track

    rng = random.Random(20240501)  # the same libraries on every run
    now = timezone.now()
    started = time.perf_counter()
    timings = {"tracks": 0.0, "cards": 0.0}
    counts = {}
    with transaction.atomic():
        # The test stack runs with synchronous_commit=off, and VACUUM cannot mark pages
        # all-visible for rows of an asynchronous commit (not yet flushed): this commit waits.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = on")
        for username, count in ((SMALL_USER, small), (LARGE_USER, large)):
            user = UserFactory(username=username)
            due = set(rng.sample(range(count), round(count * DUE_FRACTION)))
            track_ids = []
            at = time.perf_counter()
            # Tracks and cards are built here rather than by tests.factories: every field is drawn from rng
            # (the same varied library each run), and a factory's build costs 7 to 15 times a model's.
            for first in range(0, count, BATCH_SIZE):
                batch = []
                for number in range(first, min(first + BATCH_SIZE, count)):
                    track_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                    artist = rng.choice(_ARTISTS)
                    name = "Track %06d" % number
                    file_name = f"{artist} - {name}.flac"
                    batch.append(
                        Track(
                            id=track_id,
                            owner=user,
                            name=name,
                            artist=artist,
                            album="Album %03d" % (number % 500),
                            genre=rng.choice(_GENRES),
                            year=rng.randint(1990, 2024),
                            bpm=float(rng.randint(90, 175)),
                            musical_key=rng.choice(_KEYS),
                            duration_seconds=round(rng.uniform(120, 600), 3),
                            bitrate=rng.choice((900, 1000, 1411)),
                            sample_rate=44100,
                            channels=2,
                            format="flac",
                            file_name=file_name,
                            size=rng.randint(20_000_000, 80_000_000),
                            original_key=files.original_key(user.pk, track_id, f"{rng.getrandbits(48):012x}", "flac"),
                            mp3_key=files.mp3_key(user.pk, track_id, f"{rng.getrandbits(48):012x}"),
                            sha256=f"{rng.getrandbits(256):064x}",
                            status=Track.Status.READY,
                        )
                    )
                Track.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                track_ids.extend(track.pk for track in batch)
            timings["tracks"] += time.perf_counter() - at
            at = time.perf_counter()
            for first in range(0, count, BATCH_SIZE):
                batch = []
                for number in range(first, min(first + BATCH_SIZE, count)):
                    repetitions = rng.randint(1, 8)
                    interval = rng.randint(1, 120)
                    if number in due:  # due between an hour and 60 days ago
                        due_at = now - timedelta(seconds=rng.randint(3600, 60 * 86400))
                    else:  # due between a day and a year from now
                        due_at = now + timedelta(seconds=rng.randint(86400, 365 * 86400))
                    batch.append(
                        Card(
                            id=uuid.UUID(int=rng.getrandbits(128), version=4),
                            user=user,
                            track_id=track_ids[number],
                            easiness_factor=round(rng.uniform(1.3, 2.8), 2),
                            repetitions=repetitions,
                            interval_days=interval,
                            due_at=due_at,
                            last_reviewed_at=due_at - timedelta(days=interval),
                        )
                    )
                Card.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            timings["cards"] += time.perf_counter() - at
            counts[username] = (count, len(due))
    at = time.perf_counter()
    with connection.cursor() as cursor:
        # Tables in steady state, as autovacuum leaves them in production: planner
        # statistics and a visibility map.
        for model in (get_user_model(), Track, Card):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute(
            "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class"
            " WHERE relname = ANY(%s) ORDER BY relname",
            [[Track._meta.db_table, Card._meta.db_table, "card_user_due_idx", "card_user_drill_idx"]],
        )
        sizes = ", ".join("{} {}".format(*row) for row in cursor.fetchall())
        visible = _all_visible(cursor, Card._meta.db_table)
    vacuum = time.perf_counter() - at
    print(
        "seed: %s; tracks %.1fs, cards %.1fs (bulk_create, %d a batch), VACUUM ANALYZE %.1fs, total %.1fs"
        % (
            "; ".join("%s %d cards, %d due" % (name, total, due) for name, (total, due) in counts.items()),
            timings["tracks"],
            timings["cards"],
            BATCH_SIZE,
            vacuum,
            time.perf_counter() - started,
        )
    )
    print(f"  sizes: {sizes}; {visible}", flush=True)


def _all_visible(cursor, table: str) -> str:
    """How much of `table` the visibility map marks all-visible: the count of due cards reads the index
    alone only there (an index-only scan), and the planner picks one when most pages are."""
    cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table])
    pages, visible = cursor.fetchone()
    return "%s all-visible: %d of %d pages" % (table, visible, pages)


class _Bench:
    """The clients, the cards graded, and one request of each endpoint."""

    def __init__(self):
        from django.contrib.auth import get_user_model
        from rest_framework.test import APIClient
        from rest_framework_simplejwt.tokens import AccessToken

        from learning.models import Card

        users = get_user_model().objects
        self.small = users.get(username=SMALL_USER)
        self.large = users.get(username=LARGE_USER)
        self.clients = {}
        for user in (self.small, self.large):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
            self.clients[user.pk] = client
        # Every due card of the small user is graded in turn, in due order, round and round; the
        # cards graded are put back to their seeded state before fewer than a page is left due.
        due = Card.objects.filter(user=self.small, due_at__lte=datetime.now(UTC)).order_by("due_at", "id")
        self.grade_cards = [
            (row["id"], {"track_id": str(row["track_id"]), "grade": GRADE}, {name: row[name] for name in STATE_FIELDS})
            for row in due.values("id", "track_id", *STATE_FIELDS)
        ]
        self.next_grade = 0  # index in grade_cards of the next card to grade
        self.graded: list[int] = []  # indexes of the cards graded since they were last put back
        self.restore_after = len(self.grade_cards) - DUE_LIMIT
        if self.restore_after < 1:
            raise RuntimeError("the small user has %d due cards: fewer than a page and one" % len(self.grade_cards))
        self.due_path = "/api/learning/due/?limit=%d" % DUE_LIMIT
        self.endpoints = {
            "due-small": ("GET " + self.due_path, "--small user"),
            "due-large": ("GET " + self.due_path, "--large user"),
            "grade": ("POST /api/learning/grade/", "grade %d, next due card of --small" % GRADE),
            "me": ("GET /api/auth/me/", "--small user"),
        }

    def restore(self) -> None:
        """Put the cards graded so far back to their seeded, due state (one transaction)."""
        from django.db import transaction

        from learning.models import Card

        with transaction.atomic():
            for index in self.graded:
                pk, _, state = self.grade_cards[index]
                Card.objects.filter(pk=pk).update(**state)
        self.graded = []

    def prepare(self, name: str) -> None:
        """Untimed work before one request: every grade finds a due card, every due list a full page."""
        if len(self.graded) >= self.restore_after:
            self.restore()

    def send(self, name: str):
        if name == "due-small":
            return self.clients[self.small.pk].get(self.due_path)
        if name == "due-large":
            return self.clients[self.large.pk].get(self.due_path)
        if name == "grade":
            body = self.grade_cards[self.next_grade][1]
            self.graded.append(self.next_grade)
            self.next_grade = (self.next_grade + 1) % len(self.grade_cards)
            return self.clients[self.small.pk].post("/api/learning/grade/", body, format="json")
        return self.clients[self.small.pk].get("/api/auth/me/")

    def one(self, name: str) -> float:
        self.prepare(name)
        started = time.perf_counter()
        response = self.send(name)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{name} answered {response.status_code}: {response.content[:500]}")
        return elapsed

    def check(self) -> None:
        """Fail before measuring if an answer is not the one meant to be measured."""
        from learning.models import Card

        now = datetime.now(UTC)
        lines = []
        for name in ("due-small", "due-large"):
            self.prepare(name)
            response = self.send(name)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}: {response.content[:500]}")
            page = response.json()
            items = page["results"]
            due_at = [datetime.fromisoformat(item["card"]["due_at"]) for item in items]
            if len(items) != DUE_LIMIT or any(moment > now for moment in due_at) or due_at != sorted(due_at):
                raise RuntimeError("%s: %d items, not %d due ones in due order" % (name, len(items), DUE_LIMIT))
            if not all(item["mp3_url"] for item in items):
                raise RuntimeError(f"{name}: an item without mp3_url")
            user = self.small if name == "due-small" else self.large
            due_now = Card.objects.filter(user=user, due_at__lte=datetime.now(UTC)).count()  # no drills: grades pass
            if page["count"] != due_now or page["next"] is None:
                raise RuntimeError(f"{name}: count {page['count']} and next {page['next']!r}, not {due_now} and a link")
            size = len(response.content)
            lines.append("%s %d of %d due items in due order, %d bytes" % (name, len(items), page["count"], size))
        self.prepare("grade")
        response = self.send("grade")
        if response.status_code != 200:
            raise RuntimeError(f"grade answered {response.status_code}: {response.content[:500]}")
        state = response.json()
        if datetime.fromisoformat(state["due_at"]) <= now or state["drill"]:
            raise RuntimeError(f"grade: the card is still due: {state!r}")
        if state["track_id"] != self.grade_cards[self.graded[-1]][1]["track_id"]:
            raise RuntimeError(f"grade: the answer names another track: {state!r}")
        lines.append(
            "grade moved the card to %s (interval %d days, no drill)" % (state["due_at"][:10], state["interval_days"])
        )
        self.prepare("me")
        response = self.send("me")
        if response.status_code != 200 or response.json()["username"] != SMALL_USER:
            raise RuntimeError(f"me answered {response.status_code}: {response.content[:500]}")
        lines.append("me %d bytes" % len(response.content))
        print("check: " + "; ".join(lines), flush=True)


def _median_ms(values: list[float]) -> float:
    return 1000 * statistics.median(values)


def measure(bench: _Bench, rounds: int, requests: int) -> dict[str, list[list[float]]]:
    """Per endpoint, the times of each round; within a round the endpoints take turns request by request."""
    names = list(bench.endpoints)
    for _ in range(WARMUP_REQUESTS):
        for name in names:
            bench.one(name)
    times: dict[str, list[list[float]]] = {name: [] for name in names}
    for number in range(rounds):
        order = rotated(names, number)
        run: dict[str, list[float]] = {name: [] for name in order}
        # This process is a child of the benchmark, and PostgreSQL a child of its parent:
        # the whole tree under the parent is the benchmark's.
        with ForeignLoad(ours=os.getppid()) as foreign:
            for _ in range(requests):
                for name in order:
                    run[name].append(bench.one(name))
        for name in order:
            times[name].append(run[name])
            print(
                "round %d  %-9s median %7.3f ms  (min %7.3f, p90 %7.3f)"
                % (
                    number + 1,
                    name,
                    _median_ms(run[name]),
                    1000 * min(run[name]),
                    1000 * statistics.quantiles(run[name], n=10)[-1],
                ),
                flush=True,
            )
        print("round %d  %s" % (number + 1, foreign.describe()), flush=True)
    return times


def instrumented_pass(bench: _Bench, requests: int) -> dict[str, tuple[float, float, float]]:
    """(SQL queries per request, median ms in SQL, mean ms in garbage collection) of each endpoint.

    An extra pass, not in the medians: the SQL timer wraps every query, and collections
    are timed through gc.callbacks.
    """
    import gc

    from django.db import connection

    collecting = {"started": 0.0, "seconds": 0.0}

    def on_gc(phase, info) -> None:
        if phase == "start":
            collecting["started"] = time.perf_counter()
        else:
            collecting["seconds"] += time.perf_counter() - collecting["started"]

    result = {}
    gc.callbacks.append(on_gc)
    try:
        for name in bench.endpoints:
            queries, seconds = [], []
            collecting["seconds"] = 0.0
            for _ in range(requests):
                bench.prepare(name)
                spent = [0, 0.0]

                def wrapper(execute, sql, params, many, context, spent=spent):
                    started = time.perf_counter()
                    try:
                        return execute(sql, params, many, context)
                    finally:
                        spent[0] += 1
                        spent[1] += time.perf_counter() - started

                with connection.execute_wrapper(wrapper):
                    bench.send(name)
                queries.append(spent[0])
                seconds.append(spent[1])
            result[name] = (statistics.median(queries), _median_ms(seconds), 1000 * collecting["seconds"] / requests)
    finally:
        gc.callbacks.remove(on_gc)
    return result


def report(
    bench: _Bench,
    times: dict[str, list[list[float]]],
    extra: dict[str, tuple[float, float, float]],
    extra_requests: int,
) -> None:
    rounds, requests = len(times["me"]), len(times["me"][0])
    medians = {name: _median_ms([t for run in runs for t in run]) for name, runs in times.items()}
    print()
    print(
        "medians per request over %d rounds x %d requests (auth: JWT access token, Bearer header);" % (rounds, requests)
    )
    print(
        "after |, from an extra pass of %d requests each: SQL queries (JWT's user query included), median "
        "time in SQL, mean time in garbage collection:" % extra_requests
    )
    for name, (path, who) in bench.endpoints.items():
        queries, in_sql, in_gc = extra[name]
        print(
            "  %-9s %-32s %-34s %8.3f ms  | %2g queries, %6.3f ms in SQL, %6.3f ms in GC"
            % (name, path, who, medians[name], queries, in_sql, in_gc)
        )
    print()
    checks = (
        ("due-large", "due-small", TARGETS["scale"]),
        ("due-small", "me", TARGETS["due"]),
        ("due-large", "me", TARGETS["due"]),
        ("grade", "me", TARGETS["grade"]),
    )
    for measured, reference, target in checks:
        ratio = medians[measured] / medians[reference]
        per_round = ", ".join(
            "%.2f" % (statistics.median(m) / statistics.median(r))
            for m, r in zip(times[measured], times[reference], strict=False)
        )
        print(
            "ratio {} / {} = {:.2f}  (target <= {:g}: {})  per round: {}".format(
                measured, reference, ratio, target, "MET" if ratio <= target else "NOT MET", per_round
            )
        )


def explain(bench: _Bench) -> None:
    """EXPLAIN ANALYZE of the very queries (SQL and parameters) a due page of the large user runs."""
    from django.db import connection
    from django.utils import timezone

    from learning import selectors
    from learning.models import Card

    now = timezone.now()
    ran = []

    def capture(execute, sql, params, many, context):
        ran.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    cards = selectors.due_cards(user=bench.large, now=now)
    with connection.execute_wrapper(capture):
        cards.count()  # what the paginator asks, in its order: the count, then the page
        cards[0:DUE_LIMIT]
    # (label, the index it should use, the selector's own queryset when there is one to compare with)
    drills, due = selectors.due_querysets(user=bench.large, now=now)
    expected = [
        ("count of the cards due by now", "Index Only Scan using card_user_due_idx", None),
        ("count of today's drills", "card_user_drill_idx", None),
        ("today's drills", "card_user_drill_idx", drills[:DUE_LIMIT]),
        ("due cards", "card_user_due_idx", due[:DUE_LIMIT]),
    ]
    if not cards.counts()[0]:
        del expected[2]  # no drill today: the page does not read that part
    with connection.cursor() as cursor:
        visible = _all_visible(cursor, Card._meta.db_table)
    print()
    print(
        "EXPLAIN (ANALYZE, BUFFERS) of the %d queries of learning.selectors.due_cards for a page of the --large "
        "user, limit %d (the %d expected: %s; %s):"
        % (len(ran), DUE_LIMIT, len(expected), "yes" if len(ran) == len(expected) else "NO", visible)
    )
    for (sql, params), (label, index, qs) in zip(ran, expected, strict=False):
        if qs is not None:
            built, built_params = qs.query.get_compiler(qs.db).as_sql()
            if (built, tuple(built_params)) != (sql, params):
                label += " (NOT the SQL of the selector's queryset)"
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print()
        print("-- {}: uses {}: {}".format(label, index, "yes" if index in plan else "NO"))
        for line in plan.splitlines():
            print("   " + line)


def profile(bench: _Bench, requests: int) -> None:
    import cProfile
    import pstats

    for name in bench.endpoints:
        profiler = cProfile.Profile()
        for _ in range(requests):
            bench.prepare(name)
            profiler.enable()
            bench.send(name)
            profiler.disable()
        print()
        print(
            "cProfile of %d %s requests (%s), top by own time, then by cumulative time:"
            % (requests, name, bench.endpoints[name][0])
        )
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(40)


def child_measure(rounds: int, requests: int, profile_requests: int) -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection

    bench = _Bench()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        "settings: DEBUG={}, database {} {}, cache {}, Celery eager {}, throttles {}/{}, storage {}".format(
            settings.DEBUG,
            connection.vendor,
            version,
            settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            settings.CELERY_TASK_ALWAYS_EAGER,
            settings.THROTTLE_ANON_RATE,
            settings.THROTTLE_USER_RATE,
            "S3" if settings.STORAGE_USES_S3 else "local files (URLs signed with django.core.signing)",
        ),
        flush=True,
    )
    bench.check()
    times = measure(bench, rounds, requests)
    extra_requests = min(requests, 100)
    report(bench, times, instrumented_pass(bench, extra_requests), extra_requests)
    explain(bench)
    if profile_requests:
        profile(bench, profile_requests)


# --- parent -----------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    print(
        "config: --small %d and --large %d cards (%d%% due), %d rounds x %d requests per endpoint "
        "(+%d warm-up), due limit %d"
        % (args.small, args.large, round(100 * DUE_FRACTION), args.rounds, args.requests, WARMUP_REQUESTS, DUE_LIMIT),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="due-bench-") as tmp, Stack(services=("postgres",)) as stack:
        env = django_env(tmp, CHILD_ENV, stack.env)  # DATABASE_URL only: no Redis
        started = time.monotonic()
        run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
        print("setup: PostgreSQL started and migrated in %.1fs" % (time.monotonic() - started), flush=True)
        run_python(
            env, "-m", "bench.due_bench", "--child", "seed", "--small", str(args.small), "--large", str(args.large)
        )
        run_python(
            env,
            "-m",
            "bench.due_bench",
            "--child",
            "measure",
            "--rounds",
            str(args.rounds),
            "--requests",
            str(args.requests),
            "--profile",
            str(args.profile),
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.due_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="cards of the small user (default 1000)")
    parser.add_argument("--large", type=int, default=100_000, help="cards of the large user (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint and round (default 200)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile N requests of each endpoint (default 0: no profile)",
    )
    parser.add_argument("--child", choices=("seed", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    minimum = round(DUE_LIMIT / DUE_FRACTION) * 2  # a full due page with room to spare
    if args.small < minimum or args.large < minimum:
        parser.error(
            "--small and --large must be at least %d (%d%% due must fill a page of %d)"
            % (minimum, round(100 * DUE_FRACTION), DUE_LIMIT)
        )
    if args.rounds < 1 or args.requests < 2:
        parser.error("--rounds must be at least 1 and --requests at least 2")
    if args.profile < 0:
        parser.error("--profile must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        try:
            if args.child == "seed":
                child_seed(args.small, args.large)
            else:
                child_measure(args.rounds, args.requests, args.profile)
        except KeyboardInterrupt:  # Ctrl-C reaches the children too; the parent reports it
            return 130
        return 0

    return run_benchmark(lambda: run(args), interrupted="PostgreSQL stopped")


if __name__ == "__main__":
    sys.exit(main())
