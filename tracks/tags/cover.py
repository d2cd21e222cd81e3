"""Which embedded picture of an audio file is its cover, and what kind of image it really is.

Each format embeds pictures its own way: ID3 APIC frames and FLAC picture blocks carry a
picture type (front cover, back, artist, ...), MP4's covr atom has none and is the cover,
and Ogg files hold FLAC picture blocks base64-encoded in a METADATA_BLOCK_PICTURE comment.
The front cover wins when one is marked as such, else the first picture in file order.
"""

from __future__ import annotations

import base64
import binascii

import mutagen
from mutagen._vorbis import VCommentDict  # common base of the FLAC and Ogg comment blocks
from mutagen.flac import Picture
from mutagen.id3 import ID3, PictureType
from mutagen.mp4 import MP4Cover, MP4Tags

from core import media
from tracks.tags.values import CoverArt


def read_cover(audio: mutagen.FileType) -> CoverArt | None:
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
    # Stored mime types are often missing or wrong ("image/jpg", "", "-->" for a URL), so the image's
    # own first bytes decide when they are recognisable. The bytes are decoded before they are kept.
    sniffed = media.sniff_image_type(data[:16])
    if sniffed:
        return CoverArt(data=bytes(data), mime=sniffed)
    # Unknown signature: trust the stored type only if it claims to be an image (not a "-->" link).
    stored = (stored_mime or "").strip().lower()
    return CoverArt(data=bytes(data), mime=stored) if stored.startswith("image/") else None
