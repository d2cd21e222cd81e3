"""Each month's and week's run is a core.jobs row: outages retried with backoff, lost workers recovered, every run ends.

JOB_MAX_ATTEMPTS is 3 and the tasks' max_retries 5; the fake Spotify fails, drops connections
and refuses as asked, and counts what it was asked, so a run repeated or skipped shows there.
"""

import logging
from datetime import date, timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from core import jobs
from tests.fakes.spotify import FakeSpotify
from tests.wrapped.test_monthly import linked
from tests.wrapped.test_release_radar import catalogue
from wrapped import services, tasks
from wrapped.models import ReleaseRadarWeek, WrappedMonth, ids_by_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def spotify(settings, monkeypatch):
    monkeypatch.setattr("wrapped.client.time.sleep", lambda seconds: None)  # the client's own 1-2-4-8 s pauses
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings)
        yield fake


def queued_month(account) -> WrappedMonth:
    month, queued = services.wrapped_month_queue(account=account, month_key="2026-11", send=False)
    assert queued
    return month


def test_spotify_failing_for_good_is_retried_with_backoff_then_fails_the_month_saying_why(spotify):
    month = queued_month(linked(spotify, tracks=5))
    spotify.fail_next("/v1/me/top/tracks", 500, times=1000)
    before = timezone.now()

    with pytest.raises(Retry) as retry:
        tasks.wrapped_month_run.apply(args=(str(month.pk),))

    assert retry.value.when == jobs.backoff(0) == 2
    assert spotify.count("/v1/me/top/tracks") == 5  # the client's own retries first: 1 + 4
    month.refresh_from_db()
    assert (month.status, month.attempts, month.error) == ("pending", 0, "")  # handed back, its start given back
    assert month.queued_at >= before + timedelta(seconds=2)  # due with the retry: the sweep leaves it alone

    for retries in range(1, tasks.wrapped_month_run.max_retries):
        with pytest.raises(Retry) as retry:
            tasks.wrapped_month_run.apply(args=(str(month.pk),), retries=retries)
        assert retry.value.when == jobs.backoff(retries)
    tasks.wrapped_month_run.apply(args=(str(month.pk),), retries=tasks.wrapped_month_run.max_retries)

    month.refresh_from_db()
    assert month.status == "failed"
    assert month.error == "Spotify's Web API kept failing: HTTP 500 to 5 tries of one request."
    assert month.top_track_ids == ids_by_range() and month.finished_at is not None
    assert spotify.count("/v1/me/top/tracks") == 6 * 5


@pytest.mark.parametrize(
    ("prefix", "times", "status"),
    [("/v1/me/top/artists", 5, None), ("/accounts/api/token", 1, None), ("/accounts/api/token", 1, 503)],
    ids=["web-api-dropped-past-the-clients-retries", "accounts-service-dropped", "accounts-service-503"],
)
def test_an_outage_of_spotify_is_retried_by_the_task_with_the_row_handed_back(spotify, prefix, times, status):
    account = linked(spotify, tracks=5)
    month = queued_month(account)
    if status is None:
        spotify.drop_next(prefix, times=times)  # requests raises its own ConnectionError, not the built-in one
    else:
        spotify.fail_next(prefix, status, times=times)

    with pytest.raises(Retry):
        tasks.wrapped_month_run.apply(args=(str(month.pk),))

    month.refresh_from_db()
    assert (month.status, month.attempts, month.error) == ("pending", 0, "")
    assert spotify.count(prefix) == times

    tasks.wrapped_month_run.apply(args=(str(month.pk),), retries=1)  # the retry, once Spotify answers again

    month.refresh_from_db()
    assert (month.status, month.attempts) == ("done", 1)
    assert month.top_track_ids["short_term"] == [f"tr{n}" for n in range(5)]


def test_a_refused_request_fails_the_run_at_once_in_spotifys_words(spotify):
    account = catalogue(spotify, artists=2)
    week, _ = services.release_radar_week_queue(account=account, run_date=date(2026, 11, 29), send=False)
    spotify.fail_next("/v1/me/playlists", 403, times=1000)

    tasks.release_radar_run.apply(args=(str(week.pk),))  # no Retry: a refusal answers the same next time

    week.refresh_from_db()
    assert (week.status, week.error) == ("failed", "Spotify refused a request of this run (HTTP 403: Forbidden).")
    assert spotify.count("/v1/me/playlists") == 1


