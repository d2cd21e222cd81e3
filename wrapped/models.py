"""A user's linked Spotify account, their monthly Wrapped snapshots and weekly release radar history.

The refresh token is kept only encrypted (wrapped.crypto); the model hands it out through
`refresh_token()` and takes it through `set_refresh_token()`, so no code path reads the column
as if it were the token.

Each month's Wrapped and each week's release radar of a user is one row and one job
(`core.jobs.Job`): made `pending` by the beat fan-out or an operator's command, run by a worker,
ended `done` with what Spotify said or `failed` with why. Its data is that of its last run, and
empty until a run is done.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.jobs import Job
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


def ids_by_range() -> dict[str, list]:
    """No ids yet for any time range: what a month holds until its run is done."""
    return {time_range: [] for time_range in TimeRange.values}


def genres_by_range() -> dict[str, dict]:
    return {time_range: {} for time_range in TimeRange.values}


class SpotifyRun(Job):
    """A run of one account's job against Spotify; what its user reads when it ends on its own terms."""

    gave_up_message = "This run stopped the worker {attempts} times; it will not be tried again."
    # Its outages are Spotify's, and client.SpotifyUnavailable says which part of Spotify and how.
    outage_message = "{error}"
    unexpected_error_message = (
        "This run stopped on an unexpected error on our side; it was logged and will be looked into."
    )

    spotify_requests = models.PositiveIntegerField(default=0, help_text="Requests to Spotify the last done run made.")

    class Meta:
        abstract = True


class WrappedMonth(SpotifyRun):
    """What a user listened to most, saved at the start of the next month.

    `top_track_ids`, `top_artist_ids` and `top_genres` are each keyed by time range; genres are
    `{genre: count}` counted over the top artists, or the string "unavailable" when Spotify gave
    no genres for them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wrapped_months")
    month_key = models.CharField(max_length=7, validators=[MONTH_KEY])
    top_track_ids = models.JSONField(default=ids_by_range)
    top_artist_ids = models.JSONField(default=ids_by_range)
    top_genres = models.JSONField(default=genres_by_range)
    playlist_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-month_key",)
        constraints = [models.UniqueConstraint(fields=["user", "month_key"], name="wrapped_month_user_month_uniq")]
        indexes = [models.Index(fields=["status"], name="wrapped_month_status_idx")]  # the stalled-job sweep

    def __str__(self) -> str:
        return f"{self.user} {self.month_key}"


class ReleaseRadarWeek(SpotifyRun):
    """One weekly release radar: the new tracks put in the user's playlist."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="release_radar_weeks")
    week_start = models.DateField(help_text="The first of the 7 days whose releases it holds.")
    track_ids = models.JSONField(default=list)
    playlist_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-week_start",)
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="release_radar_user_week_uniq")]
        # The stalled-job sweep reads the active rows every minute, of a table that grows by a row a week per user.
        indexes = [models.Index(fields=["status"], name="release_radar_status_idx")]

    def __str__(self) -> str:
        return f"{self.user} week of {self.week_start}"

    @property
    def run_date(self):
        """The day after the week: the run's day, whose 7 days before are the week."""
        return self.week_start + timedelta(days=7)
