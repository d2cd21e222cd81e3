"""Which files the library accepts and where their objects live."""

import os

from core.storage import safe_file_name, user_key

AUDIO_EXTENSIONS = frozenset({".mp3", ".flac", ".wav", ".wave", ".aif", ".aiff", ".m4a", ".mp4", ".ogg", ".opus"})
AUDIO_CONTENT_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp3",
        "audio/flac",
        "audio/x-flac",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/aiff",
        "audio/x-aiff",
        "audio/mp4",
        "audio/x-m4a",
        "audio/ogg",
        "audio/opus",
        # What desktop clients send when they do not know better; the bytes are checked anyway.
        "application/octet-stream",
    }
)
# Formats played as they are; everything else gets a 320 kbps MP3.
PLAYABLE_FORMATS = frozenset({"mp3"})


def extension(file_name: str) -> str:
    return os.path.splitext(file_name)[1].lower()


def is_audio_file_name(file_name: str) -> bool:
    return extension(file_name) in AUDIO_EXTENSIONS


def original_key(owner_id, track_id, file_name: str) -> str:
    return user_key(owner_id, "tracks", str(track_id), "original", safe_file_name(file_name))


def mp3_key(owner_id, track_id, file_name: str, attempt: str) -> str:
    # One key per transcode attempt: the row points at an object only once it is complete.
    stem = os.path.splitext(safe_file_name(file_name))[0] or "track"
    return user_key(owner_id, "tracks", str(track_id), "mp3", f"{attempt}-{stem}.mp3")


def artwork_key(owner_id, track_id, mime: str) -> str:
    suffix = ".png" if mime == "image/png" else ".jpg"
    return user_key(owner_id, "tracks", str(track_id), "artwork", f"cover{suffix}")


def download_name(file_name: str, name: str = "") -> str:
    """The file name a downloaded MP3 is saved under: the original's name with .mp3."""
    stem = os.path.splitext(file_name)[0] or name or "track"
    return f"{stem}.mp3"
