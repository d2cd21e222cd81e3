"""Audio and image files made on the fly with ffmpeg, so no binaries live in the repository."""

import subprocess
import tempfile
from functools import cache
from pathlib import Path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_tone(path: Path, *, seconds: float = 2.0, frequency: int = 440, sample_rate: int = 44100) -> Path:
    """A stereo sine tone; the format follows the file's extension (.mp3, .flac, .wav, ...)."""
    codec = ["-codec:a", "libmp3lame", "-b:a", "128k"] if path.suffix == ".mp3" else []
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={frequency}:duration={seconds}:sample_rate={sample_rate}",
        "-ac",
        "2",
        *codec,
        str(path),
    )
    return path


def make_image(path: Path, *, size: str = "64x64", color: str = "red") -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"color=c={color}:s={size}", "-frames:v", "1", str(path))
    return path


@cache
def tone_bytes(extension: str = "mp3", seconds: float = 2.0) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return make_tone(Path(folder) / f"tone.{extension}", seconds=seconds).read_bytes()


@cache
def image_bytes(extension: str = "png") -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return make_image(Path(folder) / f"art.{extension}").read_bytes()
