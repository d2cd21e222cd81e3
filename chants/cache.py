"""Caches of song details, the public catalogue's most read and least written data.

Two tiers:
- the shared cache (Redis in production), the truth after the database: readers fill
  it with `add` (only when the key is absent); writers overwrite it with `put` after
  their transaction commits, and a deleted song leaves a GONE marker. So a reader that
  loaded a song just before a write committed can never overwrite the newer entry. A
  write made around the services (a shell, a raw UPDATE) shows after TTL_SECONDS.
- a per-process micro-cache of one second, used only for anonymous reads: the process
  that commits a write updates its own copy at once, other processes within a second.
  Logged-in users, who are the ones editing, always read the shared tier.
"""

import threading
import time
from collections import OrderedDict

from django.core.cache import cache

TTL_SECONDS = 300
LOCAL_TTL_SECONDS = 1.0
LOCAL_MAX_ENTRIES = 4096
GONE = "gone"

_local: OrderedDict[str, tuple[float, object]] = OrderedDict()
_local_lock = threading.Lock()


def _key(song_id: str) -> str:
    return f"chants:song:v1:{song_id}"


def get(song_id: str):
    """The cached detail row, GONE for a deleted song, or None when not cached."""
    return cache.get(_key(song_id))


def add(row: dict) -> None:
    cache.add(_key(str(row["id"])), row, TTL_SECONDS)


def put(row: dict) -> None:
    song_id = str(row["id"])
    cache.set(_key(song_id), row, TTL_SECONDS)
    remember_locally(song_id, row)


def mark_gone(song_id) -> None:
    song_id = str(song_id)
    cache.set(_key(song_id), GONE, TTL_SECONDS)
    remember_locally(song_id, GONE)


def get_recent(song_id: str):
    """This process's copy if it is under a second old, else None."""
    with _local_lock:
        entry = _local.get(song_id)
        if entry is None:
            return None
        stored_at, value = entry
        if time.monotonic() - stored_at > LOCAL_TTL_SECONDS:
            del _local[song_id]
            return None
        return value


def remember_locally(song_id: str, value) -> None:
    with _local_lock:
        _local[song_id] = (time.monotonic(), value)
        _local.move_to_end(song_id)
        while len(_local) > LOCAL_MAX_ENTRIES:
            _local.popitem(last=False)


def clear_local() -> None:
    with _local_lock:
        _local.clear()
