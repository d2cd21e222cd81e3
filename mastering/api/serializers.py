from rest_framework import serializers

from core.api.fields import StrictCharField
from mastering.models import Analysis, MasteringSettings, RecommendationLevel, Reference

BAND_NAMES = ("low", "low_mid", "mid", "high_mid", "high")


class AnalysisInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    genre = StrictCharField(
        max_length=100, required=False, help_text="Any genre name; default: your settings' default genre."
    )
    recommendation_level = serializers.ChoiceField(
        choices=RecommendationLevel.choices, required=False, help_text="Default: your settings' default level."
    )


class ReferenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    name = StrictCharField(max_length=200)
    artist = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    genre = StrictCharField(max_length=100)
    year = serializers.IntegerField(min_value=1900, max_value=2100, required=False)


class GenreQuerySerializer(serializers.Serializer):
    genre = StrictCharField(max_length=100, required=False, allow_blank=True, help_text="Case-insensitive; blank: all.")


class SimilarQuerySerializer(GenreQuerySerializer):
    top_k = serializers.IntegerField(min_value=1, max_value=50, default=5)


class OverallSerializer(serializers.Serializer):
    """The engine's overall measures (mastering.analysis); null where a measure has no value (silence)."""

    integrated_lufs = serializers.FloatField(allow_null=True)
    loudness_range_lu = serializers.FloatField(allow_null=True)
    true_peak_dbtp = serializers.FloatField(allow_null=True)
    sample_peak_dbfs = serializers.FloatField(allow_null=True)
    momentary_max_lufs = serializers.FloatField(allow_null=True)
    short_term_max_lufs = serializers.FloatField(allow_null=True)
    rms_dbfs = serializers.FloatField(allow_null=True)
    crest_factor_db = serializers.FloatField(allow_null=True)
    plr_db = serializers.FloatField(allow_null=True)
    dynamic_range_db = serializers.FloatField(allow_null=True)
    stereo_width = serializers.FloatField(allow_null=True)
    phase_correlation = serializers.FloatField(allow_null=True)
    spectral_centroid_hz = serializers.FloatField(allow_null=True)
    spectral_rolloff_hz = serializers.FloatField(allow_null=True)
    spectral_flatness = serializers.FloatField(allow_null=True)
    thd_percent = serializers.FloatField(allow_null=True)
    harmonic_ratio = serializers.FloatField(allow_null=True)
    transient_preservation = serializers.FloatField(allow_null=True)
    attack_time_ms = serializers.FloatField(allow_null=True)


class BandSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=BAND_NAMES)
    low_hz = serializers.FloatField()
    high_hz = serializers.FloatField()
    energy_db = serializers.FloatField(allow_null=True)
    energy_share = serializers.FloatField(allow_null=True)
    peak_dbfs = serializers.FloatField(allow_null=True)
    rms_dbfs = serializers.FloatField(allow_null=True)
    crest_factor_db = serializers.FloatField(allow_null=True)
    dynamic_range_db = serializers.FloatField(allow_null=True)
    spectral_centroid_hz = serializers.FloatField(allow_null=True)
    spectral_flatness = serializers.FloatField(allow_null=True)
    stereo_width = serializers.FloatField(allow_null=True)
    phase_correlation = serializers.FloatField(allow_null=True)


class RecommendationSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=BAND_NAMES, required=False, help_text="Present for a band's advice.")
    metric = serializers.CharField(required=False, help_text="Present for an overall measure's advice.")
    action = serializers.CharField()
    amount_db = serializers.FloatField(allow_null=True)
    severity = serializers.ChoiceField(choices=("info", "warning", "critical"))
    message = serializers.CharField()


class PlatformSerializer(serializers.Serializer):
    platform = serializers.CharField()
    reference_lufs = serializers.FloatField()
    gain_db = serializers.FloatField(allow_null=True)
    true_peak_after_dbtp = serializers.FloatField(allow_null=True)


class FileInfoSerializer(serializers.Serializer):
    duration_seconds = serializers.FloatField(allow_null=True)
    sample_rate = serializers.IntegerField(allow_null=True)
    channels = serializers.IntegerField(allow_null=True)
    format = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)


class AnalysisListSerializer(serializers.ModelSerializer):
    file = FileInfoSerializer(source="*", read_only=True)

    class Meta:
        model = Analysis
        fields = (
            "id",
            "file_name",
            "genre",
            "recommendation_level",
            "status",
            "error",
            "file",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class AnalysisDetailSerializer(AnalysisListSerializer):
    overall = OverallSerializer(allow_null=True, read_only=True)
    bands = BandSerializer(many=True, allow_null=True, read_only=True)
    recommendations = RecommendationSerializer(many=True, allow_null=True, read_only=True)
    platforms = PlatformSerializer(many=True, allow_null=True, read_only=True)
    target_source = serializers.CharField(
        read_only=True, help_text="`references` of the genre, `general` targets without any; empty until done."
    )

    class Meta(AnalysisListSerializer.Meta):
        fields = (
            *AnalysisListSerializer.Meta.fields,
            "target_source",
            "overall",
            "bands",
            "recommendations",
            "platforms",
        )
        read_only_fields = fields


class LoudnessSeriesSerializer(serializers.Serializer):
    interval_seconds = serializers.FloatField()
    momentary = serializers.ListField(child=serializers.FloatField(allow_null=True))
    short_term = serializers.ListField(child=serializers.FloatField(allow_null=True))


class ReferenceSerializer(serializers.ModelSerializer):
    file = FileInfoSerializer(source="*", read_only=True)
    overall = OverallSerializer(allow_null=True, read_only=True)
    bands = BandSerializer(many=True, allow_null=True, read_only=True)
    own = serializers.SerializerMethodField(help_text="Yours (private) rather than built in.")

    class Meta:
        model = Reference
        fields = (
            "id",
            "name",
            "artist",
            "genre",
            "year",
            "built_in",
            "generated",
            "own",
            "status",
            "error",
            "file",
            "overall",
            "bands",
            "created_at",
        )
        read_only_fields = fields

    def get_own(self, reference: Reference) -> bool:
        return reference.owner_id is not None


class SimilarReferenceSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="Cosine similarity of the feature vectors, -1..1.")
    reference = ReferenceSerializer()


class SimilarSerializer(serializers.Serializer):
    analysis_id = serializers.UUIDField()
    genre = serializers.CharField(allow_blank=True)
    results = SimilarReferenceSerializer(many=True)


class MasteringSettingsSerializer(serializers.ModelSerializer):
    default_genre = StrictCharField(max_length=100, required=False, allow_blank=True)

    class Meta:
        model = MasteringSettings
        fields = ("default_genre", "default_recommendation_level")
