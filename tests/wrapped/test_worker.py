"""The Spotify jobs through real Celery worker processes, Redis and PostgreSQL, against the fake Spotify."""

import time
from datetime import date

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from tests.fakes.spotify import FakeSpotify
from tests.helpers.worker import CeleryWorker
from tests.wrapped.test_monthly import linked
from tests.wrapped.test_release_radar import catalogue
from wrapped import services, tasks
from wrapped.models import ReleaseRadarWeek, WrappedMonth

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUE = "spotify-tests"


@pytest.fixture
def spotify_workers(settings, tmp_path):
    """A fake Spotify and two single-process workers pointed at it (two processes, one shared budget)."""
    with FakeSpotify() as fake:
        env = {
            "SPOTIFY_API_BASE_URL": fake.api_url,
            "SPOTIFY_ACCOUNTS_BASE_URL": fake.accounts_url,
            "SPOTIFY_CLIENT_ID": fake.client_id,
            "SPOTIFY_CLIENT_SECRET": fake.client_secret,
            "SPOTIFY_REDIRECT_URI": "http://127.0.0.1/callback",
            "SPOTIFY_QUEUE": QUEUE,  # a queue of their own: the suite's other worker knows no fake Spotify
        }
        for name, value in env.items():
            setattr(settings, name, value)
        workers = [
            CeleryWorker(log_dir=tmp_path, name=f"spotify{n}", concurrency=1, queues=QUEUE, env=env) for n in range(2)
        ]
        celery_app.conf.task_always_eager = False
        try:
            for worker in workers:
                worker.start()
            yield fake, workers
        finally:
            celery_app.conf.task_always_eager = True
            for worker in workers:
                worker.stop()


def wait_for(condition, workers, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out:\n" + "\n".join(w.log_tail() for w in workers))


def test_the_monthly_run_fans_out_to_the_workers_and_a_re_run_changes_nothing(spotify_workers):
    fake, workers = spotify_workers
    accounts = [linked(fake, user_id=f"user{n}", tracks=5) for n in range(3)]
    month = services.previous_month_key(timezone.now().date())
    tasks.wrapped_monthly.apply_async(queue=QUEUE)
    wait_for(lambda: WrappedMonth.objects.filter(month_key=month, status="done").count() == 3, workers)
    playlists = dict(WrappedMonth.objects.values_list("user_id", "playlist_id"))
    first_end = dict(WrappedMonth.objects.values_list("user_id", "finished_at"))
    tasks.wrapped_monthly.apply_async(queue=QUEUE)
    wait_for(lambda: sum(1 for m, p, _ in fake.requests if m == "PUT" and p.endswith("/items")) == 6, workers)
    wait_for(lambda: WrappedMonth.objects.filter(month_key=month, status="done").count() == 3, workers)
    assert (
        WrappedMonth.objects.count() == 3
        and dict(WrappedMonth.objects.values_list("user_id", "playlist_id")) == playlists
    )
    again = WrappedMonth.objects.all()
    assert all(m.finished_at > first_end[m.user_id] and m.attempts == 1 and m.error == "" for m in again)
    assert sum(1 for m, p, _ in fake.requests if m == "POST" and p.endswith("/me/playlists")) == 3
    assert {a.user_id for a in accounts} == set(playlists)


def test_a_429_seen_by_one_worker_process_pauses_the_other(spotify_workers):
    fake, workers = spotify_workers
    first, second = linked(fake, user_id="one", tracks=5), linked(fake, user_id="two", tracks=5)
    fake.fail_next("/v1/me/top/tracks", 429, retry_after=3)
    for account in (first, second):
        month, _ = services.wrapped_month_queue(account=account, month_key="2026-11", send=False)
        tasks.wrapped_month_run.apply_async((str(month.pk),), queue=QUEUE)
    wait_for(lambda: WrappedMonth.objects.filter(status="done").count() == 2, workers)
    api = [(t, p) for t, (_, p, _) in zip(fake.request_times, fake.requests, strict=True) if p.startswith("/v1/")]
    limited = next(t for t, p in api if p.startswith("/v1/me/top/tracks"))  # the first: answered 429
    during = [p for t, p in api if limited + 0.3 < t < limited + 2.7]
    assert during == []  # neither process asked Spotify anything while the pause lasted
    assert any(t >= limited + 2.9 for t, _ in api)


def test_the_weekly_run_through_a_worker(spotify_workers):
    fake, workers = spotify_workers
    account = catalogue(fake, artists=3)
    week, _ = services.release_radar_week_queue(account=account, run_date=date(2026, 11, 29), send=False)
    tasks.release_radar_run.apply_async((str(week.pk),), queue=QUEUE)
    wait_for(lambda: ReleaseRadarWeek.objects.filter(user=account.user, status="done").exists(), workers)
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert str(week.week_start) == "2026-11-22" and len(week.track_ids) == 3 * 3 + 1
    assert (week.attempts, week.spotify_requests > 0, week.started_at <= week.finished_at) == (1, True, True)
    assert fake.playlist_track_ids(week.playlist_id) == week.track_ids
