from django.contrib import admin

from tracks import services
from tracks.models import Track, TrackDetails


class TrackDetailsInline(admin.StackedInline):
    model = TrackDetails
    can_delete = False
    extra = 0


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("file_name", "name", "artist", "owner", "format", "status", "duration_seconds", "created_at")
    list_filter = ("status", "format", "created_at")
    search_fields = ("file_name", "name", "artist", "album", "owner__username", "sha256")
    list_select_related = ("owner",)
    readonly_fields = (
        "id",
        "owner",
        "format",
        "duration_seconds",
        "bitrate",
        "sample_rate",
        "channels",
        "size",
        "sha256",
        "duplicate_of",
        "upload_key",
        "original_key",
        "mp3_key",
        "artwork_key",
        "status",
        "error",
        "created_at",
        "updated_at",
    )
    inlines = (TrackDetailsInline,)
    show_full_result_count = False

    # A track is made by an upload (its owner, stored file and checksum come from it), never by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Track) -> None:
        services.track_delete(track_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for track_id in queryset.values_list("pk", flat=True):
            services.track_delete(track_id=track_id)
