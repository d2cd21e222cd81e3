"""The beat entries, their fan-out to one task per account, and the operators' commands."""

import io
from datetime import date

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from tests.fakes.spotify import FakeSpotify
from tests.wrapped.test_monthly import linked
from tests.wrapped.test_release_radar import catalogue
from wrapped import tasks
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
def test_the_monthly_run_saves_the_month_that_ended_for_every_enrolled_account(spotify):
    first, second = linked(spotify, user_id="one", tracks=5), linked(spotify, user_id="two", tracks=5)
    out_of = linked(spotify, user_id="three", tracks=5)
    SpotifyAccount.objects.filter(pk=out_of.pk).update(active_wrapped=False)
    spotify.revoke("rt-one")  # one account fails; the others are done
    assert tasks.wrapped_monthly.delay().get() == 2
    assert not WrappedMonth.objects.filter(user=first.user).exists()
    assert WrappedMonth.objects.get(user=second.user).month_key == "2026-11"
    assert not WrappedMonth.objects.filter(user=out_of.user).exists()
    assert SpotifyAccount.objects.get(pk=first.pk).needs_reauth


@time_machine.travel("2026-11-29 00:00:05Z", tick=False)
def test_the_weekly_run_fills_every_enrolled_accounts_playlist(spotify):
    account = catalogue(spotify, artists=2)
    assert tasks.release_radar_weekly.delay().get() == 1
    assert ReleaseRadarWeek.objects.get(user=account.user).week_start == date(2026, 11, 22)


def test_run_wrapped_for_one_user_prints_a_summary(spotify):
    account = linked(spotify, tracks=5)
    linked(spotify, user_id="other", tracks=5)
    account.user.email = "listener@example.com"
    account.user.save()
    out = io.StringIO()
    call_command("run_wrapped", "--month", "2026-10", "--user", "LISTENER@example.com", stdout=out)
    assert "1 done, 0 skipped, 0 failed, 8 requests to Spotify" in out.getvalue()
    assert WrappedMonth.objects.get().month_key == "2026-10"


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
    assert ReleaseRadarWeek.objects.get(user=account.user).week_start == date(2026, 11, 22)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_release_radar", "--date", "29/11/2026")
