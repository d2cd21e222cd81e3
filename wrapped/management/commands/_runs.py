"""What run_wrapped and run_release_radar share: choosing accounts and printing the summary."""

from collections import Counter

from django.core.management.base import CommandError

from wrapped.models import SpotifyAccount


def accounts(enrolled, email: str | None) -> list[SpotifyAccount]:
    if not email:
        return list(enrolled)
    account = SpotifyAccount.objects.filter(user__email__iexact=email).first()
    if account is None:
        raise CommandError(f"No linked Spotify account for a user with the email {email!r}.")
    return [account]


def run_all(command, accounts_to_run, run) -> None:
    """Run `run(account)` for each account, one line each, then the summary; failures do not stop it."""
    outcomes: Counter = Counter()
    requests = 0
    for account in accounts_to_run:
        try:
            result = run(account)
        except Exception as error:  # noqa: BLE001 - an operator's run reports and goes on to the next
            outcomes["failed"] += 1
            command.stderr.write(f"account {account.pk} ({account.user}): failed: {error}")
            continue
        outcomes[result.status] += 1
        requests += result.requests
        reason = f": {result.reason}" if result.reason else ""
        command.stdout.write(f"account {account.pk} ({account.user}): {result.status}{reason}")
    command.stdout.write(
        f"{outcomes['done']} done, {outcomes['skipped']} skipped, {outcomes['failed']} failed, "
        f"{requests} requests to Spotify"
    )
