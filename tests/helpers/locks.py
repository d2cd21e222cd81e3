"""Forcing two transactions to really contend in PostgreSQL, for the concurrency tests."""

import time


def wait_for_a_blocked_lock(cursor, seconds: float = 10) -> None:
    """Return once another backend waits for a lock (pg_locks is live, not a per-transaction snapshot)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        if cursor.fetchone()[0]:
            return
        time.sleep(0.01)
    raise AssertionError("no other transaction ever waited for a lock")
