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


@admin.register(WrappedMonth)
class WrappedMonthAdmin(admin.ModelAdmin):
    list_display = ("user", "month_key", "playlist_id", "created_at")
    search_fields = ("user__username", "month_key")
    list_select_related = ("user",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(ReleaseRadarWeek)
class ReleaseRadarWeekAdmin(admin.ModelAdmin):
    list_display = ("user", "week_start", "playlist_id", "created_at")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    readonly_fields = ("created_at",)
