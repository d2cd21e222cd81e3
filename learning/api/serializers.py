from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from core import storage
from core.formats import iso_datetime
from learning.models import Card, LearningSettings, ReviewLog
from learning.sm2 import utc_day
from tracks.files import download_name


def card_state(value: Callable[[str], Any], now: datetime) -> dict:
    """A card's state in the API, from a Card (`partial(getattr, card)`) or a due row (`row.__getitem__`).

    Built by hand, as DRF's per-field machinery cost more than the SQL of the request
    (bench/due_bench.py); CardStateSerializer's fields declare it, and a test holds the two together.
    """
    drill_day = value("drill_day")
    return {
        "easiness_factor": value("easiness_factor"),
        "repetitions": value("repetitions"),
        "interval_days": value("interval_days"),
        "due_at": iso_datetime(value("due_at")),
        "last_reviewed_at": iso_datetime(value("last_reviewed_at")),
        "drill": drill_day is not None and drill_day == utc_day(now),
        "stability": value("stability"),
        "difficulty": value("difficulty"),
    }


class CardStateSerializer(serializers.ModelSerializer):
    """The state of a card; needs `now` in its context to tell whether the card is in today's drill."""

    drill = serializers.BooleanField(help_text="In today's (UTC) same-day drill.")

    class Meta:
        model = Card
        fields = (
            "easiness_factor",
            "repetitions",
            "interval_days",
            "due_at",
            "last_reviewed_at",
            "drill",
            "stability",
            "difficulty",
        )
        read_only_fields = fields

    def to_representation(self, card: Card) -> dict:
        return card_state(partial(getattr, card), self.context["now"])


class GradedCardSerializer(CardStateSerializer):
    """The answer to a grade: the track graded and its card's new state."""

    track_id = serializers.UUIDField(read_only=True, help_text="The track graded.")

    class Meta(CardStateSerializer.Meta):
        fields = ("track_id", *CardStateSerializer.Meta.fields)
        read_only_fields = fields

    def to_representation(self, card: Card) -> dict:
        return {"track_id": str(card.track_id), **super().to_representation(card)}


class DueItemSerializer(serializers.Serializer):
    """One due track. The fields declare the API; the output is built from selectors.due_cards()
    rows by hand, as DRF's per-field machinery cost several times the SQL (bench/due_bench.py)."""

    track_id = serializers.UUIDField()
    name = serializers.CharField()
    artist = serializers.CharField()
    mp3_url = serializers.URLField()
    card = CardStateSerializer()

    def to_representation(self, row: dict) -> dict:
        now = self.context["now"]
        return {
            "track_id": str(row["track_id"]),
            "name": row["track__name"],
            "artist": row["track__artist"],
            "mp3_url": storage.presigned_download(
                row["track__mp3_key"], filename=download_name(row["track__file_name"], row["track__name"])
            ),
            "card": card_state(row.__getitem__, now),
        }


class GradeInputSerializer(serializers.Serializer):
    track_id = serializers.UUIDField()
    grade = serializers.IntegerField(min_value=0, max_value=5)

    def to_internal_value(self, data):
        # In JSON, 4.5, "4" and true are not grades: only whole numbers are. (Forms, like
        # the browsable API's, send every value as text and go through IntegerField.)
        grade = data.get("grade") if isinstance(data, dict) and not isinstance(data, QueryDict) else None
        if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int)):
            raise serializers.ValidationError({"grade": ["A grade is a whole number from 0 to 5."]})
        return super().to_internal_value(data)


class SettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LearningSettings
        fields = ("scheduler", "desired_retention")


class ReviewLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewLog
        fields = ("grade", "reviewed_at", "drill", "scheduler", "state_before", "state_after")
        read_only_fields = fields


class ForecastDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    due = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    cards_total = serializers.IntegerField()
    due_now = serializers.IntegerField()
    reviewed_today = serializers.IntegerField()
    retention_30_days = serializers.FloatField(allow_null=True)
    forecast = ForecastDaySerializer(many=True)
    streak_days = serializers.IntegerField()
