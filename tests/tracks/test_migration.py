import importlib

import pytest
from django.apps import apps

from tests.factories import TrackFactory
from tracks.models import Track

pytestmark = pytest.mark.django_db


def test_ready_tracks_from_before_get_their_mp3_described():
    migration = importlib.import_module("tracks.migrations.0009_track_mp3_properties")
    served_as_is = TrackFactory(bitrate=192, sample_rate=48000, channels=1)
    hires = TrackFactory(processing=True, bitrate=2900, sample_rate=96000, channels=6)
    cd = TrackFactory(processing=True, bitrate=900, sample_rate=44100, channels=1)
    unknown = TrackFactory(processing=True, bitrate=None, sample_rate=None, channels=None)
    for track in (hires, cd, unknown):  # transcoded before this release: an MP3 of its own, nothing said of it
        Track.objects.filter(pk=track.pk).update(status="ready", mp3_key=f"{track.original_key}.mp3")
    described = TrackFactory(processing=True, sample_rate=44100)
    Track.objects.filter(pk=described.pk).update(
        status="ready", mp3_key="x.mp3", mp3_bitrate=320, mp3_sample_rate=44100, mp3_channels=2
    )
    still_processing = TrackFactory(processing=True, sample_rate=96000, channels=2)
    waiting = TrackFactory(awaiting_upload=True)

    migration.describe_served_mp3s(apps, None)
    migration.describe_served_mp3s(apps, None)  # running twice changes nothing more

    def mp3_of(track):
        return Track.objects.values_list("mp3_bitrate", "mp3_sample_rate", "mp3_channels").get(pk=track.pk)

    assert mp3_of(served_as_is) == (192, 48000, 1)  # the original is the MP3
    assert mp3_of(hires) == (320, 48000, 2)  # 96 kHz went to 48 kHz, 5.1 was downmixed to stereo
    assert mp3_of(cd) == (320, 44100, 1)  # mono stays mono
    assert mp3_of(unknown) == (320, 44100, None)
    assert mp3_of(described) == (320, 44100, 2)
    assert mp3_of(still_processing) == mp3_of(waiting) == (None, None, None)
    assert Track.objects.values_list("bitrate", "sample_rate", "channels", "format").get(pk=hires.pk) == (
        2900,
        96000,
        6,
        "flac",
    )
