"""Reading audio files: properties, the full tag set and embedded cover art (mutagen).

Pure domain code with no Django imports.

Reading goes through one intermediate shape for every tag format: a "raw" dict from TagSet
field name to the list of strings the file holds for it (e.g. {"track_number": ["3/12"]}).
Each format only needs a table saying where each field lives; parsing numbers, stripping and
joining happen once, in `_tagset_from_raw`. Writing ID3 is the same in reverse
(TagSet -> raw strings -> frames), so whatever `write_id3_tags` writes reads back equal.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import PurePosixPath
from typing import IO

import mutagen
from mutagen._vorbis import VCommentDict  # common base of the FLAC and Ogg comment blocks
from mutagen.flac import Picture
from mutagen.id3 import APIC, COMM, ID3, TXXX, UFID, Encoding, Frame, Frames, ID3TimeStamp, PictureType
from mutagen.mp4 import MP4Cover, MP4Tags

from core import media


class NotAudio(Exception):
    """The file is not audio mutagen can read; the message says why, for the user."""


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


# --- Reading -------------------------------------------------------------------------------

NOT_RECOGNISED = "The file is not a recognisable audio file (MP3, FLAC, WAV, AIFF, Ogg, MP4)."
# Beyond these a header is lying: DSD256 is 11.3 MHz, and 64 channels is more than any mix.
MAX_SAMPLE_RATE = 50_000_000
MAX_CHANNELS = 64
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
        cover=_read_cover(audio),
    )


def _parse(fileobj: IO[bytes]) -> mutagen.FileType:
    try:
        audio = mutagen.File(fileobj)  # easy=False: full ID3 frames / MP4 atoms, not the "easy" subset
    except Exception as error:
        # MutagenError is the documented failure, but on garbage input mutagen's parsers also
        # leak struct.error, ValueError, IndexError, EOFError, ...; all of them mean "not audio".
        raise NotAudio(NOT_RECOGNISED) from error
    if audio is None:  # no format claimed the file at all
        raise NotAudio(NOT_RECOGNISED)
    return audio


def _properties(audio: mutagen.FileType) -> AudioProperties:
    info = audio.info
    duration = getattr(info, "length", None)
    if not duration or not math.isfinite(duration) or duration <= 0:
        raise NotAudio("The file has no audio in it (its duration is zero).")
    kind = type(audio).__name__
    bitrate = getattr(info, "bitrate", None)
    # OggOpus has no sample_rate attribute (Opus always decodes at 48 kHz); 0 means unknown.
    sample_rate = getattr(info, "sample_rate", None) or None
    channels = getattr(info, "channels", None) or None
    if sample_rate is not None and not 0 < sample_rate <= MAX_SAMPLE_RATE:
        raise NotAudio(f"The file's header gives a sample rate of {sample_rate} Hz, which no audio has.")
    if channels is not None and not 0 < channels <= MAX_CHANNELS:
        raise NotAudio(f"The file's header gives {channels} channels; at most {MAX_CHANNELS} are accepted.")
    bitrate_kbps = round(bitrate / 1000) if bitrate and bitrate > 0 else None
    return AudioProperties(
        format=_FORMAT_NAMES.get(kind, kind.lower()),
        duration_seconds=float(duration),
        bitrate_kbps=bitrate_kbps if bitrate_kbps and bitrate_kbps <= MAX_BITRATE_KBPS else None,
        sample_rate=sample_rate,
        channels=channels,
    )


# --- Tags: where each TagSet field lives, per format ---------------------------------------
# Each table maps a TagSet field to the keys that may hold it, most common first; the first
# key present wins. Track/disc numbers hold "3" or "3/12"; totals may also come separately.

# ID3 text frames. The first frame id is the one we write. (mutagen upgrades every tag to
# v2.4 on load: TYER is merged into TDRC and numeric genres like "(17)" become "Rock";
# TYER stays as a fallback for oddly tagged files.)
_ID3_TEXT_FRAMES: dict[str, tuple[str, ...]] = {
    "title": ("TIT2",),
    "artist": ("TPE1",),
    "album_artist": ("TPE2",),
    "album": ("TALB",),
    "date": ("TDRC", "TYER"),
    "track_number": ("TRCK",),
    "disc_number": ("TPOS",),
    "genre": ("TCON",),
    "bpm": ("TBPM",),
    "initial_key": ("TKEY",),
    "isrc": ("TSRC",),
    "label": ("TPUB",),
}

# ID3 user text frames (TXXX), by description as MusicBrainz Picard and foobar2000 write them.
# Matched case-insensitively: ReplayGain descriptions come in both upper and lower case.
_ID3_TXXX: dict[str, str] = {
    "musicbrainz_album_id": "MusicBrainz Album Id",
    "musicbrainz_artist_id": "MusicBrainz Artist Id",
    "musicbrainz_album_artist_id": "MusicBrainz Album Artist Id",
    "musicbrainz_release_group_id": "MusicBrainz Release Group Id",
    "replaygain_track_gain_db": "REPLAYGAIN_TRACK_GAIN",
    "replaygain_track_peak": "REPLAYGAIN_TRACK_PEAK",
    "replaygain_album_gain_db": "REPLAYGAIN_ALBUM_GAIN",
    "replaygain_album_peak": "REPLAYGAIN_ALBUM_PEAK",
}

# The MusicBrainz recording id lives in a unique file identifier frame owned by MusicBrainz.
_MUSICBRAINZ_UFID_OWNER = "http://musicbrainz.org"

# Vorbis comments (FLAC, Ogg). mutagen lower-cases keys and compares case-insensitively.
_VORBIS_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "artist": ("artist",),
    "album_artist": ("albumartist", "album artist"),  # the second is foobar2000's
    "album": ("album",),
    "date": ("date", "year"),
    "track_number": ("tracknumber",),
    "track_total": ("tracktotal", "totaltracks"),
    "disc_number": ("discnumber",),
    "disc_total": ("disctotal", "totaldiscs"),
    "genre": ("genre",),
    "bpm": ("bpm",),
    "initial_key": ("initialkey", "key"),
    "isrc": ("isrc",),
    "label": ("label", "organization", "publisher"),
    "comment": ("comment", "description"),
    "musicbrainz_track_id": ("musicbrainz_trackid",),  # Picard: the *recording* id
    "musicbrainz_album_id": ("musicbrainz_albumid",),
    "musicbrainz_artist_id": ("musicbrainz_artistid",),
    "musicbrainz_album_artist_id": ("musicbrainz_albumartistid",),
    "musicbrainz_release_group_id": ("musicbrainz_releasegroupid",),
    "replaygain_track_gain_db": ("replaygain_track_gain",),
    "replaygain_track_peak": ("replaygain_track_peak",),
    "replaygain_album_gain_db": ("replaygain_album_gain",),
    "replaygain_album_peak": ("replaygain_album_peak",),
}

# MP4 atoms, lower-cased because freeform names vary in case between taggers.
_ITUNES = "----:com.apple.itunes:"
_MP4_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("©nam",),
    "artist": ("©art",),
    "album_artist": ("aart",),
    "album": ("©alb",),
    "date": ("©day",),
    "track_number": ("trkn",),  # mutagen gives (3, 12) pairs, see _mp4_text
    "disc_number": ("disk",),
    "genre": ("©gen",),  # mutagen already turns the numeric "gnre" atom into ©gen
    "bpm": ("tmpo", _ITUNES + "bpm"),
    "initial_key": (_ITUNES + "initialkey", _ITUNES + "key"),
    "isrc": (_ITUNES + "isrc",),
    "label": (_ITUNES + "label", _ITUNES + "publisher"),
    "comment": ("©cmt",),
    "musicbrainz_track_id": (_ITUNES + "musicbrainz track id",),
    "musicbrainz_album_id": (_ITUNES + "musicbrainz album id",),
    "musicbrainz_artist_id": (_ITUNES + "musicbrainz artist id",),
    "musicbrainz_album_artist_id": (_ITUNES + "musicbrainz album artist id",),
    "musicbrainz_release_group_id": (_ITUNES + "musicbrainz release group id",),
    "replaygain_track_gain_db": (_ITUNES + "replaygain_track_gain",),
    "replaygain_track_peak": (_ITUNES + "replaygain_track_peak",),
    "replaygain_album_gain_db": (_ITUNES + "replaygain_album_gain",),
    "replaygain_album_peak": (_ITUNES + "replaygain_album_peak",),
}

RawTags = dict[str, list[str]]


def _read_tags(tags: object) -> TagSet:
    if isinstance(tags, ID3):  # MP3, and the ID3 chunk of WAV and AIFF
        return _tagset_from_raw(_id3_raw(tags))
    if isinstance(tags, VCommentDict):  # FLAC, Ogg Vorbis, Opus
        return _tagset_from_raw(_first_present(tags, _VORBIS_KEYS, str))
    if isinstance(tags, MP4Tags):
        lowered = {key.lower(): values for key, values in tags.items()}
        return _tagset_from_raw(_first_present(lowered, _MP4_KEYS, _mp4_text))
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
    for name, frame_ids in _ID3_TEXT_FRAMES.items():
        frame = next((tags[frame_id] for frame_id in frame_ids if frame_id in tags), None)
        if frame is not None:
            raw[name] = [str(text) for text in frame.text]

    descriptions = {frame.desc.lower(): frame for frame in tags.getall("TXXX")}
    for name, description in _ID3_TXXX.items():
        frame = descriptions.get(description.lower())
        if frame is not None:
            raw[name] = [str(text) for text in frame.text]

    ufid = tags.get(f"UFID:{_MUSICBRAINZ_UFID_OWNER}")
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


# --- From raw strings to a TagSet: stripping, joining, lenient numbers ------------------------

_TEXT_FIELDS = tuple(f.name for f in fields(TagSet) if f.default == "")
_POSITIONS = {"track_number": "track_total", "disc_number": "disc_total"}  # "3/12" -> number, total
_BPM_AND_PEAKS = ("bpm", "replaygain_track_peak", "replaygain_album_peak")  # never negative
_GAINS = ("replaygain_track_gain_db", "replaygain_album_gain_db")
MULTI_VALUE_SEPARATOR = "; "

# A leading decimal number: "128.00", "-6.50 dB", "128,5" (decimal comma), "1e-05".
_LEADING_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
_LEADING_COUNT = re.compile(r"\d+")
# No real release has this many tracks or discs; beyond it the "number" is garbage.
_MAX_POSITION = 9999


def _tagset_from_raw(raw: RawTags) -> TagSet:
    values: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        values[name] = _join(raw.get(name, []))
    for number_name, total_name in _POSITIONS.items():
        number, total = parse_position(_first(raw.get(number_name, [])))
        separate_total = parse_position(_first(raw.get(total_name, [])))[0]
        values[number_name] = number
        values[total_name] = separate_total if separate_total is not None else total
    for name in _BPM_AND_PEAKS:
        number = parse_number(_first(raw.get(name, [])))
        values[name] = number if number is not None and number >= 0 else None
    for name in _GAINS:
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


# --- Cover art -----------------------------------------------------------------------------

# Stored mime types are often missing or wrong ("image/jpg", "", "-->" for a URL), so the
# image's own magic bytes decide when they are recognisable.
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _read_cover(audio: mutagen.FileType) -> CoverArt | None:
    """The front cover when marked as such, else the first picture."""
    pictures = _pictures(audio)
    pictures.sort(key=lambda picture: picture[0] != PictureType.COVER_FRONT)  # stable: keeps file order
    for _, mime, data in pictures:
        cover = _cover_art(data, mime)
        if cover is not None:
            return cover
    return None


def _pictures(audio: mutagen.FileType) -> list[tuple[int, str, bytes]]:
    """(picture type, stored mime, data) of every embedded picture, in file order."""
    tags = audio.tags
    if isinstance(tags, ID3):
        return [(frame.type, frame.mime, frame.data) for frame in tags.getall("APIC")]
    if isinstance(tags, MP4Tags):  # covr has no picture type; it is the cover
        return [(PictureType.COVER_FRONT, _mp4_mime(cover), bytes(cover)) for cover in tags.get("covr", [])]
    pictures = list(getattr(audio, "pictures", []))  # FLAC picture blocks
    if isinstance(tags, VCommentDict):
        pictures += _vorbis_pictures(tags)
    return [(picture.type, picture.mime, picture.data) for picture in pictures]


def _vorbis_pictures(tags: VCommentDict) -> list[Picture]:
    # Ogg files embed FLAC picture blocks as base64 in a METADATA_BLOCK_PICTURE comment.
    pictures = []
    for encoded in tags.get("metadata_block_picture", []):
        try:
            pictures.append(Picture(base64.b64decode(encoded)))
        except (binascii.Error, ValueError, mutagen.MutagenError):
            continue  # a broken picture shouldn't make the audio unreadable
    return pictures


def _mp4_mime(cover: MP4Cover) -> str:
    return "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"


def _cover_art(data: bytes, stored_mime: str) -> CoverArt | None:
    if not data:
        return None
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return CoverArt(data=bytes(data), mime=mime)
    # Unknown magic: trust the stored type only if it claims to be an image (not a "-->" link).
    stored = (stored_mime or "").strip().lower()
    return CoverArt(data=bytes(data), mime=stored) if stored.startswith("image/") else None


# --- File names ----------------------------------------------------------------------------

# Only a short suffix containing a letter is an extension: "Mr. Big - Song" has none.
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")
# "01 - ", "1. ", "07) " — but not "50 Cent - ...", which has no separator after the number.
_LEADING_TRACK_NUMBER = re.compile(r"^\d{1,3}\s*[-.)]\s+")
_ARTIST_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+")


def split_file_name(file_name: str) -> tuple[str, str]:
    """(artist, title) guessed from a file name: "01 - Artist - Title.flac" -> ("Artist", "Title")."""
    # Browsers on Windows may send backslash paths; either separator ends a directory.
    name = PurePosixPath(file_name.replace("\\", "/")).name.strip()
    stem = _EXTENSION.sub("", name).replace("_", " ")
    stem = " ".join(stem.split())
    stem = _LEADING_TRACK_NUMBER.sub("", stem)
    parts = _ARTIST_TITLE_SEPARATOR.split(stem, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return "", stem


# --- Writing ID3 ---------------------------------------------------------------------------


def write_id3_tags(path: str | os.PathLike[str], tags: TagSet, cover: CoverArt | None) -> None:
    """Replace the tags of an MP3 file with ID3v2.4 holding `tags` and `cover` (as front cover).

    The inverse of reading: read_audio_file(path) afterwards gives back an equal TagSet and
    the same cover bytes. Raises mutagen.MutagenError if the file can't be written.
    """
    id3 = ID3()
    for frame in id3_frames(tags, cover):
        id3.add(frame)
    # Saving a fresh ID3 replaces the old ID3v2 block in place. v1=0 removes any ID3v1 tag at
    # the end of the file rather than refreshing it (mutagen's default): a truncated Latin-1
    # copy of the tags is only a second, lossy source of truth.
    id3.save(os.fspath(path), v1=0, v2_version=4)


def id3_frames(tags: TagSet, cover: CoverArt | None) -> list[Frame]:
    """The ID3v2.4 frames for a TagSet and cover; also usable for ID3 inside WAV or AIFF."""
    raw = _raw_from_tagset(tags)
    frames: list[Frame] = []
    for name, frame_ids in _ID3_TEXT_FRAMES.items():
        if name in raw:
            frames.append(Frames[frame_ids[0]](encoding=Encoding.UTF8, text=[raw[name]]))
    for name, description in _ID3_TXXX.items():
        if name in raw:
            frames.append(TXXX(encoding=Encoding.UTF8, desc=description, text=[raw[name]]))
    if "musicbrainz_track_id" in raw:
        frames.append(UFID(owner=_MUSICBRAINZ_UFID_OWNER, data=raw["musicbrainz_track_id"].encode("utf-8")))
    if "comment" in raw:
        frames.append(COMM(encoding=Encoding.UTF8, lang="eng", desc="", text=[raw["comment"]]))
    if cover is not None:
        frames.append(
            APIC(encoding=Encoding.UTF8, mime=cover.mime, type=PictureType.COVER_FRONT, desc="", data=cover.data)
        )
    return frames


def _raw_from_tagset(tags: TagSet) -> dict[str, str]:
    """Tag values as the strings ID3 stores; absent values are left out."""
    raw = {name: getattr(tags, name) for name in _TEXT_FIELDS if getattr(tags, name)}
    if tags.date:
        raw["date"] = _id3_timestamp(tags.date)
        if not raw["date"]:
            del raw["date"]
    for number_name, total_name in _POSITIONS.items():
        number, total = getattr(tags, number_name), getattr(tags, total_name)
        if total:  # ID3 has no separate total: "3/12", or "0/12" when only the total is known
            raw[number_name] = f"{number or 0}/{total}"
        elif number:
            raw[number_name] = str(number)
    formats = {"bpm": (0, ""), "replaygain_track_peak": (6, ""), "replaygain_album_peak": (6, "")}
    formats |= dict.fromkeys(_GAINS, (2, " dB"))  # "-6.50 dB", as ReplayGain scanners write it
    for name, (places, unit) in formats.items():
        value = getattr(tags, name)
        if value is not None:
            raw[name] = _format_decimal(value, places) + unit
    return raw


def _format_decimal(value: float, places: int) -> str:
    """`value` with at least `places` decimals, more only if needed to read back the same float."""
    for digits in range(places, 18):
        text = f"{value:.{digits}f}"
        if float(text) == value:
            return text
    return repr(value)


def _id3_timestamp(date: str) -> str:
    # TDRC only holds ID3 timestamps ("2020", "2020-05-01", ...): mutagen silently turns
    # anything else into "", so keep at least a year found in the text ("Spring 2020" -> "2020").
    stamp = ID3TimeStamp(date).text
    if stamp:
        return stamp
    year = re.search(r"\b\d{4}\b", date)
    return year.group() if year else ""
