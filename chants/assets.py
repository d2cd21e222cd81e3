"""What a song's audio and artwork files may be, and how their bytes are checked (through core.media)."""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chants.models import AssetKind
from core import media

COPY_CHUNK = 1024 * 1024

ALLOWED_CONTENT_TYPES = {
    AssetKind.AUDIO: frozenset(media.AUDIO_EXTENSIONS),
    AssetKind.ARTWORK: frozenset(media.IMAGE_EXTENSIONS),
}


class AssetRejected(Exception):
    """The uploaded bytes are not what the upload said they would be."""


@dataclass(frozen=True)
class CheckedAsset:
    content_type: str  # what the check found, which the stored key's extension says
    duration_seconds: float | None  # audio only


def content_type_refusal(kind: str, content_type: str) -> str | None:
    """Why this content type is not accepted for the kind, or None when it is."""
    allowed = ALLOWED_CONTENT_TYPES[kind]
    if media.normalize_content_type(content_type) in allowed:
        return None
    return f"{content_type!r} is not accepted for {kind}; use one of: {', '.join(sorted(allowed))}."


def check_file(kind: str, path: Path, *, size: int, max_bytes: int) -> CheckedAsset:
    """Check a local file's bytes for its kind: not empty, within the limit, a real image or real audio."""
    if size == 0:
        raise AssetRejected("The uploaded file is empty.")
    if size > max_bytes:
        raise AssetRejected(f"The file is {size} bytes; the limit for {kind} is {max_bytes} bytes.")
    try:
        if kind == AssetKind.ARTWORK:
            return CheckedAsset(content_type=media.check_image(path).content_type, duration_seconds=None)
        audio = media.check_audio(path)
    except media.MediaRejected as exc:
        raise AssetRejected(str(exc)) from exc
    return CheckedAsset(content_type=audio.content_type, duration_seconds=audio.duration_seconds)


def check_stream(kind: str, stream: IO[bytes], *, size: int, max_bytes: int) -> CheckedAsset:
    """check_file for bytes that are not in a local file yet (a file uploaded in the admin)."""
    with tempfile.TemporaryDirectory(prefix="asset-") as folder:
        local = Path(folder) / "asset"
        with open(local, "wb") as out:
            shutil.copyfileobj(stream, out, COPY_CHUNK)
        return check_file(kind, local, size=size, max_bytes=max_bytes)
