from django.contrib import admin

from downloads.models import Download, DownloadTrack


class DownloadTrackInline(admin.TabularInline):
    model = DownloadTrack
    extra = 0
    can_delete = False
    fields = ("position", "source_id", "artist", "title", "url", "state", "error", "file_name", "reused")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    """Downloads are made through the API; the admin shows how they went and can delete them."""

    list_display = ("id", "owner", "status", "total", "created_at", "finished_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("id", "owner__username", "tracks__title", "tracks__artist")
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    inlines = [DownloadTrackInline]
    readonly_fields = (
        "id",
        "owner",
        "status",
        "error",
        "total",
        "zip_key",
        "zip_size",
        "queued_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "expires_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        from downloads import services

        services.download_delete(download=obj)

    def delete_queryset(self, request, queryset) -> None:
        from downloads import services

        for download in queryset:
            services.download_delete(download=download)
