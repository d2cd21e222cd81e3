"""What a song's audio and artwork files may be, and how their bytes are checked."""

import mutagen

from chants.models import AssetKind

AUDIO_CONTENT_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/x-m4a",
        "audio/flac",
        "audio/x-flac",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/ogg",
        "audio/opus",
        "audio/aiff",
        "audio/x-aiff",
    }
)
ARTWORK_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
ALLOWED_CONTENT_TYPES = {AssetKind.AUDIO: AUDIO_CONTENT_TYPES, AssetKind.ARTWORK: ARTWORK_CONTENT_TYPES}

_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class AssetRejected(Exception):
    """The uploaded bytes are not what the upload said they would be."""


def image_type(header: bytes) -> str | None:
    """The image type of a file from its first bytes, or None when it is no image we accept."""
    for signature, content_type in _IMAGE_SIGNATURES:
        if header.startswith(signature):
            return content_type
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_artwork(header: bytes) -> None:
    if image_type(header) is None:
        raise AssetRejected("The artwork is not a JPEG, PNG, WebP or GIF image.")


def audio_duration(path: str) -> float:
    """The duration of an audio file in seconds, read by mutagen; rejects anything else."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise AssetRejected(f"The file is not a recognisable audio file ({exc}).") from exc
    if audio is None or audio.info is None or not getattr(audio.info, "length", 0):
        raise AssetRejected("The file is not a recognisable audio file (MP3, FLAC, WAV, AIFF, Ogg, MP4).")
    return float(audio.info.length)
