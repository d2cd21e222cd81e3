"""A user's linked Spotify account, their monthly Wrapped snapshots and weekly release radar history.

The refresh token is kept only encrypted (wrapped.crypto); the model hands it out through
`refresh_token()` and takes it through `set_refresh_token()`, so no code path reads the column
as if it were the token.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from wrapped import crypto

# Spotify refresh tokens expire six months after the user authorised the app, refreshes or not.
REFRESH_TOKEN_LIFETIME = timedelta(days=182)
MONTH_KEY = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", "A month is written YYYY-MM.")


class SpotifyAccount(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_account")
    spotify_user_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    refresh_token_encrypted = models.TextField(help_text="The refresh token, Fernet-encrypted (wrapped.crypto).")
    active = models.BooleanField(default=True, help_text="Off: no job runs for this account.")
    active_wrapped = models.BooleanField(default=True, help_text="Enrolled in the monthly Wrapped.")
    active_release_radar = models.BooleanField(default=True, help_text="Enrolled in the weekly release radar.")
    release_radar_playlist_id = models.CharField(max_length=64, blank=True)
    needs_reauth = models.BooleanField(
        default=False, help_text="Spotify refused the token, or it expires within 14 days: the user must re-link."
    )
    authorized_at = models.DateTimeField(help_text="When the user authorised the app; the token expires six months on.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["spotify_user_id"], name="spotify_account_spotify_user_uniq")]

    def __str__(self) -> str:
        return f"{self.display_name or self.spotify_user_id} ({self.user})"

    @property
    def reauth_due_at(self):
        """When the refresh token stops working, and the user must have linked Spotify again."""
        return self.authorized_at + REFRESH_TOKEN_LIFETIME

    def set_refresh_token(self, token: str) -> None:
        self.refresh_token_encrypted = crypto.encrypt(token)

    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted)


class TimeRange(models.TextChoices):
    SHORT_TERM = "short_term", "About the last 4 weeks"
    MEDIUM_TERM = "medium_term", "About the last 6 months"
    LONG_TERM = "long_term", "Several years"


class WrappedMonth(models.Model):
    """What a user listened to most, saved at the start of the next month.

    `top_track_ids`, `top_artist_ids` and `top_genres` are each keyed by time range; genres are
    `{genre: count}` counted over the top artists, or the string "unavailable" when Spotify gave
    no genres for them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wrapped_months")
    month_key = models.CharField(max_length=7, validators=[MONTH_KEY])
    top_track_ids = models.JSONField(default=dict)
    top_artist_ids = models.JSONField(default=dict)
    top_genres = models.JSONField(default=dict)
    playlist_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-month_key",)
        constraints = [models.UniqueConstraint(fields=["user", "month_key"], name="wrapped_month_user_month_uniq")]

    def __str__(self) -> str:
        return f"{self.user} {self.month_key}"


class ReleaseRadarWeek(models.Model):
    """One weekly release radar: the new tracks put in the user's playlist."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="release_radar_weeks")
    week_start = models.DateField(help_text="The first of the 7 days whose releases it holds.")
    track_ids = models.JSONField(default=list)
    playlist_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-week_start",)
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="release_radar_user_week_uniq")]

    def __str__(self) -> str:
        return f"{self.user} week of {self.week_start}"
