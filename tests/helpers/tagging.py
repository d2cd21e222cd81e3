"""Write tags and cover art with mutagen into generated audio files (see tests/helpers/media.py).

So tests can make "real" tagged FLAC, MP3, WAV and M4A files from ffmpeg tones, e.g.

    path = make_tone(tmp_path / "song.flac")
    tag_flac(path, {"ARTIST": "Someone", "TITLE": "A Song"}, cover_png=image_bytes("png"))
"""

from __future__ import annotations

from pathlib import Path

from mutagen.flac import FLAC, Picture
from mutagen.id3 import PictureType
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.wave import WAVE

from tracks.tags import CoverArt, TagSet, id3_frames, write_id3_tags


def tag_flac(
    path: Path,
    tags: dict[str, str | list[str]],
    cover_png: bytes | None = None,
    *,
    cover_mime: str = "image/png",
    picture_type: int = PictureType.COVER_FRONT,
) -> Path:
    """Vorbis comments exactly as given (keys like "TITLE", "MUSICBRAINZ_TRACKID") and a picture block."""
    audio = FLAC(path)
    for key, value in tags.items():
        audio[key] = value
    if cover_png is not None:
        audio.add_picture(_flac_picture(cover_png, cover_mime, picture_type))
    audio.save()
    return path


def _flac_picture(data: bytes, mime: str, picture_type: int) -> Picture:
    picture = Picture()
    picture.type = picture_type
    picture.mime = mime
    picture.desc = ""
    picture.data = data
    return picture


def tag_mp3(path: Path, tags: TagSet, cover: CoverArt | None = None) -> Path:
    """ID3v2.4 as the application writes it (replaces any existing tags)."""
    write_id3_tags(path, tags, cover)
    return path


def tag_wav(path: Path, tags: TagSet, cover: CoverArt | None = None) -> Path:
    """An "id3 " chunk in a WAV file, with the same frames write_id3_tags puts in an MP3."""
    audio = WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    for frame in id3_frames(tags, cover):
        audio.tags.add(frame)
    audio.save(v2_version=4)
    return path


def tag_m4a(path: Path, atoms: dict[str, list], cover_png: bytes | None = None) -> Path:
    """MP4 atoms as given ({"©nam": ["Title"], "trkn": [(3, 12)], "tmpo": [128]}).

    Freeform "----:..." values may be given as str; they are stored as UTF-8 freeform data.
    """
    audio = MP4(path)
    for key, values in atoms.items():
        if key.startswith("----:"):
            values = [MP4FreeForm(v.encode("utf-8")) if isinstance(v, str) else v for v in values]
        audio[key] = values
    if cover_png is not None:
        audio["covr"] = [MP4Cover(cover_png, imageformat=MP4Cover.FORMAT_PNG)]
    audio.save()
    return path
