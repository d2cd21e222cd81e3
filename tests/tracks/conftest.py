"""Audio files for the track library tests: ffmpeg tones tagged with mutagen, made per session."""

from pathlib import Path

import pytest

from tests.helpers.media import image_bytes, make_tone
from tests.helpers.tagging import tag_flac, tag_mp3, tag_wav
from tracks.tags import CoverArt, TagSet

TAGS = TagSet(
    title="Night Drive",
    artist="Ana Lopez",
    album_artist="Ana Lopez",
    album="Late Hours",
    date="2024-05-01",
    track_number=3,
    track_total=12,
    disc_number=1,
    disc_total=1,
    genre="Deep House",
    bpm=122.0,
    initial_key="8A",
    isrc="GBUM71029604",
    label="Loft Records",
    comment="Warm-up",
    musicbrainz_track_id="9f3b1a8e-2c47-4b8a-9a61-0d5f1c1e7b2a",
    musicbrainz_album_id="6c0a9b77-41c2-4f0e-9d0b-3b7a2f0e6c11",
    replaygain_track_gain_db=-6.5,
    replaygain_track_peak=0.988547,
)


# The same tags as Vorbis comments, as a tagger writes them into FLAC files.
FLAC_TAGS = {
    "TITLE": TAGS.title,
    "ARTIST": TAGS.artist,
    "ALBUMARTIST": TAGS.album_artist,
    "ALBUM": TAGS.album,
    "DATE": TAGS.date,
    "TRACKNUMBER": "3",
    "TRACKTOTAL": "12",
    "DISCNUMBER": "1",
    "DISCTOTAL": "1",
    "GENRE": TAGS.genre,
    "BPM": "122",
    "INITIALKEY": TAGS.initial_key,
    "ISRC": TAGS.isrc,
    "LABEL": TAGS.label,
    "COMMENT": TAGS.comment,
    "MUSICBRAINZ_TRACKID": TAGS.musicbrainz_track_id,
    "MUSICBRAINZ_ALBUMID": TAGS.musicbrainz_album_id,
    "REPLAYGAIN_TRACK_GAIN": "-6.50 dB",
    "REPLAYGAIN_TRACK_PEAK": "0.988547",
}


@pytest.fixture(scope="session")
def cover_png() -> bytes:
    return image_bytes("png")


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory, cover_png) -> dict[str, bytes]:
    """Tagged files with cover art: FLAC and WAV at 44.1 kHz, a 48 kHz FLAC, an MP3."""
    folder = tmp_path_factory.mktemp("audio")
    made = {}
    flac = make_tone(folder / "tone.flac", seconds=3.0)
    tag_flac(flac, FLAC_TAGS, cover_png)
    made["flac"] = flac.read_bytes()
    flac48 = make_tone(folder / "tone48.flac", seconds=2.0, sample_rate=48000, frequency=660)
    tag_flac(flac48, FLAC_TAGS)
    made["flac48"] = flac48.read_bytes()
    wav = make_tone(folder / "tone.wav", seconds=2.0, frequency=550)
    tag_wav(wav, TAGS, None)
    made["wav"] = wav.read_bytes()
    mp3 = make_tone(folder / "tone.mp3", seconds=2.0, frequency=330)
    tag_mp3(mp3, TAGS, CoverArt(data=cover_png, mime="image/png"))
    made["mp3"] = mp3.read_bytes()
    return made


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
