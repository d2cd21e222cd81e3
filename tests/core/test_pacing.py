"""core.pacing: a request budget and pauses shared through the cache (Redis under `make test`)."""

import multiprocessing

import pytest

from core.pacing import Pace, PaceTimeout, retry_after_seconds


class Clock:
    """Time that moves only when the pace sleeps (or a test says so)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pace(clock: Clock, *, name: str = "test", limit: int = 3, period: float = 10.0) -> Pace:
    return Pace(name, limit=limit, period=period, clock=clock, sleep=clock.sleep)


def test_requests_within_the_limit_do_not_wait():
    clock = Clock()
    budget = pace(clock)
    for _ in range(3):
        budget.acquire()
    assert clock.slept == []
    assert budget.used() == 3


def test_the_next_request_waits_until_the_oldest_leaves_the_window():
    clock = Clock()
    budget = pace(clock)
    for _ in range(3):
        budget.acquire()
    budget.acquire()
    waited = sum(clock.slept)
    assert 9.0 < waited <= 11.0  # the first three leave after one period (to a tenth of it)
    assert budget.used() == 1


def test_the_rate_over_a_long_run_stays_within_the_limit():
    clock = Clock()
    budget = pace(clock, limit=5, period=10.0)
    start = clock.now
    for _ in range(50):
        budget.acquire()
    # 50 requests at 5 per 10 s need at least 90 s (the first 5 are free).
    assert clock.now - start >= 90.0 - 1e-6


def test_two_processes_share_one_budget():
    clock = Clock()
    first, second = pace(clock), pace(clock)  # same name: what two workers build
    first.acquire()
    first.acquire()
    second.acquire()
    assert clock.slept == []
    second.acquire()
    assert sum(clock.slept) > 9.0


def test_budgets_of_other_services_are_separate():
    clock = Clock()
    for _ in range(3):
        pace(clock, name="a").acquire()
    pace(clock, name="b").acquire()
    assert clock.slept == []


def test_a_pause_stops_every_process_for_its_length():
    clock = Clock()
    pace(clock).pause(30)
    other = pace(clock)
    assert other.paused_for() == pytest.approx(30)
    other.acquire()
    assert sum(clock.slept) == pytest.approx(30, abs=0.1)


def test_a_shorter_pause_does_not_shorten_a_longer_one():
    clock = Clock()
    budget = pace(clock)
    budget.pause(60)
    budget.pause(5)
    assert budget.paused_for() == pytest.approx(60)


def test_waiting_past_a_deadline_raises_instead_of_sleeping():
    clock = Clock()
    budget = pace(clock)
    budget.pause(120)
    with pytest.raises(PaceTimeout) as raised:
        budget.acquire(deadline=clock.now + 10)
    assert raised.value.wait_seconds == pytest.approx(120)
    assert clock.slept == []


def test_a_full_window_past_the_deadline_raises_too():
    clock = Clock()
    budget = pace(clock)
    for _ in range(3):
        budget.acquire()
    with pytest.raises(PaceTimeout):
        budget.acquire(deadline=clock.now + 0.5)
    assert budget.used() == 3  # the refused request took no slot


@pytest.mark.parametrize("limit, period", [(0, 10), (5, 0), (-1, 10)])
def test_a_budget_needs_a_limit_and_a_period(limit, period):
    with pytest.raises(ValueError):
        Pace("x", limit=limit, period=period)


def test_a_process_whose_clock_is_behind_counts_what_the_others_took_after_its_reading():
    # A clock reading from just before a sub-window boundary (taken before a delay, or another
    # host's clock a little behind) must still see the slots taken just after it.
    ahead = Clock(start=1_000_000.0)
    behind = Clock(start=ahead.now - 0.001)
    for _ in range(3):
        pace(ahead).acquire()
    with pytest.raises(PaceTimeout):
        pace(behind).acquire(deadline=behind.now)
    assert pace(ahead).used() == 3


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (" 7 ", 7.0),
        (None, 60.0),
        ("-5", 60.0),
        ("nan", 60.0),
        ("inf", 60.0),
        ("", 60.0),
        ("soon", 60.0),
        ("Wed, 32 Oct 2026 07:28:00 GMT", 60.0),  # no such day
        ("Wed, 21 Oct 2026", 60.0),  # no time
    ],
)
def test_retry_after_header(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_over_a_day_is_a_day():
    # Callers pause a budget (a Redis key's time to live) and defer a task (a countdown) by it.
    assert retry_after_seconds("99999999999") == 24 * 3600.0


# 1994-11-06 08:49:37 UTC, the example date of RFC 9110, as a Unix time (an oracle outside the code).
RFC_EXAMPLE = 784111777.0


@pytest.mark.parametrize(
    "header",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",  # obsolete asctime, no zone: UTC
    ],
)
def test_retry_after_http_dates_are_seconds_from_now(header):
    assert retry_after_seconds(header, clock=Clock(start=RFC_EXAMPLE - 90)) == 90.0


def test_retry_after_a_date_already_past_is_now():
    assert retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", clock=Clock(start=RFC_EXAMPLE + 3600)) == 0.0


def test_retry_after_a_date_years_ahead_is_capped_at_a_day():
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", clock=Clock(start=RFC_EXAMPLE)) == 24 * 3600.0


# --- processes racing for one budget ------------------------------------------------------------


def _take_slots(cache_folder, name, limit, period, now, attempts, start, results):
    """One worker process: after the start barrier, `attempts` tries to take a slot; reports how many it got."""
    if cache_folder is None:
        budget_cache = None  # the project's cache: Redis under `make test`
    else:
        from django.core.cache.backends.filebased import FileBasedCache

        budget_cache = FileBasedCache(cache_folder, {})
    budget = Pace(name, limit=limit, period=period, cache=budget_cache, clock=lambda: now)
    taken = 0
    start.wait(timeout=60)
    for _ in range(attempts):
        try:
            budget.acquire(deadline=now)  # one try: a refusal raises instead of sleeping
        except PaceTimeout:
            continue
        taken += 1
    results.put(taken)


def _race(*, cache_folder, name: str, limit: int, clocks: list[float], attempts: int) -> list[int]:
    """What each of len(clocks) processes took, racing from one barrier, each with its clock stopped at its value."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters, as separate workers are
    start, results = context.Barrier(len(clocks)), context.Queue()
    processes = [
        context.Process(
            target=_take_slots, args=(cache_folder, name, limit, PERIOD, now, attempts, start, results), daemon=True
        )
        for now in clocks
    ]
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


