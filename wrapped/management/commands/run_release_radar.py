"""`manage.py run_release_radar [--user EMAIL] [--date YYYY-MM-DD]`: the weekly release radar, now."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wrapped import selectors, services
from wrapped.management.commands._runs import accounts, run_all


class Command(BaseCommand):
    help = "Fill the release radar playlists with the releases of the 7 days before --date (default: today)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", dest="run_date", help="YYYY-MM-DD, the run's day (default: today, UTC)")
        parser.add_argument("--user", metavar="EMAIL", help="only this user's account")

    def handle(self, *args, run_date=None, user=None, **options) -> None:
        run_date = _parse(run_date) if run_date else timezone.now().date()
        run_all(
            self,
            accounts(selectors.release_radar_enrolled(), user),
            lambda account: services.release_radar_run(account_id=account.pk, run_date=run_date),
        )


def _parse(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date is YYYY-MM-DD, not {value!r}.") from None
