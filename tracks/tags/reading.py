"""Reading an audio file with mutagen: its properties, its full tag set and its cover.

mutagen.File picks the format from the file's own header, not its name; on garbage it may
raise much more than MutagenError, and a header can claim absurd sample rates or channel
counts, so everything it gives is checked before it is believed.

Tags go through one intermediate shape for every tag format (RawTags, see tables.py):
each format only needs a table saying where each field lives, and stripping, joining and
lenient number parsing happen once, in `_tagset_from_raw`. Writing ID3 (writing.py) is the
same in reverse, so whatever it writes reads back equal.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import IO

import mutagen
from mutagen._vorbis import VCommentDict  # common base of the FLAC and Ogg comment blocks
from mutagen.id3 import COMM, ID3
from mutagen.mp4 import MP4Tags

from core import media
from tracks.tags.cover import read_cover
from tracks.tags.tables import ID3_TEXT_FRAMES, ID3_TXXX, MP4_KEYS, MUSICBRAINZ_UFID_OWNER, VORBIS_KEYS, RawTags
from tracks.tags.values import (
    BPM_AND_PEAKS,
    GAINS,
    POSITIONS,
    TEXT_FIELDS,
    AudioFileInfo,
    AudioProperties,
    NotAudio,
    TagSet,
)

NOT_RECOGNISED = media.NOT_AUDIO
MAX_BITRATE_KBPS = 1_000_000

# mutagen's class name -> the short name we store (core.media's table); others: the lower-cased class name.
_FORMAT_NAMES = {class_name: format_name for class_name, (format_name, _) in media.AUDIO_FORMATS.items()}


def read_audio_file(path: str | os.PathLike[str]) -> AudioFileInfo:
    """Properties, tags and front cover of an audio file.

    Raises NotAudio (with a message for the user) when the file is empty, is not audio mutagen
    recognises, cannot be parsed or has no duration. OSError (missing or unreadable file) is
    left alone: that is our problem, not something wrong with the user's file.
    """
    with open(path, "rb") as fileobj:
        if os.fstat(fileobj.fileno()).st_size == 0:
            raise NotAudio("The file is empty.")
        audio = _parse(fileobj)
    return AudioFileInfo(
        properties=_properties(audio),
        tags=_read_tags(audio.tags),
        cover=read_cover(audio),
    )


def _parse(fileobj: IO[bytes]) -> mutagen.FileType:
    # core.media's one "is this audio" parse: full ID3 frames / MP4 atoms, garbage is one readable error.
    try:
        return media.parse_audio(fileobj)
    except media.MediaRejected as rejected:
        raise NotAudio(str(rejected)) from rejected


def _properties(audio: mutagen.FileType) -> AudioProperties:
    try:
        stream = media.stream_of(audio)  # no duration, or a lying header: one readable error
    except media.MediaRejected as rejected:
        raise NotAudio(str(rejected)) from rejected
    kind = type(audio).__name__
    bitrate = getattr(audio.info, "bitrate", None)
    bitrate_kbps = round(bitrate / 1000) if bitrate and bitrate > 0 else None
    return AudioProperties(
        format=_FORMAT_NAMES.get(kind, kind.lower()),
        duration_seconds=stream.duration_seconds,
        bitrate_kbps=bitrate_kbps if bitrate_kbps and bitrate_kbps <= MAX_BITRATE_KBPS else None,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
    )


# --- Each tag format to RawTags ------------------------------------------------------------


def _read_tags(tags: object) -> TagSet:
    if isinstance(tags, ID3):  # MP3, and the ID3 chunk of WAV and AIFF
        return _tagset_from_raw(_id3_raw(tags))
    if isinstance(tags, VCommentDict):  # FLAC, Ogg Vorbis, Opus
        return _tagset_from_raw(_first_present(tags, VORBIS_KEYS, str))
    if isinstance(tags, MP4Tags):
        lowered = {key.lower(): values for key, values in tags.items()}
        return _tagset_from_raw(_first_present(lowered, MP4_KEYS, _mp4_text))
    return TagSet()  # no tags, or a format we don't map (APEv2, ASF)


def _first_present(tags: Mapping, table: dict[str, tuple[str, ...]], to_text) -> RawTags:
    raw: RawTags = {}
    for name, keys in table.items():
        key = next((key for key in keys if key in tags), None)
        if key is not None:
            raw[name] = [to_text(value) for value in tags[key]]
    return raw


def _mp4_text(value: object) -> str:
    if isinstance(value, tuple):  # trkn/disk: (number, total), total 0 when unknown
        number, total = (list(value) + [0, 0])[:2]
        return f"{number}/{total}" if total else str(number)
    if isinstance(value, bytes):  # freeform "----" atoms hold raw (normally UTF-8) bytes
        return value.decode("utf-8", errors="replace")
    return str(value)


def _id3_raw(tags: ID3) -> RawTags:
    raw: RawTags = {}
    for name, frame_ids in ID3_TEXT_FRAMES.items():
        frame = next((tags[frame_id] for frame_id in frame_ids if frame_id in tags), None)
        if frame is not None:
            raw[name] = [str(text) for text in frame.text]

    descriptions = {frame.desc.lower(): frame for frame in tags.getall("TXXX")}
    for name, description in ID3_TXXX.items():
        frame = descriptions.get(description.lower())
        if frame is not None:
            raw[name] = [str(text) for text in frame.text]

    ufid = tags.get(f"UFID:{MUSICBRAINZ_UFID_OWNER}")
    if ufid is not None:
        raw["musicbrainz_track_id"] = [ufid.data.decode("utf-8", errors="replace")]

    comment = _first_comment(tags.getall("COMM"))
    if comment is not None:
        raw["comment"] = [str(text) for text in comment.text]
    return raw


def _first_comment(comments: list[COMM]) -> COMM | None:
    # iTunes stores machine data in COMM frames (iTunNORM, iTunSMPB, ...); those aren't comments.
    # A comment without a description is the "main" one, so prefer it.
    human = [frame for frame in comments if not frame.desc.startswith("iTun")]
    human.sort(key=lambda frame: frame.desc != "")
    return human[0] if human else None


# --- From RawTags to a TagSet: stripping, joining, lenient numbers ---------------------------

MULTI_VALUE_SEPARATOR = "; "

# A leading decimal number: "128.00", "-6.50 dB", "128,5" (decimal comma), "1e-05".
_LEADING_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_LEADING_COUNT = re.compile(r"\d+")
# No real release has this many tracks or discs; beyond it the "number" is garbage.
_MAX_POSITION = 9999


def _tagset_from_raw(raw: RawTags) -> TagSet:
    values: dict[str, object] = {}
    for name in TEXT_FIELDS:
        values[name] = _join(raw.get(name, []))
    for number_name, total_name in POSITIONS.items():
        number, total = parse_position(_first(raw.get(number_name, [])))
        separate_total = parse_position(_first(raw.get(total_name, [])))[0]
        values[number_name] = number
        values[total_name] = separate_total if separate_total is not None else total
    for name in BPM_AND_PEAKS:
        number = parse_number(_first(raw.get(name, [])))
        values[name] = number if number is not None and number >= 0 else None
    for name in GAINS:
        values[name] = parse_number(_first(raw.get(name, [])))
    if values["bpm"] == 0:  # a BPM of 0 is how some taggers say "unknown"
        values["bpm"] = None
    return TagSet(**values)


def _join(values: Iterable[str]) -> str:
    # NUL characters end strings in C and cannot be stored in PostgreSQL text: they are dropped.
    cleaned = (value.replace("\x00", "").strip() for value in values)
    return MULTI_VALUE_SEPARATOR.join(text for text in cleaned if text)


def _first(values: list[str]) -> str:
    return values[0] if values else ""


def parse_number(text: str) -> float | None:
    """The number a tag value starts with ("128.00" -> 128.0, "-6.50 dB" -> -6.5); None for garbage."""
    match = _LEADING_NUMBER.match(text.strip())
    if match is None:
        return None
    number = float(match.group().replace(",", "."))
    return number if math.isfinite(number) else None


def parse_position(text: str) -> tuple[int | None, int | None]:
    """ "3/12" -> (3, 12), "03" -> (3, None); zero, garbage or absurdly large parts -> None."""
    number, _, total = text.partition("/")
    return _parse_count(number), _parse_count(total)


def _parse_count(text: str) -> int | None:
    match = _LEADING_COUNT.match(text.strip())
    if match is None:
        return None
    count = int(match.group())
    return count if 0 < count <= _MAX_POSITION else None
