"""Which files the library accepts and where their objects live."""

import os

from core import media
from core.storage import user_key

AUDIO_EXTENSIONS = frozenset({".mp3", ".flac", ".wav", ".wave", ".aif", ".aiff", ".m4a", ".mp4", ".ogg", ".opus"})
# Declared types (normalised by core.media) an upload URL is given for; the bytes are checked anyway.
AUDIO_CONTENT_TYPES = frozenset(
    {
        *media.AUDIO_EXTENSIONS,
        # What desktop clients send when they do not know better.
        media.GENERIC_BINARY,
    }
)
# Formats played as they are; everything else gets a 320 kbps MP3.
PLAYABLE_FORMATS = frozenset({"mp3"})


def extension(file_name: str) -> str:
    return os.path.splitext(file_name)[1].lower()


def is_audio_file_name(file_name: str) -> bool:
    return extension(file_name) in AUDIO_EXTENSIONS


# Keys hold the attempt that made them, so a racing or repeated attempt never overwrites an object a
# row already points at, and their extension comes from the checked type, never the file name.


def original_key(owner_id, track_id, attempt: str, audio_format: str) -> str:
    ext = media.extension_for(media.FORMAT_CONTENT_TYPES.get(audio_format, ""))
    return user_key(owner_id, "tracks", str(track_id), "original", f"{attempt}{ext}")


def mp3_key(owner_id, track_id, attempt: str) -> str:
    return user_key(owner_id, "tracks", str(track_id), "mp3", f"{attempt}.mp3")


def artwork_key(owner_id, track_id, attempt: str, content_type: str) -> str:
    return user_key(owner_id, "tracks", str(track_id), "artwork", f"{attempt}{media.extension_for(content_type)}")


def download_name(file_name: str, name: str = "") -> str:
    """The file name a downloaded MP3 is saved under: the original's name with .mp3."""
    stem = os.path.splitext(file_name)[0] or name or "track"
    return f"{stem}.mp3"
