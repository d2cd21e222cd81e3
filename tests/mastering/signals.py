"""Test signals for the analysis engine: EBU Tech 3341/3342 cases, music-like mixes, and file helpers.

All signals are numpy arrays, frames x channels (float64), made from their definitions here; the
EBU cases follow the tables of Tech 3341 (2016) and Tech 3342 (2016).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from mastering.analysis.result import AnalysisResult


def db_to_amplitude(dbfs: float) -> float:
    return 10.0 ** (dbfs / 20.0)


def sine(freq: float, seconds: float, rate: int, dbfs: float = -6.0, phase_degrees: float = 0.0) -> np.ndarray:
    """A sine of peak level ``dbfs`` (mono, 1-D)."""
    t = np.arange(int(round(seconds * rate))) / rate
    return db_to_amplitude(dbfs) * np.sin(2 * np.pi * freq * t + np.radians(phase_degrees))


def stereo(mono: np.ndarray, right: np.ndarray | None = None) -> np.ndarray:
    return np.stack([mono, mono if right is None else right], axis=1)


def sine_sequence(levels_and_seconds, rate: int = 48000, freq: float = 1000.0) -> np.ndarray:
    """Stereo 1 kHz sine, one segment per (level dBFS, seconds), phase continuous."""
    parts = []
    start = 0
    for level, seconds in levels_and_seconds:
        n = int(round(seconds * rate))
        t = (start + np.arange(n)) / rate
        parts.append(db_to_amplitude(level) * np.sin(2 * np.pi * freq * t))
        start += n
    return stereo(np.concatenate(parts))


# EBU Tech 3341 (loudness metering), the cases that can be made from their definitions.
TECH_3341_INTEGRATED = {
    1: ([(-23.0, 20.0)], -23.0),
    2: ([(-33.0, 20.0)], -33.0),
    3: ([(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
    4: ([(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
    5: ([(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
}
# Case 9: 5 x (1.34 s at -20 dBFS, 1.66 s at -30 dBFS): short-term loudness -23.0 after 3 s.
TECH_3341_CASE_9 = [(-20.0, 1.34), (-30.0, 1.66)] * 5
# Cases 15-19, 48 kHz: (frequency as a fraction of fs, peak amplitude, phase in degrees) -> true peak dBTP.
TECH_3341_TRUE_PEAK = {
    15: ((1 / 4, 0.50, 0.0), -6.0),
    16: ((1 / 4, 0.50, 45.0), -6.0),
    17: ((1 / 6, 0.50, 60.0), -6.0),
    18: ((1 / 8, 0.50, 67.5), -6.0),
    19: ((1 / 4, 1.41, 45.0), 3.0),
}
# EBU Tech 3342 (loudness range): 1 kHz stereo sine sequences -> LRA in LU.
TECH_3342 = {
    1: ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
    2: ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
    3: ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
    4: ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
}


def true_peak_case(case: int, seconds: float = 5.0, rate: int = 48000) -> np.ndarray:
    """The steady tone of the case, its first and last 10 ms faded (raised cosine).

    A tone cut off abruptly starts and ends with a step, a broadband transient whose
    interpolation overshoots by up to 0.6 dB; the cases measure the steady tone.
    """
    (fraction, amplitude, phase), _ = TECH_3341_TRUE_PEAK[case]
    n = np.arange(int(seconds * rate))
    tone = amplitude * np.sin(2 * np.pi * fraction * n + np.radians(phase))
    fade = rate // 100
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    tone[:fade] *= ramp
    tone[-fade:] *= ramp[::-1]
    return stereo(tone)


def music_like(seconds: float, rate: int = 44100, seed: int = 0, tempo: float = 120.0) -> np.ndarray:
    """A stereo drums + bass + noise mix with sections at different levels (float64, peaks < 1)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    beat = 60.0 / tempo
    # Kick: a decaying pitch-swept sine on every beat.
    since_beat = np.mod(t, beat)
    kick = np.sin(2 * np.pi * (45.0 * since_beat + 60.0 * 0.03 * (1 - np.exp(-since_beat / 0.03))))
    kick *= np.exp(-since_beat / 0.12)
    # Hats: noise bursts on the off-beats, noise of 5-12 kHz (a lossy codec keeps it, whatever the rate).
    since_half = np.mod(t + beat / 2, beat)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[(np.fft.rfftfreq(n, 1 / rate) < 5000.0) | (np.fft.rfftfreq(n, 1 / rate) > 12000.0)] = 0
    hiss = np.fft.irfft(spectrum, n)
    hats = hiss / max(hiss.std(), 1e-12) * np.exp(-since_half / 0.03) * 0.25
    # Bass: a two-note line, a few harmonics.
    bar = np.floor(t / (4 * beat)).astype(int)
    root = np.where(bar % 2 == 0, 55.0, 73.42)
    phase = 2 * np.pi * np.cumsum(root) / rate
    bass = 0.5 * np.sin(phase) + 0.2 * np.sin(2 * phase) + 0.1 * np.sin(3 * phase)
    # Pad: a chord with slow stereo movement.
    pad_l = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) * 0.08
    pad_r = sum(np.sin(2 * np.pi * f * t + 0.7) for f in (220.0, 277.18, 329.63)) * 0.08
    noise = rng.standard_normal((n, 2)) * 0.01
    # Sections: quiet intro, loud middle, medium end.
    section = np.interp(
        t, [0, seconds * 0.3, seconds * 0.35, seconds * 0.7, seconds * 0.75, seconds], [0.3, 0.3, 1.0, 1.0, 0.6, 0.6]
    )
    left = section * (0.45 * kick + 0.3 * bass + hats * 0.8 + pad_l) + noise[:, 0]
    right = section * (0.45 * kick + 0.3 * bass + hats * 1.2 + pad_r) + noise[:, 1]
    mix = np.stack([left, right], axis=1)
    return mix * (0.9 / np.max(np.abs(mix)))


def write(path: Path, data: np.ndarray, rate: int, subtype: str | None = None, format: str | None = None) -> Path:
    sf.write(str(path), data, rate, subtype=subtype, format=format)
    return path


def write_mp3(path: Path, data: np.ndarray, rate: int, bitrate: str = "320k") -> Path:
    """An MP3 made by ffmpeg (libmp3lame) from a float WAV of ``data``."""
    source = path.with_suffix(".source.wav")
    sf.write(str(source), data, rate, subtype="FLOAT")
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-codec:a",
            "libmp3lame",
            "-b:a",
            bitrate,
            str(path),
        ],
        check=True,
    )
    source.unlink()
    return path


def has_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


def ffmpeg_ebur128(path: Path) -> dict:
    """ffmpeg's ebur128 filter (peak=true): its printed summary, and its last metadata frame (3 decimals)."""
    metadata = path.with_suffix(".ebur128.txt")
    completed = subprocess.run(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
            "-af", f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={metadata}", "-f", "null", "-",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = completed.stderr[completed.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    true_peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    last: dict[str, float] = {}
    for line in metadata.read_text().splitlines():
        if line.startswith("lavfi.r128."):
            key, value = line[len("lavfi.r128.") :].split("=", 1)
            last[key] = float(value)
    return {
        "summary_integrated": integrated,
        "summary_true_peak": true_peak,
        "integrated": last["I"],
        "loudness_range": last["LRA"],
        "true_peak": 20 * math.log10(last["true_peak"]),
    }


def cosine(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def overall(result: AnalysisResult) -> dict:
    return result.to_dict()["overall"]


def band(result: AnalysisResult, name: str) -> dict:
    return next(b for b in result.to_dict()["bands"] if b["band"] == name)
