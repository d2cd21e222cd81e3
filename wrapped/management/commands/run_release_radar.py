"""`manage.py run_release_radar [--user EMAIL] [--date YYYY-MM-DD]`: the weekly release radar, now, in this process."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wrapped import selectors, services, tasks
from wrapped.management.commands._runs import accounts, run_all


class Command(BaseCommand):
    help = "Fill the release radar playlists with the releases of the 7 days before --date (default: today)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", dest="run_date", help="YYYY-MM-DD, the run's day (default: today, UTC)")
        parser.add_argument("--user", metavar="EMAIL", help="only this user's account")

    def handle(self, *args, run_date=None, user=None, **options) -> None:
        run_date = _parse(run_date) if run_date else timezone.now().date()
        enrolled = selectors.release_radar_enrolled()
        run_all(
            self,
            accounts(enrolled, user),
            enrolled=enrolled,
            queue=lambda account: services.release_radar_week_queue(account=account, run_date=run_date, send=False),
            task=tasks.release_radar_run,
        )


def _parse(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date is YYYY-MM-DD, not {value!r}.") from None
