from django.contrib import admin

from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth


@admin.register(SpotifyAccount)
class SpotifyAccountAdmin(admin.ModelAdmin):
    """Linked accounts: enrollment can be changed here; the token is never shown."""

    list_display = ("user", "display_name", "spotify_user_id", "active", "active_wrapped", "active_release_radar")
    list_filter = ("active", "active_wrapped", "active_release_radar", "needs_reauth")
    search_fields = ("user__username", "display_name", "spotify_user_id", "email")
    list_select_related = ("user",)
    fields = (
        "user",
        "spotify_user_id",
        "display_name",
        "email",
        "active",
        "active_wrapped",
        "active_release_radar",
        "release_radar_playlist_id",
        "needs_reauth",
        "authorized_at",
        "reauth_due_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "user",
        "spotify_user_id",
        "display_name",
        "email",
        "release_radar_playlist_id",
        "authorized_at",
        "reauth_due_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        return False  # accounts are linked by their users through Spotify's consent screen


RUN_FIELDS = (
    "status",
    "error",
    "attempts",
    "queued_at",
    "started_at",
    "heartbeat_at",
    "finished_at",
    "spotify_requests",
)


class RunAdmin(admin.ModelAdmin):
    """A run's row: what it keeps, and how its job went (read-only: the worker writes it)."""

    list_filter = ("status",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False  # a run is queued by beat or an operator's command (run_wrapped), never made by hand


@admin.register(WrappedMonth)
class WrappedMonthAdmin(RunAdmin):
    list_display = ("user", "month_key", "status", "attempts", "playlist_id", "finished_at")
    search_fields = (*RunAdmin.search_fields, "month_key")
    fields = ("user", "month_key", *RUN_FIELDS, "playlist_id", "top_track_ids", "top_artist_ids", "top_genres")
    fields += ("created_at", "updated_at")
    readonly_fields = ("user", "month_key", *RUN_FIELDS, "created_at", "updated_at")


@admin.register(ReleaseRadarWeek)
class ReleaseRadarWeekAdmin(RunAdmin):
    list_display = ("user", "week_start", "status", "attempts", "playlist_id", "finished_at")
    fields = ("user", "week_start", *RUN_FIELDS, "playlist_id", "track_ids", "created_at")
    readonly_fields = ("user", "week_start", *RUN_FIELDS, "created_at")
