from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from chants import assets, services
from chants.models import AssetKind, AssetUpload, Song
from core import media
from core.tasks import delete_objects_after_commit


class SongAdminForm(forms.ModelForm):
    """Files uploaded here are checked as the API checks its uploads; audio also sets the duration."""

    class Meta:
        model = Song
        fields = ("title", "artist", "album", "genre", "language", "duration_seconds", "lyrics", "audio", "artwork")

    def clean_audio(self):
        return self._checked(AssetKind.AUDIO)

    def clean_artwork(self):
        return self._checked(AssetKind.ARTWORK)

    def _checked(self, kind: str):
        value = self.cleaned_data.get(kind)
        if isinstance(value, UploadedFile):  # a new file, not the one already stored
            refusal = assets.content_type_refusal(kind, value.content_type or "")
            if refusal:
                raise forms.ValidationError(refusal)
            try:
                value.seek(0)
                checked = assets.check_stream(kind, value, size=value.size, max_bytes=services.max_asset_bytes(kind))
            except assets.AssetRejected as exc:
                raise forms.ValidationError(str(exc)) from exc
            finally:
                value.seek(0)
            # The stored key takes its extension from this name (chants.models upload_to): the checked type's.
            value.name = f"{kind}{media.extension_for(checked.content_type)}"
            if checked.duration_seconds is not None:
                self.checked_duration = round(checked.duration_seconds, 3)
        return value

    def clean(self):
        cleaned = super().clean()
        if getattr(self, "checked_duration", None) is not None:
            cleaned["duration_seconds"] = self.checked_duration
        return cleaned


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
    form = SongAdminForm
    list_display = (
        "title",
        "artist",
        "album",
        "genre",
        "language",
        "duration_seconds",
        "has_audio",
        "has_artwork",
        "updated_at",
    )
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
