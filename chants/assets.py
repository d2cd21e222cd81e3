"""What a song's audio and artwork files may be, and how their bytes are checked."""

import math
import os
import shutil
import tempfile
from typing import IO

import mutagen

from chants.models import AssetKind

HEADER_BYTES = 64  # enough for every image signature below
COPY_CHUNK = 1024 * 1024
NOT_AUDIO = "The file is not a recognisable audio file (MP3, FLAC, WAV, AIFF, Ogg, MP4)."

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
    except Exception as exc:
        # MutagenError is the documented failure, but on garbage mutagen's parsers also leak
        # struct.error, ValueError, IndexError, EOFError...: all of them mean "not audio".
        raise AssetRejected(NOT_AUDIO) from exc
    length = getattr(getattr(audio, "info", None), "length", 0) if audio is not None else 0
    if not length or not math.isfinite(length) or length <= 0:
        raise AssetRejected(NOT_AUDIO)
    return float(length)


def normal_content_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def content_type_refusal(kind: str, content_type: str) -> str | None:
    """Why this content type is not accepted for the kind, or None when it is."""
    allowed = ALLOWED_CONTENT_TYPES[kind]
    if normal_content_type(content_type) in allowed:
        return None
    return f"{content_type!r} is not accepted for {kind}; use one of: {', '.join(sorted(allowed))}."


def check_file(kind: str, stream: IO[bytes], *, size: int, max_bytes: int, file_name: str) -> float | None:
    """Check a file's bytes for its kind: not empty, within the limit, a real image or real audio.

    Returns the duration of audio (None for artwork); raises AssetRejected with the reason.
    """
    if size == 0:
        raise AssetRejected("The uploaded file is empty.")
    if size > max_bytes:
        raise AssetRejected(f"The file is {size} bytes; the limit for {kind} is {max_bytes} bytes.")
    if kind == AssetKind.ARTWORK:
        check_artwork(stream.read(HEADER_BYTES))
        return None
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(file_name)[1][:10]) as local:
        shutil.copyfileobj(stream, local, COPY_CHUNK)
        local.flush()
        return audio_duration(local.name)
