"""Opening an audio file with libsndfile (soundfile) and reading it in fixed-size blocks.

Only the containers the engine promises are accepted: WAV (also WAVE_FORMAT_EXTENSIBLE and RF64),
FLAC, AIFF, MP3 and OGG (Vorbis or Opus), as libsndfile reports them; anything else libsndfile
happens to read (AU, CAF, raw, ...) is refused, so what the engine measures is what it documents.
Every block is ``float32`` frames × channels in libsndfile's scale (integer PCM maps to
[-1, 1), float files are passed as they are), C-contiguous, i.e. interleaved in memory, which is
the layout libebur128 takes.

Checks, each an :class:`AnalysisError` with a readable message:

* the file cannot be opened or decoded as audio (corrupt, empty, not audio);
* it has no frames, or lasts less than :data:`MIN_SECONDS`;
* it lasts longer than ``max_seconds`` (checked on the header before reading, and again while
  reading, because a decoder's frame count can be an estimate);
* it has more than two channels (surround is not measured: no downmix is guessed);
* its sample rate is outside :data:`MIN_SAMPLE_RATE`–:data:`MAX_SAMPLE_RATE` (8 kHz to 384 kHz,
  every rate a real recording uses): a header can claim 8 Hz or 3 MHz, and the meters size their
  filters and windows from the rate, so such a file is refused before anything is allocated;
* a float file holds NaN or infinite samples, or samples beyond :data:`MAX_FLOAT_AMPLITUDE`
  (+60 dBFS), which no real master contains and which would overflow the power sums.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from mastering.analysis.errors import AnalysisError

MIN_SECONDS = 1.0
MAX_CHANNELS = 2
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 384_000
MAX_FLOAT_AMPLITUDE = 1000.0

# libsndfile's major format name -> the engine's format name.
FORMATS = {
    "WAV": "wav",
    "WAVEX": "wav",
    "RF64": "wav",
    "FLAC": "flac",
    "AIFF": "aiff",
    "MP3": "mp3",
    "MPEG": "mp3",
    "OGG": "ogg",
}
FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}


@dataclass(frozen=True)
class SourceInfo:
    sample_rate: int
    channels: int
    format: str
    subtype: str
    declared_frames: int


class AudioSource:
    """An open audio file; use as a context manager and iterate :meth:`blocks`."""

    def __init__(self, path, *, max_seconds: float | None = None) -> None:
        try:
            self._file = sf.SoundFile(str(path))
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError, TypeError) as exc:
            raise AnalysisError(_unreadable_message(path, exc)) from exc
        try:
            self.info = self._check(max_seconds)
        except BaseException:
            self._file.close()
            raise
        self.max_seconds = max_seconds
        self.frames_read = 0

    def _check(self, max_seconds: float | None) -> SourceInfo:
        major = str(self._file.format).upper()
        if major not in FORMATS:
            raise AnalysisError(
                f"The file is {self._file.format_info or major}, which is not analysed; "
                "upload WAV, FLAC, AIFF, MP3 or OGG."
            )
        channels = int(self._file.channels)
        rate = int(self._file.samplerate)
        if rate <= 0:
            raise AnalysisError("The file does not say its sample rate, so it cannot be analysed.")
        if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
            raise AnalysisError(
                f"The file says its sample rate is {rate} Hz; only rates from {MIN_SAMPLE_RATE} Hz to "
                f"{MAX_SAMPLE_RATE} Hz are analysed. The header may be damaged: export the file again."
            )
        if channels < 1:
            raise AnalysisError("The file has no audio channels.")
        if channels > MAX_CHANNELS:
            raise AnalysisError(
                f"The file has {channels} channels; only mono and stereo files are analysed. "
                "Export a stereo mix and upload that."
            )
        frames = max(int(self._file.frames), 0)
        if frames == 0:
            raise AnalysisError("The file contains no audio (0 samples).")
        if frames < MIN_SECONDS * rate:
            raise AnalysisError(_too_short_message(frames / rate))
        if max_seconds is not None and frames > max_seconds * rate:
            raise AnalysisError(_too_long_message(frames / rate, max_seconds))
        return SourceInfo(
            sample_rate=rate,
            channels=channels,
            format=FORMATS[major],
            subtype=str(self._file.subtype),
            declared_frames=frames,
        )

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def blocks(self, block_frames: int) -> Iterator[np.ndarray]:
        """Blocks of ``block_frames`` frames (the last one shorter), float32, frames × channels."""
        rate = self.info.sample_rate
        check_floats = self.info.subtype in FLOAT_SUBTYPES
        limit = None if self.max_seconds is None else self.max_seconds * rate
        while True:
            try:
                block = self._file.read(block_frames, dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
                raise AnalysisError(
                    f"The file could not be decoded after {self.frames_read / rate:.1f} s: {_reason(exc)}"
                ) from exc
            if block.shape[0] == 0:
                break
            if check_floats:
                _check_float_block(block)
            self.frames_read += block.shape[0]
            if limit is not None and self.frames_read > limit:
                raise AnalysisError(_too_long_message(self.frames_read / rate, self.max_seconds, at_least=True))
            yield np.ascontiguousarray(block)
        if self.frames_read == 0:
            raise AnalysisError("The file contains no audio (0 samples could be decoded).")
        if self.frames_read < MIN_SECONDS * rate:
            raise AnalysisError(_too_short_message(self.frames_read / rate))


def _check_float_block(block: np.ndarray) -> None:
    if not np.isfinite(block).all():
        raise AnalysisError("The file contains invalid samples (NaN or infinity); export it again.")
    if float(np.abs(block).max()) > MAX_FLOAT_AMPLITUDE:
        raise AnalysisError(
            "The file contains samples above +60 dBFS, which is not a usable master; check the export settings."
        )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    # libsndfile's messages start with "Error opening '<path>': "; the path means nothing to a producer.
    if ": " in text and text.lower().startswith("error opening"):
        text = text.split(": ", 1)[1]
    return text.rstrip(".") + "." if text else "unknown error."


def _unreadable_message(path, exc: BaseException) -> str:
    return (
        "The file could not be read as audio (WAV, FLAC, AIFF, MP3 or OGG); it may be damaged or not "
        f"an audio file. The decoder said: {_reason(exc)}"
    )


def _too_short_message(seconds: float) -> str:
    return f"The file is too short to analyse: {seconds:.2f} s; at least {MIN_SECONDS:g} s is needed."


def _too_long_message(seconds: float, max_seconds: float, *, at_least: bool = False) -> str:
    minutes = max_seconds / 60.0
    length = f"more than {seconds:.0f} s" if at_least else f"{seconds:.0f} s"
    return f"The file is too long to analyse: {length}; the limit is {max_seconds:g} s ({minutes:.1f} minutes)."
