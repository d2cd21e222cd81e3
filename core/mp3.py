"""Turning an uploaded original (FLAC, WAV, AIFF, ...) into a 320 kbps CBR MP3 with ffmpeg, and checking the result.

Pure domain code with no Django imports. Tags and cover art are not carried over by ffmpeg
(``-map_metadata -1``): the caller writes them afterwards with mutagen.

Two things about the MP3s ffmpeg makes that decide how :func:`verify_mp3` works (ffmpeg 5.1,
mutagen 1.48):

* ffmpeg's mp3 muxer writes a Xing frame that it renames to "Info" at the end of the encode only
  if every packet had the same bitrate (``has_variable_bitrate`` in libavformat/mp3enc.c).
  mutagen reads "Info" as ``BitrateMode.CBR``. Without that frame mutagen says
  ``BitrateMode.UNKNOWN`` ("probably CBR") and estimates the length from the file size, which is
  not a check of anything, so an MP3 without it is refused.
* After the Xing fields ffmpeg writes a LAME-layout extension with the encoder delay (576) and the
  end padding, but its version string is "Lavc59.37", not "LAME3.100", and mutagen only reads the
  extension after a "LAME" string. mutagen's ``length`` is therefore ``frames * 1152 / rate``,
  which counts the delay and padding too (1656 to 1920 extra samples, about 40 ms at 44.1 and
  48 kHz, up to 70 ms at 32 kHz). :func:`mp3_duration` reads delay and padding from that
  extension and gives the playing length to the sample.

At 44.1 kHz a 320 kbps frame is 1044 or 1045 bytes (1044.9 on average), so mutagen's bitrate,
an average over the Xing byte count, is 319 929 to 320 001 bit/s on short files; the bitrate in
the frame header is exactly 320 kbps. :func:`verify_mp3` checks the header and the rounded
average, not ``bitrate == 320000``.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from pathlib import Path
from typing import NamedTuple

from mutagen import MutagenError
from mutagen.mp3 import MP3, BitrateMode

from core.processes import argv_dying_with_parent

MP3_BITRATE_KBPS = 320

# The program run; a module constant so a test can point it at a missing binary.
FFMPEG = "ffmpeg"

# MPEG-1 Layer III sample rates, the only ones with a 320 kbps bitrate (MPEG-2/2.5 stop at 160).
MPEG1_SAMPLE_RATES = (44100, 48000, 32000)


class TranscodeError(Exception):
    """Transcoding or its check failed; the message says why, for the user."""


def target_sample_rate(source_rate: int | None) -> int:
    """The MP3's sample rate for an original at ``source_rate`` Hz.

    32, 44.1 and 48 kHz are kept. Other rates go to the family they belong to, so resampling is by
    a whole ratio: 88.2, 176.4, 22.05, 11.025 kHz to 44.1 kHz; 96, 192, 24, 16, 12, 8 kHz to
    48 kHz. An unknown or unrelated rate gives 44.1 kHz.
    """
    if not source_rate or source_rate <= 0:
        return 44100
    if source_rate in MPEG1_SAMPLE_RATES:
        return source_rate
    for family in (44100, 48000):
        if source_rate % family == 0 or family % source_rate == 0:
            return family
    return 44100


def ffmpeg_command(source: Path, target: Path, *, sample_rate: int, channels: int | None = None) -> list[str]:
    """The ffmpeg argv that encodes the first audio stream of ``source`` into ``target``.

    ``sample_rate`` is the MP3's rate (see :func:`target_sample_rate`). The channel count is kept
    (mono stays mono) unless ``channels`` is above 2, which is downmixed to stereo. Nothing is
    added that costs time over a bare ``ffmpeg -i in.flac -codec:a libmp3lame -b:a 320k out.mp3``:
    ``-ar`` equal to the input rate adds no resampler, and the rest only selects streams, drops
    metadata, names the format and makes a decoding error fatal (``-xerror``) rather than a
    shorter MP3 with exit status 0.
    """
    command = [
        FFMPEG,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-xerror",
        "-i",
        _ffmpeg_path(source),
        "-map",
        "0:a:0",
        "-vn",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-codec:a",
        "libmp3lame",
        "-b:a",
        f"{MP3_BITRATE_KBPS}k",
        "-ar",
        str(sample_rate),
    ]
    if channels is not None and channels > 2:
        command += ["-ac", "2"]
    command += ["-write_xing", "1", "-f", "mp3", _ffmpeg_path(target)]
    return command


def _ffmpeg_path(path: Path) -> str:
    # Absolute, so a name such as "-x.flac" or "a:b.flac" cannot read as an option or a protocol.
    return os.fspath(Path(path).absolute())


def transcode_to_mp3(
    source: Path, target: Path, *, sample_rate: int | None, channels: int | None, timeout_seconds: float
) -> None:
    """Encode ``source`` into ``target`` as a 320 kbps CBR MP3, or raise :class:`TranscodeError`.

    ``sample_rate`` and ``channels`` describe the original (None when unknown). On any failure
    ``target`` is deleted, so no partial MP3 is left behind. Success means ffmpeg finished without
    an error; :func:`verify_mp3` checks the result.
    """
    source, target = Path(source), Path(target)
    command = ffmpeg_command(source, target, sample_rate=target_sample_rate(sample_rate), channels=channels)
    try:
        completed = subprocess.run(
            # A worker killed as a whole takes its ffmpeg with it, instead of leaving it encoding.
            argv_dying_with_parent(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:  # subprocess.run has killed and reaped ffmpeg
        target.unlink(missing_ok=True)
        raise TranscodeError(f"Transcoding took longer than {timeout_seconds:g} s and was stopped.") from None
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        raise TranscodeError("ffmpeg is not installed on the worker.") from None
    except OSError as error:
        target.unlink(missing_ok=True)
        raise TranscodeError(f"ffmpeg could not be started: {error.strerror or error}.") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise

    if completed.returncode != 0:
        target.unlink(missing_ok=True)
        if completed.returncode < 0:
            raise TranscodeError(f"ffmpeg stopped unexpectedly (signal {-completed.returncode}).")
        reason = _ffmpeg_reason(completed.stderr.decode("utf-8", "replace"), source, target)
        if reason:
            raise TranscodeError(f"ffmpeg could not decode the file: {reason}")
        raise TranscodeError(f"ffmpeg could not decode the file (exit status {completed.returncode}).")
    if not target.is_file() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        raise TranscodeError("ffmpeg finished but wrote no MP3.")


# Lines ffmpeg prints after the one that says what went wrong.
_FOLLOW_UP_LINES = (
    "Error marking filters as finished",
    "To ignore this, add a trailing '?' to the map.",
    "Conversion failed!",
    "Error while filtering",
    "Error while processing the decoded data",
    "Nothing was written into output file",
    "Error initializing output stream",
    "decode_frame() failed",
)
_LOG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")


def _ffmpeg_reason(stderr: str, source: Path, target: Path) -> str:
    """The stderr line that says what went wrong, without log prefixes or full paths."""
    lines = []
    for raw in stderr.splitlines():
        line = _LOG_PREFIX.sub("", raw.strip())
        if not line:
            continue
        # Worker paths mean nothing to the user; keep the file names.
        for path in (target, source):
            line = line.replace(_ffmpeg_path(path), path.name).replace(str(path), path.name)
        lines.append(line)
    if not lines:
        return ""
    meaningful = [line for line in lines if not line.startswith(_FOLLOW_UP_LINES)]
    reason = meaningful[0] if meaningful else lines[-1]
    if reason.startswith("Stream map '0:a:0' matches no streams"):
        return "the file contains no audio stream."
    return reason


class Mp3Properties(NamedTuple):
    """What :func:`verify_mp3` measured of an MP3 it accepted."""

    bitrate_kbps: int  # the frame header's (exact), else mutagen's average, rounded
    sample_rate: int
    channels: int
    duration_seconds: float  # the playing length, encoder delay and padding excluded


def verify_mp3(
    path: Path,
    *,
    expected_duration: float,
    tolerance_seconds: float = 0.1,
    expected_sample_rate: int | None = None,
) -> Mp3Properties:
    """Check that ``path`` is an MPEG-1 Layer III, 320 kbps CBR MP3 as long as the original.

    Raise :class:`TranscodeError` naming what is wrong, or return what was measured.
    ``expected_duration`` is the original's length in seconds; the MP3's playing length
    (:func:`mp3_duration`, encoder delay and padding excluded) must be within
    ``tolerance_seconds`` of it. The file is not deleted on failure.
    """
    path = Path(path)
    try:
        info = MP3(path).info
    except (MutagenError, OSError) as error:
        raise TranscodeError(f"The output is not a readable MP3: {error}") from None

    if info.version != 1 or info.layer != 3:
        raise TranscodeError(f"The output is MPEG-{info.version:g} Layer {info.layer}, not MPEG-1 Layer III.")

    kbps = round(info.bitrate / 1000)
    if info.bitrate_mode in (BitrateMode.VBR, BitrateMode.ABR):
        mode = "VBR" if info.bitrate_mode == BitrateMode.VBR else "ABR"
        raise TranscodeError(f"The MP3 is {mode} (about {kbps} kbps), not {MP3_BITRATE_KBPS} kbps CBR.")
    if info.bitrate_mode != BitrateMode.CBR:
        raise TranscodeError(f"The MP3 has no Info header, so it cannot be confirmed as {MP3_BITRATE_KBPS} kbps CBR.")
    # The frame header's bitrate is exact; mutagen's is an average over the Xing byte count.
    header = _read_info_frame(path)
    if header is not None and header.bitrate_kbps != MP3_BITRATE_KBPS:
        raise TranscodeError(f"The MP3 is {header.bitrate_kbps} kbps, not {MP3_BITRATE_KBPS} kbps CBR.")
    if kbps != MP3_BITRATE_KBPS:
        raise TranscodeError(f"The MP3 is {kbps} kbps, not {MP3_BITRATE_KBPS} kbps CBR.")

    if expected_sample_rate is not None and info.sample_rate != expected_sample_rate:
        raise TranscodeError(f"The MP3 is sampled at {info.sample_rate} Hz, not {expected_sample_rate} Hz.")

    duration = header.duration if header and header.duration is not None else info.length
    if abs(duration - expected_duration) > tolerance_seconds:
        raise TranscodeError(f"The MP3 lasts {duration:.2f} s but the original lasts {expected_duration:.2f} s.")
    return Mp3Properties(
        bitrate_kbps=header.bitrate_kbps if header is not None else kbps,
        sample_rate=info.sample_rate,
        channels=info.channels,
        duration_seconds=duration,
    )


def mp3_duration(path: Path) -> float:
    """The playing length of an MP3 in seconds, encoder delay and end padding excluded.

    Read from the Xing/Info frame and its LAME-layout extension, which both LAME and ffmpeg write
    (mutagen reads the extension only when the encoder string starts with "LAME"). Falls back to
    mutagen's length when the file has no such frame.
    """
    header = _read_info_frame(Path(path))
    if header and header.duration is not None:
        return header.duration
    try:
        return MP3(path).info.length
    except (MutagenError, OSError) as error:
        raise TranscodeError(f"The output is not a readable MP3: {error}") from None


class _InfoFrame(NamedTuple):
    """What the first frame of a LAME or ffmpeg MP3 says: its bitrate and the gapless length."""

    bitrate_kbps: int
    duration: float | None  # None without a Xing/Info frame count


_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_XING_FRAMES, _XING_BYTES, _XING_TOC, _XING_SCALE = 0x1, 0x2, 0x4, 0x8
# Encoder strings of the writers known to follow the Xing fields with the LAME extension.
_LAME_LAYOUT_ENCODERS = (b"LAME", b"L3.99", b"Lavc", b"Lavf")


def _read_info_frame(path: Path) -> _InfoFrame | None:
    """Parse the first MPEG-1 Layer III frame after the ID3v2 tags; None if it is not one."""
    with open(path, "rb") as file:
        offset = _skip_id3v2(file)
        file.seek(offset)
        frame = file.read(4 + 32 + 120 + 9 + 15)  # header, side info, Xing fields, encoder, extension
    if len(frame) < 4:
        return None
    (word,) = struct.unpack(">I", frame[:4])
    sync, version, layer = word >> 21, (word >> 19) & 0x3, (word >> 17) & 0x3
    bitrate_index, rate_index, mode = (word >> 12) & 0xF, (word >> 10) & 0x3, (word >> 6) & 0x3
    if sync != 0x7FF or version != 0b11 or layer != 0b01 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate_kbps = _MPEG1_L3_KBPS[bitrate_index]
    sample_rate = MPEG1_SAMPLE_RATES[rate_index]

    position = 4 + (17 if mode == 3 else 32)  # side information: 17 bytes mono, 32 otherwise
    if frame[position : position + 4] not in (b"Xing", b"Info") or len(frame) < position + 8:
        return _InfoFrame(bitrate_kbps, None)
    (flags,) = struct.unpack(">I", frame[position + 4 : position + 8])
    position += 8
    if not flags & _XING_FRAMES:
        return _InfoFrame(bitrate_kbps, None)
    (frames,) = struct.unpack(">I", frame[position : position + 4])
    position += 4 + (4 if flags & _XING_BYTES else 0) + (100 if flags & _XING_TOC else 0)
    position += 4 if flags & _XING_SCALE else 0
    samples = frames * 1152

    encoder = frame[position : position + 9]
    extension = frame[position + 9 : position + 9 + 15]
    if encoder.startswith(_LAME_LAYOUT_ENCODERS) and len(extension) == 15:
        # Extension: revision/method, lowpass, peak (4), track gain (2), album gain (2), flags,
        # bitrate, then 12 bits of encoder delay and 12 bits of end padding.
        (delay_padding,) = struct.unpack(">I", b"\0" + extension[12:15])
        delay, padding = delay_padding >> 12, delay_padding & 0xFFF
        if delay + padding <= samples:
            samples -= delay + padding
    return _InfoFrame(bitrate_kbps, samples / sample_rate)


def _skip_id3v2(file) -> int:
    """The offset after any ID3v2 tags at the start of the file (some writers stack several)."""
    offset = 0
    while True:
        file.seek(offset)
        header = file.read(10)
        if len(header) < 10 or header[:3] != b"ID3":
            return offset
        size = 0
        for byte in header[6:10]:
            if byte & 0x80:
                return offset
            size = (size << 7) | byte
        offset += 10 + size + (10 if header[5] & 0x10 else 0)  # footer flag


def write_title_artist(path: Path, *, title: str, artist: str) -> None:
    """Replace an MP3's tags with an ID3v2.4 tag of its title and artist (any ID3v1 tag removed).

    The audio frames are not touched: an MP3 source keeps its encoding, only its tags change.
    """
    from mutagen.id3 import ID3, TIT2, TPE1, Encoding

    id3 = ID3()
    if title:
        id3.add(TIT2(encoding=Encoding.UTF8, text=[title]))
    if artist:
        id3.add(TPE1(encoding=Encoding.UTF8, text=[artist]))
    try:
        id3.save(os.fspath(path), v1=0, v2_version=4)
    except (MutagenError, OSError) as error:
        raise TranscodeError(f"The MP3 could not be tagged: {error}") from None
