"""Writing a TagSet and cover into an MP3 as ID3v2.4, the inverse of reading.

A TagSet becomes the strings ID3 stores (TagSet -> raw strings -> frames, through the same
tables reading uses), so read_audio_file gives back an equal TagSet and the same cover
bytes. ID3 has no separate track or disc total ("3/12" in TRCK), keeps dates only as ID3
timestamps, and ReplayGain values are written as scanners write them ("-6.50 dB").
"""

from __future__ import annotations

import os
import re

from mutagen.id3 import APIC, COMM, ID3, TXXX, UFID, Encoding, Frame, Frames, ID3TimeStamp, PictureType

from tracks.tags.tables import ID3_TEXT_FRAMES, ID3_TXXX, MUSICBRAINZ_UFID_OWNER
from tracks.tags.values import GAINS, POSITIONS, TEXT_FIELDS, CoverArt, TagSet


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
    for name, frame_ids in ID3_TEXT_FRAMES.items():
        if name in raw:
            frames.append(Frames[frame_ids[0]](encoding=Encoding.UTF8, text=[raw[name]]))
    for name, description in ID3_TXXX.items():
        if name in raw:
            frames.append(TXXX(encoding=Encoding.UTF8, desc=description, text=[raw[name]]))
    if "musicbrainz_track_id" in raw:
        frames.append(UFID(owner=MUSICBRAINZ_UFID_OWNER, data=raw["musicbrainz_track_id"].encode("utf-8")))
    if "comment" in raw:
        frames.append(COMM(encoding=Encoding.UTF8, lang="eng", desc="", text=[raw["comment"]]))
    if cover is not None:
        frames.append(
            APIC(encoding=Encoding.UTF8, mime=cover.mime, type=PictureType.COVER_FRONT, desc="", data=cover.data)
        )
    return frames


def _raw_from_tagset(tags: TagSet) -> dict[str, str]:
    """Tag values as the strings ID3 stores; absent values are left out."""
    raw = {name: getattr(tags, name) for name in TEXT_FIELDS if getattr(tags, name)}
    if tags.date:
        raw["date"] = _id3_timestamp(tags.date)
        if not raw["date"]:
            del raw["date"]
    for number_name, total_name in POSITIONS.items():
        number, total = getattr(tags, number_name), getattr(tags, total_name)
        if total:  # ID3 has no separate total: "3/12", or "0/12" when only the total is known
            raw[number_name] = f"{number or 0}/{total}"
        elif number:
            raw[number_name] = str(number)
    formats = {"bpm": (0, ""), "replaygain_track_peak": (6, ""), "replaygain_album_peak": (6, "")}
    formats |= dict.fromkeys(GAINS, (2, " dB"))  # "-6.50 dB", as ReplayGain scanners write it
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
