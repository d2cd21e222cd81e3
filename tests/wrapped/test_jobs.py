"""The beat entries, their fan-out to one task per account, and the operators' commands."""

import io
from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from tests.factories import UserFactory
from tests.fakes.spotify import FakeSpotify
from tests.wrapped.test_monthly import linked
from tests.wrapped.test_release_radar import catalogue
from wrapped import services, tasks
from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth

pytestmark = pytest.mark.django_db


@pytest.fixture
def spotify(settings):
    with FakeSpotify() as fake:
        fake.point_settings_at_me(settings)
        yield fake


def test_the_beat_entries_run_at_midnight_utc_on_the_1st_and_on_sundays():
    monthly = PeriodicTask.objects.get(name="wrapped: monthly Wrapped")
    assert monthly.task == "wrapped.tasks.wrapped_monthly"
    assert (monthly.crontab.minute, monthly.crontab.hour, monthly.crontab.day_of_month) == ("0", "0", "1")
    assert (monthly.crontab.day_of_week, str(monthly.crontab.timezone)) == ("*", "UTC")
    weekly = PeriodicTask.objects.get(name="wrapped: weekly release radar")
    assert weekly.task == "wrapped.tasks.release_radar_weekly"
    assert (weekly.crontab.minute, weekly.crontab.hour, weekly.crontab.day_of_week) == ("0", "0", "0")
    assert weekly.crontab.day_of_month == "*"


@time_machine.travel("2026-12-01 00:00:05Z", tick=False)
def test_the_monthly_run_saves_the_month_that_ended_for_every_enrolled_account(
    spotify, django_capture_on_commit_callbacks
):
    first, second = linked(spotify, user_id="one", tracks=5), linked(spotify, user_id="two", tracks=5)
    out_of = linked(spotify, user_id="three", tracks=5)
    SpotifyAccount.objects.filter(pk=out_of.pk).update(active_wrapped=False)
    spotify.revoke("rt-one")  # one account fails; the others are done
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.wrapped_monthly.delay().get() == 2
    failed = WrappedMonth.objects.get(user=first.user)
    assert (failed.month_key, failed.status) == ("2026-11", "failed") and "link Spotify again" in failed.error
    done = WrappedMonth.objects.get(user=second.user)
    assert (done.month_key, done.status, done.error) == ("2026-11", "done", "")
    assert not WrappedMonth.objects.filter(user=out_of.user).exists()
    assert SpotifyAccount.objects.get(pk=first.pk).needs_reauth


@time_machine.travel("2026-12-01 00:00:05Z", tick=False)
def test_the_fan_out_makes_a_pending_row_per_account_and_sends_its_id_alone(
    spotify, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(tasks.wrapped_month_run, "delay", lambda *args, **kwargs: sent.append((args, kwargs)))
    accounts = [linked(spotify, user_id=f"user{n}", tracks=5) for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.wrapped_monthly.delay().get() == 2
        assert tasks.wrapped_monthly.delay().get() == 0  # again before they ran: each is queued once
    months = {m.user_id: m for m in WrappedMonth.objects.all()}
    assert set(months) == {a.user_id for a in accounts}
    assert {(m.status, m.attempts) for m in months.values()} == {("pending", 0)}
    assert all(m.queued_at is not None for m in months.values())
    assert sorted(sent) == sorted(((str(m.pk),), {}) for m in months.values())
    assert spotify.requests == []


@time_machine.travel("2026-11-29 00:00:05Z", tick=False)
def test_the_weekly_run_fills_every_enrolled_accounts_playlist(spotify, django_capture_on_commit_callbacks):
    account = catalogue(spotify, artists=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.release_radar_weekly.delay().get() == 1
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert (week.week_start, week.status) == (date(2026, 11, 22), "done")
    assert len(week.track_ids) == 2 * 3 + 1


def test_run_wrapped_for_one_user_prints_a_summary(spotify):
    account = linked(spotify, tracks=5)
    linked(spotify, user_id="other", tracks=5)
    account.user.email = "listener@example.com"
    account.user.save()
    out = io.StringIO()
    call_command("run_wrapped", "--month", "2026-10", "--user", "LISTENER@example.com", stdout=out)
    assert "1 done, 0 skipped, 0 failed, 8 requests to Spotify" in out.getvalue()
    month = WrappedMonth.objects.get()
    assert (month.month_key, month.status, month.attempts, month.spotify_requests) == ("2026-10", "done", 1, 8)


def test_run_wrapped_reports_a_failed_run_and_leaves_a_queued_one_to_its_worker(spotify):
    first, second = linked(spotify, user_id="one", tracks=5), linked(spotify, user_id="two", tracks=5)
    spotify.revoke("rt-one")
    services.wrapped_month_queue(account=second, month_key="2026-10", send=False)  # queued by beat, not yet run
    out, err = io.StringIO(), io.StringIO()
    call_command("run_wrapped", "--month", "2026-10", stdout=out, stderr=err)
    assert "0 done, 1 skipped, 1 failed, 0 requests to Spotify" in out.getvalue()
    assert f"account {first.pk} ({first.user}): failed: Spotify no longer accepts" in err.getvalue()
    assert f"account {second.pk} ({second.user}): skipped: already pending" in out.getvalue()
    assert WrappedMonth.objects.get(user=first.user).status == "failed"
    assert WrappedMonth.objects.get(user=second.user).status == "pending"


def test_run_wrapped_refuses_an_email_several_users_have(spotify):
    account = linked(spotify, tracks=5)
    get_user_model().objects.filter(pk=account.user_id).update(email="Same@example.com")
    UserFactory(email="same@EXAMPLE.com", legacy_duplicate_email="same@EXAMPLE.com")  # from before it was unique
    with pytest.raises(CommandError, match="Several users have the email"):
        call_command("run_wrapped", "--user", "same@example.com")
    assert not WrappedMonth.objects.exists()


def test_run_wrapped_refuses_a_bad_month_and_an_unknown_user(spotify):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("run_wrapped", "--month", "2026-13")
    with pytest.raises(CommandError, match="No linked Spotify account"):
        call_command("run_wrapped", "--user", "nobody@example.com")


def test_run_release_radar_for_a_given_day(spotify):
    account = catalogue(spotify, artists=2)
    out = io.StringIO()
    call_command("run_release_radar", "--date", "2026-11-29", stdout=out)
    assert "1 done, 0 skipped, 0 failed" in out.getvalue()
    week = ReleaseRadarWeek.objects.get(user=account.user)
    assert (week.week_start, week.status) == (date(2026, 11, 22), "done")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_release_radar", "--date", "29/11/2026")