PERIOD = 10.0
# Just before and just after a sub-window boundary (a millisecond apart): what two workers read
# when one was delayed between reading its clock and writing, or one host's clock is a little behind.
BOUNDARY = 1_000_001.0
STRADDLING = [BOUNDARY - 0.001, BOUNDARY + 0.001, BOUNDARY - 0.001, BOUNDARY + 0.001]


def _assert_limit_held(taken: list[int], limit: int) -> None:
    assert len(taken) == len(STRADDLING)  # every process reported
    # Never more than the limit in one period, and the budget not left unused (all processes try far more often).
    assert sum(taken) == limit, taken


@pytest.mark.services
def test_processes_racing_on_redis_never_take_more_than_the_limit(settings):
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.FastRedisCache"
    limit = 40
    for race in range(3):  # a fresh budget each time: three chances for a wrong rule to show
        taken = _race(cache_folder=None, name=f"race-{race}", limit=limit, clocks=STRADDLING, attempts=3 * limit)
        _assert_limit_held(taken, limit)
        assert Pace(f"race-{race}", limit=limit, period=PERIOD, clock=lambda: BOUNDARY + 0.001).used() == limit


def test_processes_racing_on_the_file_cache_never_take_more_than_the_limit(tmp_path):
    limit = 40
    for race in range(3):
        taken = _race(
            cache_folder=str(tmp_path), name=f"race-{race}", limit=limit, clocks=STRADDLING, attempts=3 * limit
        )
        _assert_limit_held(taken, limit)
