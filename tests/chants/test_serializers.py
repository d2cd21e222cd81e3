"""The hand-built song representations must say exactly what DRF's own fields would."""

import json

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from chants import selectors
from chants.api.serializers import SongDetailSerializer, SongListSerializer
from chants.models import Song
from tests.factories import SongFactory

pytestmark = pytest.mark.django_db


class GenericSong(serializers.ModelSerializer):
    has_audio = serializers.SerializerMethodField()
    has_artwork = serializers.SerializerMethodField()

    class Meta:
        model = Song
        fields = tuple(SongListSerializer().fields) + ("lyrics",)

    def get_has_audio(self, song) -> bool:
        return bool(song.audio.name)

    def get_has_artwork(self, song) -> bool:
        return bool(song.artwork.name)


def as_json(data) -> dict:
    """What a client receives."""
    return json.loads(JSONRenderer().render(data))


@pytest.mark.parametrize(
    "song_kwargs",
    [
        {},
        {"duration_seconds": None, "created_by": None, "audio": "users/x/a-b.mp3"},
        {"title": "Ünïcode ✓", "artwork": "users/x/cover.png", "duration_seconds": 0.0},
    ],
)
def test_list_and_detail_match_drf_field_by_field(song_kwargs):
    song = SongFactory(**song_kwargs)
    expected = as_json(GenericSong(song).data)
    row = selectors.song_list().get(pk=song.pk)

    listed = as_json(SongListSerializer(row).data)
    detailed = as_json(SongDetailSerializer(selectors.song_detail(song_id=song.pk)).data)
    assert selectors.song_detail(song_id=song.pk) == selectors.song_row(song)

    assert set(listed) == set(SongListSerializer().fields)
    assert set(detailed) == set(SongDetailSerializer().fields)
    assert listed == {name: expected[name] for name in listed}
    assert {name: detailed[name] for name in expected} == expected
    assert (detailed["audio_url"] is None) == (not song.audio.name)
    assert (detailed["artwork_url"] is None) == (not song.artwork.name)
