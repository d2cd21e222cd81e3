"""Which media types the project accepts, how it names them, and how stored objects are served.

Content types are normalised once, here, before anything is signed or compared: a client's
`Audio/MPEG; foo=bar` is `audio/mpeg` everywhere after that. Aliases (`audio/x-wav`,
`audio/mp3`) map to one canonical type, and each canonical type has the one extension its
stored keys end with. A key's extension therefore always says what was checked, never what a
client named its file, and the type an object is served as is read back from that extension
(`served_type`): only the allow-listed audio and image types below are served inline.

Images are checked by decoding them with Pillow, not by their first bytes: a "PNG" that is a PNG
signature followed by HTML fails to decode and is refused.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from typing import IO

import mutagen

GENERIC_BINARY = "application/octet-stream"

# Canonical type -> the extension of keys holding that type.
AUDIO_EXTENSIONS = {
    "audio/mpeg": ".mp3",
    "audio/flac": ".flac",
    "audio/wav": ".wav",
    "audio/aiff": ".aiff",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
}
IMAGE_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
# Other names clients and libraries use for the same types.
ALIASES = {
    "audio/mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/x-flac": "audio/flac",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-aiff": "audio/aiff",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
}
# Served inline (a player or <img> can use them); everything else is an attachment.
_SERVED_INLINE = {
    extension: content_type for content_type, extension in {**AUDIO_EXTENSIONS, **IMAGE_EXTENSIONS}.items()
}
# Served as attachments with a type of their own.
_SERVED_AS_ATTACHMENT = {".zip": "application/zip", ".json": "application/json"}

# Pillow's format names for the image types we accept.
_PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Artwork larger than this many pixels is refused before it is decoded (a decompression bomb).
MAX_IMAGE_PIXELS = 40_000_000

# mutagen's class name -> (the short format name rows store, the canonical content type).
AUDIO_FORMATS = {
    "MP3": ("mp3", "audio/mpeg"),
    "FLAC": ("flac", "audio/flac"),
    "WAVE": ("wav", "audio/wav"),
    "AIFF": ("aiff", "audio/aiff"),
    "MP4": ("m4a", "audio/mp4"),
    "AAC": ("aac", "audio/aac"),
    "OggVorbis": ("ogg", "audio/ogg"),
    "OggFLAC": ("ogg", "audio/ogg"),
    "OggOpus": ("opus", "audio/opus"),
}

FORMAT_CONTENT_TYPES = dict(AUDIO_FORMATS.values())

NOT_AUDIO = "The file is not a recognisable audio file (MP3, FLAC, WAV, AIFF, Ogg, MP4)."
NOT_AN_IMAGE = "The file is not a JPEG, PNG, WebP or GIF image that can be decoded."


class MediaRejected(Exception):
    """The bytes are not the kind of media they were said to be; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class AudioStream:
    duration_seconds: float
    sample_rate: int | None  # None: the format does not say (Opus always decodes at 48 kHz)
    channels: int | None


@dataclass(frozen=True)
class CheckedAudio:
    content_type: str
    extension: str
    format: str
    duration_seconds: float
    sample_rate: int | None
    channels: int | None


NO_AUDIO = "The file has no audio in it (its duration is zero)."
# Beyond these a header is lying: DSD256 is 11.3 MHz, and 64 channels is more than any mix.
MAX_SAMPLE_RATE = 50_000_000
MAX_CHANNELS = 64


