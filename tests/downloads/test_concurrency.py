"""Ten requests of one user at once, through a real server: the active-downloads limit still holds.

The job does not run: the queue call is recorded instead (there is no SoundCloud here).
"""

import threading
import time

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from downloads.models import Download
from tests.factories import UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TRACK = {"id": "123456", "url": "https://soundcloud.com/artist/track", "title": "Track", "artist": "Artist"}
REQUESTS = 10
LIMIT = 3


def test_concurrent_requests_of_one_user_never_pass_the_active_limit(live_server, monkeypatch, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.DOWNLOADS_MAX_ACTIVE_PER_USER = LIMIT
    user = UserFactory()
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    answered = []  # (status, Retry-After, body) of each request, as they come back
    queued = []
    first = threading.Lock()

    def others_blocked_or_answered(cursor) -> int:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] + len(answered)

    def enqueue_holding_the_first(task, *args):
        # Called inside the creating transaction, after the insert. The first request to get here keeps
        # its download uncommitted until each of the nine others either waits for a lock or has been
        # answered: a count that ignores uncommitted downloads lets them all in; one that waits, does not.
        queued.append(args)
        if not first.acquire(blocking=False):
            return
        deadline = time.monotonic() + 30
        with connection.cursor() as cursor:
            while others_blocked_or_answered(cursor) < REQUESTS - 1:
                if time.monotonic() > deadline:
                    raise AssertionError("the other requests neither waited for a lock nor were answered")
                time.sleep(0.01)

    monkeypatch.setattr("downloads.services.enqueue_after_commit", enqueue_holding_the_first)
    start = threading.Barrier(REQUESTS)
    errors = []

    def post() -> None:
        try:
            start.wait(timeout=30)
            response = requests.post(
                f"{live_server.url}/api/downloads/", json={"tracks": [TRACK]}, headers=headers, timeout=60
            )
            answered.append((response.status_code, response.headers.get("Retry-After"), response.json()))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(status for status, _, _ in answered) == [202] * LIMIT + [429] * (REQUESTS - LIMIT)
    refusals = [(retry_after, body) for status, retry_after, body in answered if status == 429]
    for retry_after, body in refusals:
        assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1
        assert body == {"detail": f"You have {LIMIT} downloads pending or running; try again when one has finished."}
    assert Download.objects.filter(owner=user).count() == LIMIT
    assert len(queued) == LIMIT
