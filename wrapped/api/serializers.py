import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import StrictCharField
from wrapped.client import REQUIRED_SETTINGS
from wrapped.linking import NOT_CONFIGURED_CODE
from wrapped.models import ReleaseRadarWeek, SpotifyAccount, WrappedMonth

RANGES = ("short_term", "medium_term", "long_term")


class AccountSerializer(serializers.ModelSerializer):
    """The linked account as its user sees it: never the token."""

    reauth_due_at = serializers.DateTimeField(read_only=True, help_text="When Spotify's six months end: link again.")

    class Meta:
        model = SpotifyAccount
        fields = (
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
            "updated_at",
        )
        read_only_fields = fields


class AccountInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(
        max_length=1000, required=False, write_only=True, help_text="Link (or re-link) with this refresh token."
    )
    active = serializers.BooleanField(required=False)
    active_wrapped = serializers.BooleanField(required=False)
    active_release_radar = serializers.BooleanField(required=False)


class EnrollmentSerializer(serializers.Serializer):
    active_wrapped = serializers.BooleanField(required=False)
    active_release_radar = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give active_wrapped, active_release_radar or both.")
        return attrs


class CallbackQuerySerializer(serializers.Serializer):
    code = StrictCharField(max_length=1000)
    state = StrictCharField(max_length=1000)


class AuthorizeSerializer(serializers.Serializer):
    authorize_url = serializers.URLField()


@extend_schema_field({"type": "string", "enum": [NOT_CONFIGURED_CODE]})
class UnavailableCodeField(serializers.CharField):
    """A 503's `code`: one value for now, so a client tells a server without Spotify from an outage."""


class SpotifyUnavailableSerializer(serializers.Serializer):
    """A 503 of an endpoint that asks Spotify: the server is not set up for it, or Spotify is out of reach."""

    detail = serializers.CharField(help_text="What is wrong, in words.")
    code = UnavailableCodeField(
        required=False,
        help_text=f"`{NOT_CONFIGURED_CODE}`: the server has no Spotify app settings ({', '.join(REQUIRED_SETTINGS)}); "
        "nothing that asks Spotify works until an operator sets them, so retrying does not help. "
        "Absent when Spotify could not be reached or failed: try again later.",
    )


class ByRangeIdsSerializer(serializers.Serializer):
    short_term = serializers.ListField(child=serializers.CharField())
    medium_term = serializers.ListField(child=serializers.CharField())
    long_term = serializers.ListField(child=serializers.CharField())


class GenresField(serializers.JSONField):
    """{genre: count} per time range, or "unavailable" when Spotify gave no genres."""


RUN_FIELDS = ("status", "error", "queued_at", "finished_at")
RUN_HELP = {
    "status": "pending (queued), running, done (the data is this run's) or failed (`error` says why; no data).",
    "error": "Why the run failed, in words you can act on; empty otherwise.",
}


class MonthSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = WrappedMonth
        fields = ("month_key", *RUN_FIELDS, "playlist_id", "created_at", "updated_at")
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": text} for name, text in RUN_HELP.items()}


class MonthSerializer(serializers.ModelSerializer):
    top_track_ids = ByRangeIdsSerializer()
    top_artist_ids = ByRangeIdsSerializer()
    top_genres = GenresField(help_text='Per time range: {genre: count}, or "unavailable".')

    class Meta:
        model = WrappedMonth
        fields = (
            "month_key",
            *RUN_FIELDS,
            "top_track_ids",
            "top_artist_ids",
            "top_genres",
            "playlist_id",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": text} for name, text in RUN_HELP.items()}


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    months = MonthSerializer(many=True)
    top_track_ids = serializers.ListField(child=serializers.CharField())
    top_artist_ids = serializers.ListField(child=serializers.CharField())
    top_genres = serializers.DictField(child=serializers.IntegerField())


class OverviewSerializer(serializers.Serializer):
    account = AccountSerializer()
    months = MonthSummarySerializer(many=True)


class WeekSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReleaseRadarWeek
        fields = ("week_start", *RUN_FIELDS, "track_ids", "playlist_id", "created_at")
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": text} for name, text in RUN_HELP.items()}


class StaffQuerySerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="Staff only: another user's data.")


MONTH_KEY = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