def normalize_content_type(value: str | None) -> str:
    """`Audio/MPEG; foo=bar ` -> `audio/mpeg`: the media type alone, lower case, aliases resolved."""
    base = (value or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def is_audio_type(content_type: str) -> bool:
    return normalize_content_type(content_type) in AUDIO_EXTENSIONS


def is_image_type(content_type: str) -> bool:
    return normalize_content_type(content_type) in IMAGE_EXTENSIONS


def extension_for(content_type: str) -> str:
    """The extension of keys that hold this (checked) type; empty for types we do not name."""
    normal = normalize_content_type(content_type)
    return AUDIO_EXTENSIONS.get(normal) or IMAGE_EXTENSIONS.get(normal) or ""


@dataclass(frozen=True)
class ServedAs:
    content_type: str
    inline: bool


def served_type(key: str) -> ServedAs:
    """How the object at `key` is served: its type from the key's extension, inline only for audio and images."""
    extension = os.path.splitext(key)[1].lower()
    if extension in _SERVED_INLINE:
        return ServedAs(_SERVED_INLINE[extension], inline=True)
    return ServedAs(_SERVED_AS_ATTACHMENT.get(extension, GENERIC_BINARY), inline=False)


_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image_type(header: bytes) -> str | None:
    """The image type a file's first bytes claim, for choosing among candidates only.

    A claim, not a check: bytes are accepted as an image only by check_image, which decodes them.
    """
    for signature, content_type in _IMAGE_SIGNATURES:
        if header.startswith(signature):
            return content_type
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image(source: str | os.PathLike[str] | IO[bytes]) -> CheckedImage:
    """Decode an image fully; its type is what Pillow found, whatever the upload claimed.

    Raises MediaRejected when the bytes are not a JPEG, PNG, WebP or GIF that decodes, or are
    larger than MAX_IMAGE_PIXELS.
    """
    from PIL import Image  # only the processes that check images load Pillow

    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; every bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=tuple(_PILLOW_FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise MediaRejected(
                        f"The image is {width}x{height} pixels; at most {MAX_IMAGE_PIXELS} pixels are accepted."
                    )
                content_type = _PILLOW_FORMATS[image.format]
                image.load()  # decodes every pixel of the (first) frame: truncated or fake data fails here
    except MediaRejected:
        raise
    except Exception as exc:
        # Pillow reports bad data as UnidentifiedImageError, SyntaxError, OSError, ValueError,
        # struct.error, DecompressionBomb*...: all of them mean "not an image we accept".
        raise MediaRejected(NOT_AN_IMAGE) from exc
    return CheckedImage(content_type=content_type, extension=IMAGE_EXTENSIONS[content_type], width=width, height=height)


def audio_type_of(audio: mutagen.FileType) -> tuple[str, str]:
    """(format name, canonical content type) of a parsed file; MediaRejected for formats we do not serve."""
    known = AUDIO_FORMATS.get(type(audio).__name__)
    if known is None:
        raise MediaRejected(NOT_AUDIO)
    return known


def parse_audio(source: str | os.PathLike[str] | IO[bytes]) -> mutagen.FileType:
    """The file parsed by mutagen (full tags, not the "easy" subset); MediaRejected when it is not audio."""
    try:
        audio = mutagen.File(source)
    except Exception as exc:
        # MutagenError is the documented failure, but on garbage mutagen's parsers also leak
        # struct.error, ValueError, IndexError, EOFError...: all of them mean "not audio".
        raise MediaRejected(NOT_AUDIO) from exc
    if audio is None:  # no format claimed the file
        raise MediaRejected(NOT_AUDIO)
    return audio


def stream_of(audio: mutagen.FileType) -> AudioStream:
    """Duration, sample rate and channels of a parsed file; MediaRejected when there is no audio or the header lies."""
    info = getattr(audio, "info", None)
    length = getattr(info, "length", 0) or 0
    if not math.isfinite(length) or length <= 0:
        raise MediaRejected(NO_AUDIO)
    sample_rate = getattr(info, "sample_rate", None) or None
    channels = getattr(info, "channels", None) or None
    if sample_rate is not None and not 0 < sample_rate <= MAX_SAMPLE_RATE:
        raise MediaRejected(f"The file's header gives a sample rate of {sample_rate} Hz, which no audio has.")
    if channels is not None and not 0 < channels <= MAX_CHANNELS:
        raise MediaRejected(f"The file's header gives {channels} channels; at most {MAX_CHANNELS} are accepted.")
    return AudioStream(duration_seconds=float(length), sample_rate=sample_rate, channels=channels)


def check_uploaded_audio(uploaded) -> CheckedAudio:
    """check_audio on a file Django received in a request, read where it lies: its temporary file or memory.

    Opened by descriptor, so the stream has no name: mutagen, which also scores formats by a file
    name's extension, judges the bytes alone and never the client's name in Django's temporary file.
    Only the header is read: light enough for a request, and no copy of the upload is made.
    """
    if hasattr(uploaded, "temporary_file_path"):
        with open(os.open(uploaded.temporary_file_path(), os.O_RDONLY), "rb") as received:
            return check_audio(received)
    uploaded.seek(0)
    try:
        return check_audio(uploaded.file)
    finally:
        uploaded.seek(0)


def check_audio(path: str | os.PathLike[str] | IO[bytes]) -> CheckedAudio:
    """Is the file really audio we serve, with a duration and a sane header? Its type is what mutagen found."""
    audio = parse_audio(path)
    format_name, content_type = audio_type_of(audio)
    stream = stream_of(audio)
    return CheckedAudio(
        content_type=content_type,
        extension=AUDIO_EXTENSIONS[content_type],
        format=format_name,
        duration_seconds=stream.duration_seconds,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
    )
