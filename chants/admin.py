from django.contrib import admin

from chants import services
from chants.models import AssetUpload, Song
from core.tasks import delete_objects_after_commit


class AssetUploadInline(admin.TabularInline):
    model = AssetUpload
    extra = 0
    can_delete = False
    fields = ("kind", "file_name", "content_type", "size", "status", "error", "created_by", "created_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "album", "genre", "language", "duration_seconds", "has_audio", "has_artwork", "updated_at")
    list_filter = ("genre", "language", "created_at")
    search_fields = ("title", "artist", "album", "lyrics")
    readonly_fields = ("id", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("id", "title", "artist", "album", "genre", "language", "duration_seconds")}),
        ("Lyrics", {"fields": ("lyrics",)}),
        ("Assets", {"fields": ("audio", "artwork")}),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = (AssetUploadInline,)
    list_per_page = 50
    show_full_result_count = False

    @admin.display(boolean=True, description="Audio")
    def has_audio(self, song: Song) -> bool:
        return bool(song.audio.name)

    @admin.display(boolean=True, description="Artwork")
    def has_artwork(self, song: Song) -> bool:
        return bool(song.artwork.name)

    def save_model(self, request, obj: Song, form, change: bool) -> None:
        if not obj.created_by_id:
            obj.created_by = request.user
        replaced = [
            form.initial.get(name).name
            for name in ("audio", "artwork")
            if change and name in form.changed_data and form.initial.get(name)
        ]
        super().save_model(request, obj, form, change)
        services.cache_after_commit(obj)
        delete_objects_after_commit(key for key in replaced if key not in (obj.audio.name, obj.artwork.name))

    def delete_model(self, request, obj: Song) -> None:
        services.song_delete(song_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for song_id in queryset.values_list("pk", flat=True):
            services.song_delete(song_id=song_id)
