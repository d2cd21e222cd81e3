"""A request budget for an outside service, shared by every worker process: pacing and pauses.

Outside services limit how often they may be called (SoundCloud about 600 requests per 10
minutes per client, Spotify a rolling 30-second window) and answer 429 with a `Retry-After` when
a client goes over. A limit is per client, not per process: two workers that each keep to it
together exceed it. So the budget lives in the shared cache (Redis when REDIS_URL is set; the
file cache of the embedded default otherwise) and every process asks it before each request:

* **Pacing.** `Pace.acquire()` waits until fewer than `limit` requests were made in the last
  `period` seconds, counting them in ten sub-windows of `period / 10` (a sliding window to
  within a tenth of the period), then counts its own. Redis counts atomically (INCR); a request
  counted over the limit by a race gives its slot back and waits.
* **Pauses.** `Pace.pause(seconds)` stops every process's requests for that long: a 429's
  `Retry-After` is written once and honoured by all of them, instead of each finding out with
  its own 429. `acquire()` waits for a pause to end like it waits for a free slot.

Waiting is bounded: `acquire(deadline=...)` raises `PaceTimeout` rather than sleep past a
time limit, so a caller can reschedule its work instead of holding a worker. The file cache's
counters are not atomic across processes; the embedded default runs one worker, where that does
not matter.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable

from django.core.cache import cache as default_cache

SUB_WINDOWS = 10


class PaceTimeout(Exception):
    """The budget would not allow a request before the caller's deadline."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"the request budget is used up for another {wait_seconds:.0f} s")
        self.wait_seconds = wait_seconds


class Pace:
    """At most `limit` requests per `period` seconds to one service, across every process."""

    def __init__(
        self,
        name: str,
        *,
        limit: int,
        period: float,
        cache=None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("a pace needs a limit of at least 1 and a positive period")
        self.name, self.limit, self.period = name, limit, float(period)
        self.window = self.period / SUB_WINDOWS
        self.cache = cache or default_cache
        self.clock, self.sleep = clock, sleep

    # --- pauses ---------------------------------------------------------------------------------

    def _pause_key(self) -> str:
        return f"pace:{self.name}:paused-until"

    def pause(self, seconds: float) -> None:
        """No request from any process for `seconds` (a later pause already set is kept)."""
        until = self.clock() + max(float(seconds), 0.0)
        if until > self.paused_until():
            self.cache.set(self._pause_key(), until, timeout=math.ceil(seconds) + 1)

    def paused_until(self) -> float:
        return float(self.cache.get(self._pause_key()) or 0.0)

    def paused_for(self) -> float:
        """Seconds until the current pause ends (0 when there is none)."""
        return max(self.paused_until() - self.clock(), 0.0)

    # --- pacing ---------------------------------------------------------------------------------

    def _key(self, index: int) -> str:
        return f"pace:{self.name}:{index}"

    def _window_keys(self, now: float) -> tuple[str, list[str]]:
        current = int(now // self.window)
        return self._key(current), [self._key(i) for i in range(current - SUB_WINDOWS + 1, current + 1)]

    def used(self, now: float | None = None) -> int:
        """Requests counted in the last `period` seconds."""
        _, keys = self._window_keys(self.clock() if now is None else now)
        return sum(int(v) for v in self.cache.get_many(keys).values())

    def _try_take(self) -> float:
        """Take a slot (0.0) or say how long to wait before trying again."""
        now = self.clock()
        paused = self.paused_until() - now
        if paused > 0:
            return paused
        current, keys = self._window_keys(now)
        if self.used(now) >= self.limit:
            return self.window - (now % self.window) + 0.01  # the oldest sub-window leaves
        self.cache.add(current, 0, timeout=math.ceil(self.period + self.window))
        try:
            self.cache.incr(current)
        except ValueError:  # expired between add and incr
            self.cache.set(current, 1, timeout=math.ceil(self.period + self.window))
        if self.used(now) > self.limit:  # another process took the last slot at the same moment
            with contextlib.suppress(ValueError):  # the counter expired meanwhile: nothing to give back
                self.cache.decr(current)
            return self.window / SUB_WINDOWS
        return 0.0

    def acquire(self, *, deadline: float | None = None) -> None:
        """Wait for a free slot and no pause, then count one request.

        `deadline` is a `clock()` time; PaceTimeout is raised instead of waiting past it.
        """
        while True:
            wait = self._try_take()
            if wait <= 0:
                return
            if deadline is not None and self.clock() + wait > deadline:
                raise PaceTimeout(wait)
            self.sleep(min(wait, 5.0))


def retry_after_seconds(value: str | None, *, default: float = 60.0) -> float:
    """A `Retry-After` header's seconds (a number; an HTTP date is read as `default`)."""
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        return default
    return seconds if math.isfinite(seconds) and seconds >= 0 else default
