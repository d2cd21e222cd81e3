"""What run_wrapped and run_release_radar share: choosing accounts, running their rows here, the summary.

Each account's run is its row, queued as the beat queues it (a row already pending or running is
left to its worker), then run in this process through the task's own body (`core.jobs.run_job`),
so the row ends as a worker would leave it. An outage of Spotify hands the row back to the
workers' retries: the stalled sweep sends it to one once it is due.
"""

import contextlib
from collections import Counter

from celery.exceptions import Retry
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from core.jobs import JobStatus
from wrapped.models import SpotifyAccount


def accounts(enrolled, email: str | None) -> list[SpotifyAccount]:
    if not email:
        return list(enrolled.select_related("user"))
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise CommandError(f"Several users have the email {email!r} (in some case); run for every account instead.")
    account = SpotifyAccount.objects.select_related("user").filter(user__in=users).first()
    if account is None:
        raise CommandError(f"No linked Spotify account for a user with the email {email!r}.")
    return [account]


def run_all(command, accounts_to_run, *, enrolled, queue, task) -> None:
    """Queue and run each account's row here, one line each, then the summary; failures do not stop it."""
    outcomes: Counter = Counter()
    requests = 0
    for account in accounts_to_run:
        label = f"account {account.pk} ({account.user})"
        if not enrolled.filter(pk=account.pk).exists():
            outcomes["skipped"] += 1
            command.stdout.write(f"{label}: skipped: not enrolled")
            continue
        row, queued = queue(account)
        if not queued:
            outcomes["skipped"] += 1
            command.stdout.write(f"{label}: skipped: already {row.status}, left to its worker")
            continue
        with contextlib.suppress(Retry):  # an outage: the row was handed back, due for a worker's retry
            task.apply(args=(str(row.pk),))
        row.refresh_from_db()
        if row.status == JobStatus.DONE:
            requests += row.spotify_requests
            outcomes["done"] += 1
            command.stdout.write(f"{label}: done")
        elif row.status == JobStatus.FAILED:
            outcomes["failed"] += 1
            command.stderr.write(f"{label}: failed: {row.error}")
        else:
            outcomes["handed back"] += 1
            command.stdout.write(f"{label}: {row.status}: Spotify asked to wait or is out of reach; a worker goes on")
    handed_back = f", {outcomes['handed back']} handed back to the workers" if outcomes["handed back"] else ""
    command.stdout.write(
        f"{outcomes['done']} done, {outcomes['skipped']} skipped, {outcomes['failed']} failed{handed_back}, "
        f"{requests} requests to Spotify"
    )
