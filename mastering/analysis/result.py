"""The analysis result: frozen dataclasses, and ``to_dict()`` as JSON-safe plain data.

``AnalysisResult.to_dict()`` gives::

    {
      "file": {"duration_seconds", "sample_rate", "channels", "format", "subtype"},
      "overall": {the 19 keys of OverallMetrics, in that order},
      "bands": [5 x {"band", "low_hz", "high_hz", "energy_db", "energy_share", "peak_dbfs",
                     "rms_dbfs", "crest_factor_db", "dynamic_range_db", "spectral_centroid_hz",
                     "spectral_flatness", "stereo_width", "phase_correlation"}],
      "vector": [128 floats],
      "loudness_series": {"interval_seconds", "momentary": [...], "short_term": [...]},
      "platforms": [5 x {"platform", "reference_lufs", "gain_db", "true_peak_after_dbtp"}],
    }

Only dicts, lists, str, int, float and None: no NaN or infinity anywhere (a last pass turns any
non-finite float into None, though the engine produces none). Where a quantity is -inf for
digital silence (a loudness, a peak or level in dB) it is None; each field's docstring below
says when it can be None. Series values are rounded to 0.01 LU (they are for plotting).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from mastering.analysis.platforms import PlatformPreview


@dataclass(frozen=True)
class FileInfo:
    duration_seconds: float  # frames decoded / sample rate
    sample_rate: int
    channels: int  # 1 or 2
    format: str  # "wav", "flac", "aiff", "mp3" or "ogg"
    subtype: str  # libsndfile's: "PCM_16", "PCM_24", "PCM_32", "FLOAT", "MPEG_LAYER_III", "VORBIS", ...


@dataclass(frozen=True)
class OverallMetrics:
    """Whole-file measures. Units in the names; None where stated."""

    integrated_lufs: float | None  # BS.1770-4 gated loudness; None for silence (nothing above -70 LUFS)
    loudness_range_lu: float | None  # EBU Tech 3342 LRA; None for silence or a file under 3 s
    true_peak_dbtp: float | None  # max over channels, 4x oversampled; None for digital silence
    sample_peak_dbfs: float | None  # max |sample| over channels; None for digital silence
    momentary_max_lufs: float | None  # max of M (400 ms) every 100 ms; None if never above -70 LUFS
    short_term_max_lufs: float | None  # max of S (3 s) every 100 ms; None if never above -70 LUFS
    rms_dbfs: float | None  # mean square over samples and channels (sine at 0 dBFS: -3.01); None for silence
    crest_factor_db: float | None  # sample_peak_dbfs - rms_dbfs; None for silence
    plr_db: float | None  # true_peak_dbtp - integrated_lufs (peak to loudness ratio); None for silence
    dynamic_range_db: float | None  # 95th - 10th percentile of frame levels >= -70 dBFS; None if none
    stereo_width: float | None  # side/(mid+side) energy, 0 mono .. 1 inverted; None for silent stereo
    phase_correlation: float | None  # -1..1, 1 for mono; None for silent stereo
    spectral_centroid_hz: float | None  # None for silence
    spectral_rolloff_hz: float | None  # 85 % of the power below it; None for silence
    spectral_flatness: float | None  # 0 tone .. ~0.56 white noise; None for silence
    thd_percent: float | None  # median over tonal frames; None if no frame is tonal
    harmonic_ratio: float | None  # HPSS harmonic energy share 0..1; None for silence
    transient_preservation: float | None  # 0..1 from onset crests; None if no onset
    attack_time_ms: float | None  # median 10-90 % rise at onsets; None if no onset


@dataclass(frozen=True)
class BandMetrics:
    """One band's measures; every measure is None for a band without signal or without bins."""

    band: str
    low_hz: float
    high_hz: float
    energy_db: float | None  # 10 log10(energy_share)
    energy_share: float | None  # of the five bands' total, the five add up to 1
    peak_dbfs: float | None  # max |band signal| over channels
    rms_dbfs: float | None
    crest_factor_db: float | None  # peak_dbfs - rms_dbfs
    dynamic_range_db: float | None  # 95th - 10th percentile of the band's frame levels
    spectral_centroid_hz: float | None
    spectral_flatness: float | None
    stereo_width: float | None  # 0 for mono files
    phase_correlation: float | None  # 1 for mono files


@dataclass(frozen=True)
class LoudnessSeries:
    interval_seconds: float  # 0.1 s, doubled while the series would pass 6000 points
    momentary: tuple[float | None, ...]  # LUFS, max over each interval; None below -70 LUFS
    short_term: tuple[float | None, ...]


@dataclass(frozen=True)
class AnalysisResult:
    file: FileInfo
    overall: OverallMetrics
    bands: tuple[BandMetrics, ...]
    vector: tuple[float, ...]
    loudness_series: LoudnessSeries
    platforms: tuple[PlatformPreview, ...]

    def to_dict(self) -> dict:
        series = self.loudness_series
        return _clean(
            {
                "file": asdict(self.file),
                "overall": asdict(self.overall),
                "bands": [asdict(b) for b in self.bands],
                "vector": list(self.vector),
                "loudness_series": {
                    "interval_seconds": series.interval_seconds,
                    "momentary": [None if v is None else round(v, 2) for v in series.momentary],
                    "short_term": [None if v is None else round(v, 2) for v in series.short_term],
                },
                "platforms": [asdict(p) for p in self.platforms],
            }
        )


def _clean(value):
    """Plain JSON types only; non-finite floats become None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) or hasattr(value, "__float__"):
        number = float(value)
        return number if math.isfinite(number) else None
    raise TypeError(f"unexpected value in an analysis result: {value!r}")
