"""`manage.py run_wrapped [--month YYYY-MM] [--user EMAIL]`: the monthly Wrapped, now, in this process."""

import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wrapped import selectors, services, tasks
from wrapped.management.commands._runs import accounts, run_all


class Command(BaseCommand):
    help = "Save the monthly Wrapped (default: the month that ended) for every enrolled account, or one user's."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the previous month)")
        parser.add_argument("--user", metavar="EMAIL", help="only this user's account")

    def handle(self, *args, month=None, user=None, **options) -> None:
        month_key = month or services.previous_month_key(timezone.now().date())
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month_key):
            raise CommandError(f"--month is YYYY-MM, not {month_key!r}.")
        enrolled = selectors.wrapped_enrolled()
        run_all(
            self,
            accounts(enrolled, user),
            enrolled=enrolled,
            queue=lambda account: services.wrapped_month_queue(account=account, month_key=month_key, send=False),
            task=tasks.wrapped_month_run,
        )
