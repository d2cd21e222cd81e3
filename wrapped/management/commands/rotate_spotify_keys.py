"""`manage.py rotate_spotify_keys`: re-encrypt every stored Spotify refresh token with the newest key."""

from django.core.management.base import BaseCommand
from django.db import transaction

from wrapped import crypto
from wrapped.models import SpotifyAccount


class Command(BaseCommand):
    help = (
        "Re-encrypt every Spotify refresh token with the first key of SPOTIFY_TOKEN_KEYS. Put the new key first, "
        "run this, then remove the old key."
    )

    def handle(self, *args, **options) -> None:
        rotated = unreadable = 0
        for account_id in SpotifyAccount.objects.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                account = SpotifyAccount.objects.select_for_update().get(pk=account_id)
                try:
                    account.refresh_token_encrypted = crypto.rotate(account.refresh_token_encrypted)
                except crypto.TokenUnreadable:
                    unreadable += 1
                    self.stderr.write(f"account {account.pk}: unreadable with the configured keys; left as it is")
                    continue
                account.save(update_fields=["refresh_token_encrypted", "updated_at"])
                rotated += 1
        self.stdout.write(f"{rotated} tokens re-encrypted with the newest key, {unreadable} unreadable.")
        if unreadable:
            raise SystemExit(1)