def test_an_unexpected_error_fails_the_run_with_the_models_words_and_logs_it(spotify, monkeypatch, caplog):
    month = queued_month(linked(spotify, tracks=5))

    def bug(artists):
        raise KeyError("a surprise in Spotify's answer")

    monkeypatch.setattr(services, "count_genres", bug)
    with caplog.at_level(logging.ERROR):
        tasks.wrapped_month_run.apply(args=(str(month.pk),)).get()

    month.refresh_from_db()
    assert (month.status, month.error) == ("failed", WrappedMonth.unexpected_error_message)
    assert "surprise" not in month.error and "a surprise in Spotify's answer" in caplog.text


def test_a_long_429_hands_the_row_back_and_sends_its_id_again_after_the_wait(spotify, settings, monkeypatch):
    settings.SPOTIFY_MAX_WAIT_SECONDS = 5
    month = queued_month(linked(spotify, tracks=5))
    sent = []
    monkeypatch.setattr(tasks.wrapped_month_run, "apply_async", lambda **kwargs: sent.append(kwargs))
    spotify.fail_next("/v1/me/top/tracks", 429, retry_after=3600)

    tasks.wrapped_month_run.apply(args=(str(month.pk),))

    month.refresh_from_db()
    assert (month.status, month.attempts) == ("pending", 0)
    assert sent == [{"args": (str(month.pk),), "countdown": 3600}]


@pytest.mark.parametrize("kind", ["month", "week"])
def test_a_lost_worker_is_re_queued_by_the_sweep_and_given_up_after_the_limit(spotify, monkeypatch, kind):
    account = linked(spotify, tracks=5)
    if kind == "month":
        model, task, row = WrappedMonth, tasks.wrapped_month_run, queued_month(account)
    else:
        model, task = ReleaseRadarWeek, tasks.release_radar_run
        row, _ = services.release_radar_week_queue(account=account, run_date=date(2026, 11, 29), send=False)
    sent = []
    monkeypatch.setattr(task, "delay", lambda *args: sent.append(args))
    now = timezone.now()

    for lost in range(1, settings.JOB_MAX_ATTEMPTS + 1):
        assert jobs.job_start(model, row.pk) == lost  # a worker starts it ... and dies with it
        silent = now + timedelta(seconds=lost * 1000)  # long after its last heartbeat
        model.objects.filter(pk=row.pk).update(heartbeat_at=silent - timedelta(seconds=1000))
        jobs.stalled_jobs_requeue(now=silent)
        row.refresh_from_db()
        if lost < settings.JOB_MAX_ATTEMPTS:
            assert sent[-1] == (str(row.pk),) and row.status == "running"  # sent again, by its id alone
    assert len(sent) == settings.JOB_MAX_ATTEMPTS - 1
    assert (row.status, row.error) == ("failed", "This run stopped the worker 3 times; it will not be tried again.")

    jobs.stalled_jobs_requeue(now=now + timedelta(days=1))
    assert len(sent) == settings.JOB_MAX_ATTEMPTS - 1  # never queued again
    assert spotify.requests == []


def test_a_duplicate_delivery_does_nothing_twice(spotify):
    month = queued_month(linked(spotify, tracks=5))
    tasks.wrapped_month_run.apply(args=(str(month.pk),))
    done = WrappedMonth.objects.get(pk=month.pk)
    asked = len(spotify.requests)

    tasks.wrapped_month_run.apply(args=(str(month.pk),))  # the broker delivers it again

    again = WrappedMonth.objects.get(pk=month.pk)
    assert len(spotify.requests) == asked
    assert (again.status, again.attempts, again.finished_at) == ("done", 1, done.finished_at)


def test_queuing_a_pending_run_again_keeps_one_row_and_one_message(spotify, django_capture_on_commit_callbacks):
    account = linked(spotify, tracks=5)
    with django_capture_on_commit_callbacks() as sent:
        first, queued = services.wrapped_month_queue(account=account, month_key="2026-11")
        again, queued_again = services.wrapped_month_queue(account=account, month_key="2026-11")
    assert (queued, queued_again) == (True, False) and first.pk == again.pk
    assert len(sent) == 1 and WrappedMonth.objects.count() == 1


def test_a_finished_run_queued_again_is_a_fresh_run_that_keeps_its_playlist(spotify):
    account = linked(spotify, tracks=5)
    month = queued_month(account)
    tasks.wrapped_month_run.apply(args=(str(month.pk),))
    playlist = WrappedMonth.objects.get(pk=month.pk).playlist_id

    again = queued_month(account)

    assert again.pk == month.pk
    again.refresh_from_db()
    assert (again.status, again.attempts, again.finished_at, again.error) == ("pending", 0, None, "")
    assert again.top_track_ids == ids_by_range() and again.playlist_id == playlist  # data cleared, playlist kept
