"""A request budget for an outside service, shared by every worker process: pacing and pauses.

Outside services limit how often they may be called (SoundCloud about 600 requests per 10
minutes per client, Spotify a rolling 30-second window) and answer 429 with a `Retry-After` when
a client goes over. A limit is per client, not per process: two workers that each keep to it
together exceed it. So the budget lives in the shared cache (Redis when REDIS_URL is set; the
file cache of the embedded default otherwise) and every process asks it before each request:

* **Pacing.** `Pace.acquire()` waits until fewer than `limit` requests were made in the last
  `period` seconds, counting them in ten sub-windows of `period / 10` (a sliding window to
  within a tenth of the period), then counts its own.
* **Pauses.** `Pace.pause(seconds)` stops every process's requests for that long: a 429's
  `Retry-After` is written once and honoured by all of them, instead of each finding out with
  its own 429. `acquire()` waits for a pause to end like it waits for a free slot.

Taking a slot is one step: look at the pause, sum the sub-windows, count one more only when
under the limit. As separate cache calls (check, INCR, check again, give back) the bound held
only between processes that read the same sub-window: one whose reading was a sub-window behind
another's (taken just before a boundary and used just after it, or a host's clock a little
behind) summed sub-windows without the other's newest, saw room, and the period ended over the
limit; a pause written between the check and the INCR was not honoured; two racing for the last
slot could both give it back; and the file cache's incr (a read, then a write) lost counts
between processes. What each backend guarantees now:

* **Redis**: the step is a Lua script (`_TAKE`), which Redis runs atomically, so at most
  `limit` requests are counted in any sub-window view, whatever the number of processes and
  hosts (with clocks within a period of each other). Each step also sums the sub-windows
  *after* its own (up to a period ahead): a process whose clock is behind counts what processes
  ahead of it took, so a bound that holds for the view of the last writer holds for every view.
  A pause is raised, never lowered, by a script too.
* **File cache** (the embedded default: one machine, a worker with a few processes and
  threads): the same step under an exclusive `flock` on a file beside the cache, so it is
  atomic for every process and thread of the machine. Another backend (a per-process cache)
  gets a lock for the threads of one process only.

Waiting is bounded: `acquire(deadline=...)` raises `PaceTimeout` rather than sleep past a
time limit, so a caller can reschedule its work instead of holding a worker.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC

from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCacheClient

SUB_WINDOWS = 10
# The longest Retry-After honoured: a server asking for more (or a bogus value) is asked again then.
MAX_RETRY_AFTER_SECONDS = 24 * 3600

# KEYS[1]: the pause's end; KEYS[2..]: the sub-window counters to sum, the current one at KEYS[ARGV[5]].
# ARGV: now, limit, the wait when the budget is full, the counters' time to live, the current one's index.
# Returns "0" when a slot was taken, else the seconds to wait (text: a Lua number returned as a
# reply is cut to an integer).
_TAKE = """
local now = tonumber(ARGV[1])
local raw = redis.call('GET', KEYS[1])
local paused_until = raw and tonumber(raw) or 0
if paused_until > now then
  return tostring(paused_until - now)
end
local used = 0
local counts = redis.call('MGET', unpack(KEYS, 2))
for i = 1, #counts do
  local count = counts[i] and tonumber(counts[i])
  if count then used = used + count end
end
if used >= tonumber(ARGV[2]) then
  return ARGV[3]
