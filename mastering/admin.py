from django import forms
from django.contrib import admin
from django.utils.html import format_html_join

from mastering import services
from mastering.models import Analysis, MasteringSettings, Reference

BAND_COLUMNS = ("band", "energy_share", "energy_db", "rms_dbfs", "peak_dbfs", "crest_factor_db", "stereo_width")


def _bands_table(row) -> str:
    if not row.bands:
        return "-"
    header = format_html_join("", "<th>{}</th>", ((column,) for column in BAND_COLUMNS))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((_cell(band.get(column)),) for column in BAND_COLUMNS)),)
            for band in row.bands
        ),
    )
    return format_html_join("", "<table><tr>{}</tr>{}</table>", [(header, body)])


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else ("-" if value is None else str(value))


@admin.register(Analysis)
class AnalysisAdmin(admin.ModelAdmin):
    list_display = ("file_name", "owner", "genre", "recommendation_level", "status", "created_at")
    list_filter = ("status", "recommendation_level", "genre")
    list_select_related = ("owner",)
    search_fields = ("file_name", "genre", "owner__username")
    exclude = ("vector", "loudness_series")
    readonly_fields = [f.name for f in Analysis._meta.fields if f.name not in ("vector", "loudness_series")] + [
        "band_metrics"
    ]

    @admin.display(description="band metrics")
    def band_metrics(self, analysis: Analysis) -> str:
        return _bands_table(analysis)

    # An analysis is made by an upload through the API, never by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Analysis) -> None:
        services.analysis_delete(analysis_id=obj.pk)


class ReferenceForm(forms.ModelForm):
    audio = forms.FileField(
        required=False, help_text="Upload a WAV, FLAC, AIFF, MP3 or Ogg file to (re)analyse this reference."
    )

    class Meta:
        model = Reference
        fields = ("name", "artist", "genre", "year", "built_in", "generated", "owner")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("built_in") and cleaned.get("owner"):
            self.add_error("owner", "A built-in reference belongs to nobody: leave the owner empty.")
        if not self.instance.pk and not cleaned.get("audio"):
            self.add_error("audio", "A new reference needs its audio file.")
        return cleaned


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    form = ReferenceForm
    list_display = ("name", "artist", "genre", "built_in", "generated", "owner", "status", "integrated")
    list_filter = ("genre", "built_in", "generated", "status")
    search_fields = ("name", "artist", "genre")
    raw_id_fields = ("owner",)
    readonly_fields = ("status", "error", "file_name", "duration_seconds", "sample_rate", "channels", "format")
    readonly_fields += ("band_metrics", "overall")
    actions = ("mark_built_in",)

    @admin.display(description="integrated LUFS")
    def integrated(self, reference: Reference):
        return (reference.overall or {}).get("integrated_lufs")

    @admin.display(description="band metrics")
    def band_metrics(self, reference: Reference) -> str:
        return _bands_table(reference)

    def save_model(self, request, obj: Reference, form, change: bool) -> None:
        uploaded = form.cleaned_data.get("audio")
        if uploaded:
            services.reference_upload_replace(reference=obj, uploaded=uploaded)
        else:
            obj.save()

    def delete_model(self, request, obj: Reference) -> None:
        services.reference_delete(reference_id=obj.pk)

    @admin.action(description="Mark as built-in (shown to everyone, owner removed)")
    def mark_built_in(self, request, queryset) -> None:
        marked = queryset.update(built_in=True, owner=None)
        self.message_user(request, f"{marked} references are now built in.")


@admin.register(MasteringSettings)
class MasteringSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "default_genre", "default_recommendation_level", "updated_at")
    raw_id_fields = ("user",)
