"""core.pacing: a request budget and pauses shared through the cache (Redis under `make test`)."""

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


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("30", 30.0), ("0", 0.0), ("2.5", 2.5), (None, 60.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 60.0), ("-5", 60.0)],
)
def test_retry_after_header(header, seconds):
    assert retry_after_seconds(header) == seconds