end
local current = KEYS[tonumber(ARGV[5])]
redis.call('INCR', current)
redis.call('EXPIRE', current, ARGV[4])
return '0'
"""
# KEYS[1]: the pause's end; ARGV: the new end, its time to live. A later end already set is kept.
_PAUSE = """
local raw = redis.call('GET', KEYS[1])
local current = raw and tonumber(raw) or 0
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 0
"""
# A cache without Redis and without files is one process's: its threads share this lock.
_PROCESS_LOCK = threading.Lock()


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
        # A counter is summed by clocks up to a period behind the one that wrote it, and up to a period after.
        self.counter_ttl = max(math.ceil(2 * self.period + self.window), 1)
        self.cache = cache or default_cache
        self.clock, self.sleep = clock, sleep

    # --- the backends ---------------------------------------------------------------------------

    def _redis(self):
        """The redis-py client under Django's Redis cache, or None for another backend."""
        backend = getattr(self.cache, "_cache", None)  # Django's RedisCache (and core.cache's) keeps its client here
        return backend.get_client(write=True) if isinstance(backend, RedisCacheClient) else None

    def _raw_key(self, key: str) -> str:
        return self.cache.make_key(key)  # the cache's prefix and version, as its own keys have

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This budget to the caller alone on this machine (not used on Redis, where a script is atomic)."""
        folder = getattr(self.cache, "_dir", None)  # Django's FileBasedCache
        if folder is None:
            with _PROCESS_LOCK:
                yield
            return
        os.makedirs(folder, exist_ok=True)
        digest = hashlib.sha256(self.name.encode()).hexdigest()[:16]
        # flock locks an open file, so every open() (each process, each thread) waits for the others;
        # closing the file releases it, also when the process dies.
        with open(os.path.join(folder, f"pace-{digest}.lock"), "ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    # --- pauses ---------------------------------------------------------------------------------

    def _pause_key(self) -> str:
        return f"pace:{self.name}:paused-until"

    def pause(self, seconds: float) -> None:
        """No request from any process for `seconds` (a later pause already set is kept)."""
        until = self.clock() + max(float(seconds), 0.0)
        ttl = math.ceil(max(float(seconds), 0.0)) + 1
        client = self._redis()
        if client is not None:
            client.register_script(_PAUSE)(keys=[self._raw_key(self._pause_key())], args=[repr(until), ttl])
            return
        with self._exclusive():
            if until > self.paused_until():
                self.cache.set(self._pause_key(), until, timeout=ttl)

    def paused_until(self) -> float:
        client = self._redis()
        if client is None:
            return float(self.cache.get(self._pause_key()) or 0.0)
        try:
            return float(client.get(self._raw_key(self._pause_key())) or 0.0)
        except ValueError:  # not written by this module: no pause
            return 0.0

    def paused_for(self) -> float:
        """Seconds until the current pause ends (0 when there is none)."""
        return max(self.paused_until() - self.clock(), 0.0)

    # --- pacing ---------------------------------------------------------------------------------

    def _key(self, index: int) -> str:
        return f"pace:{self.name}:{index}"

    def _current(self, now: float) -> int:
        return int(now // self.window)

    def _view(self, current: int) -> list[str]:
        """The sub-windows of the last period, oldest first."""
        return [self._key(i) for i in range(current - SUB_WINDOWS + 1, current + 1)]

    def _checked(self, current: int) -> list[str]:
        """What a take sums: its view, and the sub-windows of clocks up to a period ahead."""
        return [self._key(i) for i in range(current - SUB_WINDOWS + 1, current + SUB_WINDOWS)]

    def _full_wait(self, now: float) -> float:
        return self.window - (now % self.window) + 0.01  # the oldest sub-window leaves

    def used(self, now: float | None = None) -> int:
        """Requests counted in the last `period` seconds."""
        keys = self._view(self._current(self.clock() if now is None else now))
        client = self._redis()
        if client is None:
            return sum(int(v) for v in self.cache.get_many(keys).values())
        return sum(int(v) for v in client.mget([self._raw_key(k) for k in keys]) if v is not None)

    def _try_take(self) -> float:
        """Take a slot (0.0) or say how long to wait before trying again: one atomic step."""
        client = self._redis()
        if client is not None:
            now = self.clock()
            current = self._current(now)
            keys = [self._raw_key(self._pause_key()), *(self._raw_key(k) for k in self._checked(current))]
            args = [repr(now), self.limit, repr(self._full_wait(now)), self.counter_ttl, SUB_WINDOWS + 1]
            return float(client.register_script(_TAKE)(keys=keys, args=args))
        with self._exclusive():
            now = self.clock()  # read under the lock: a reading taken before waiting for it would be stale
            paused = self.paused_until() - now
            if paused > 0:
                return paused
            current = self._current(now)
            if sum(int(v) for v in self.cache.get_many(self._checked(current)).values()) >= self.limit:
                return self._full_wait(now)
            key = self._key(current)
            self.cache.set(key, int(self.cache.get(key) or 0) + 1, timeout=self.counter_ttl)
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


def retry_after_seconds(value: str | None, *, default: float = 60.0, clock: Callable[[], float] = time.time) -> float:
    """A `Retry-After` header's seconds from now, at most MAX_RETRY_AFTER_SECONDS.

    RFC 9110 (10.2.3) allows delta-seconds or an HTTP date: the IMF-fixdate
    (`Sun, 06 Nov 1994 08:49:37 GMT`) and the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`)
    and asctime (`Sun Nov  6 08:49:37 1994`) forms, all in UTC. A date already past is 0; no
    header, or one that is neither (negative, not a number, not a date) is `default`.
    """
    if value is None:
        return default
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            date = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return default
        if date.tzinfo is None:  # asctime has no zone: HTTP dates are UTC
            date = date.replace(tzinfo=UTC)
        seconds = max(date.timestamp() - clock(), 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return default
    return min(seconds, MAX_RETRY_AFTER_SECONDS)
