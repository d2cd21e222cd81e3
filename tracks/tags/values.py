"""What reading an audio file gives, and what writing tags takes: plain frozen dataclasses.

TagSet's fields are the tag columns of tracks.models.TrackDetails, name for name. The
field groups at the end say how each TagSet field is parsed and written (text, "3/12"
positions, non-negative numbers, signed gains), so reading and writing cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from core import media


class NotAudio(media.MediaRejected):
    """The file is not audio mutagen can read; the message says why, for the user (core.media's rejection)."""


@dataclass(frozen=True)
class AudioProperties:
    format: str  # "mp3", "flac", "wav", "aiff", "ogg", "m4a", ...
    duration_seconds: float
    bitrate_kbps: int | None
    sample_rate: int | None
    channels: int | None


@dataclass(frozen=True)
class TagSet:
    title: str = ""
    artist: str = ""
    album_artist: str = ""
    album: str = ""
    date: str = ""
    track_number: int | None = None
    track_total: int | None = None
    disc_number: int | None = None
    disc_total: int | None = None
    genre: str = ""
    bpm: float | None = None
    initial_key: str = ""
    isrc: str = ""
    label: str = ""
    comment: str = ""
    musicbrainz_track_id: str = ""
    musicbrainz_album_id: str = ""
    musicbrainz_artist_id: str = ""
    musicbrainz_album_artist_id: str = ""
    musicbrainz_release_group_id: str = ""
    replaygain_track_gain_db: float | None = None
    replaygain_track_peak: float | None = None
    replaygain_album_gain_db: float | None = None
    replaygain_album_peak: float | None = None


@dataclass(frozen=True)
class CoverArt:
    data: bytes = field(repr=False)
    mime: str  # "image/jpeg" or "image/png"


@dataclass(frozen=True)
class AudioFileInfo:
    properties: AudioProperties
    tags: TagSet
    cover: CoverArt | None


# --- TagSet fields by kind ---------------------------------------------------------------

TEXT_FIELDS = tuple(item.name for item in fields(TagSet) if item.default == "")
POSITIONS = {"track_number": "track_total", "disc_number": "disc_total"}  # "3/12" -> number, total
BPM_AND_PEAKS = ("bpm", "replaygain_track_peak", "replaygain_album_peak")  # never negative
GAINS = ("replaygain_track_gain_db", "replaygain_album_gain_db")
