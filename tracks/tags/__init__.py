"""Audio file tags with mutagen: read properties, tags and cover; write ID3v2.4; split file names.

Pure domain code with no Django imports (core.media, which gives the format names, has none).

    values.py      TagSet, CoverArt, AudioProperties, AudioFileInfo, NotAudio
    tables.py      where each TagSet field lives in ID3 frames, Vorbis comments and MP4 atoms
    reading.py     read_audio_file: properties, then tags through the tables, parsed leniently
    cover.py       which embedded picture is the cover, and its real image type
    writing.py     write_id3_tags and id3_frames: a TagSet as ID3v2.4, the inverse of reading
    file_names.py  split_file_name: artist and title guessed from a file name

Import these names from tracks.tags, not from the modules: callers look them up here at call
time (`tags.read_audio_file(...)`), so a test or the transcode benchmark can replace one on
this module and reach every caller.
"""

from tracks.tags.file_names import split_file_name
from tracks.tags.reading import (
    MAX_BITRATE_KBPS,
    MULTI_VALUE_SEPARATOR,
    NOT_RECOGNISED,
    parse_number,
    parse_position,
    read_audio_file,
)
from tracks.tags.tables import RawTags
from tracks.tags.values import AudioFileInfo, AudioProperties, CoverArt, NotAudio, TagSet
from tracks.tags.writing import id3_frames, write_id3_tags

__all__ = [
    "MAX_BITRATE_KBPS",
    "MULTI_VALUE_SEPARATOR",
    "NOT_RECOGNISED",
    "AudioFileInfo",
    "AudioProperties",
    "CoverArt",
    "NotAudio",
    "RawTags",
    "TagSet",
    "id3_frames",
    "parse_number",
    "parse_position",
    "read_audio_file",
    "split_file_name",
    "write_id3_tags",
]
