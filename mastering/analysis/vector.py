"""The 128-dimensional feature vector of a track, for cosine similarity between tracks.

Every dimension is a measure from the analysis with a fixed, documented centre and scale,
``v = clip((x - centre) / scale, -3, 3)`` (times a group weight), never normalised per file:
the same measure means the same number in every vector, so the cosine of two vectors compares
the tracks. The centres are typical values (a pink-noise spectrum for the spectral balance,
common values of modern masters for the rest), so dimensions take both signs and the cosine of
two different tracks is not pushed towards 1 by all-positive features. A measure that is None
(silence, no onsets, no tonal frames, ...) contributes 0, the centre. The function is
deterministic: the same measures give bit-identical vectors.

=====  ==================  ====================================================================
dims   group               dimension: centre, scale
=====  ==================  ====================================================================
0-31   spectral (40)       long-term spectrum in 32 log-spaced bands, 20 Hz - 20 kHz (0.31
                           octave each), dB relative to the 20 Hz - 20 kHz total: centre
                           -15.05 dB (pink noise: 1/32 in each), scale 12 dB, weight 0.5
32                         log2(spectral_centroid_hz / 1500) / 2
33                         log2(spectral_rolloff_hz / 5000) / 2
34                         log10(spectral_flatness) + 1.5  (0 at 0.03)
35                         slope of the 32 band levels, dB per octave (least squares): 0, 3
36                         spread: power-weighted std of log2 frequency over the 32 bands,
                           octaves: 2, 1
37                         sub-bass share (bands 0-4, 20-59 Hz), dB: -8 (pink), 6
38                         air share (bands 29-31, 10.5-20 kHz), dB: -10.3 (pink), 6
39                         std of the 32 band levels, dB: 5, 3
40-59  dynamics (20)       40 integrated_lufs: -14, 8;  41 loudness_range_lu: 6, 4;
                           42 true_peak_dbtp: -1, 3;  43 sample_peak_dbfs: -1, 3;
                           44 momentary_max - integrated: 4, 3;  45 short_term_max -
                           integrated: 2, 2;  46 rms_dbfs: -14, 8;  47 crest_factor_db: 12, 4;
                           48 plr_db: 10, 4;  49 dynamic_range_db: 10, 5;
                           50-54 crest_factor_db of the 5 bands: 12, 4;
                           55-59 dynamic_range_db of the 5 bands: 10, 5
60-64  energy (5)          energy_db of the 5 bands: centre the band's share of pink noise
                           (its width in octaves over 9.97), in dB; scale 6
65-74  stereo (10)         65 stereo_width: 0.15, 0.15;  66 phase_correlation: 0.7, 0.3;
                           67-71 stereo_width of the 5 bands: 0.15, 0.15;
                           72-74 phase_correlation of the low, mid and high bands: 0.7, 0.3
75-82  harmonic and        75 harmonic_ratio: 0.7, 0.2;  76 log10(thd_percent): 1, 1;
       transient (8)       77 transient_preservation: 0.5, 0.25;  78 log2(attack_time_ms /
                           10): 0, 2;  79 onsets per second: 2, 2;  80 median onset crest,
                           dB: 12, 5;  81 share of non-silent frames that are tonal (THD
                           frames): 0.5, 0.3;  82 mean prominence of their dominant peak,
                           dB: 25, 10
83-127 reserved (45)       0.0
=====  ==================  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mastering.analysis.bands import BANDS

SIZE = 128
CLIP = 3.0
SPECTRAL_BAND_WEIGHT = 0.5
LOG_BANDS = 32
PINK_LOG_BAND_DB = 10.0 * math.log10(1.0 / LOG_BANDS)
TOTAL_OCTAVES = math.log2(20000.0 / 20.0)
PINK_BAND_DB = tuple(10.0 * math.log10(math.log2(b.high_hz / b.low_hz) / TOTAL_OCTAVES) for b in BANDS)
SUB_BANDS = slice(0, 5)
AIR_BANDS = slice(29, 32)


@dataclass(frozen=True)
class VectorInputs:
    overall: dict  # the `overall` metrics
    bands: Sequence[dict]  # the five band dicts
    log_band_levels_db: Sequence[float] | None
    onset_rate: float
    onset_crest_db: float | None
    tonal_frame_share: float | None
    tonal_prominence_db: float | None


def _scaled(value: float | None, centre: float, scale: float, weight: float = 1.0) -> float:
    if value is None or not math.isfinite(value):
        return 0.0
    return weight * min(max((value - centre) / scale, -CLIP), CLIP)


def _log2(value: float | None, reference: float) -> float | None:
    if value is None or value <= 0:
        return None
    return math.log2(value / reference)


def _log10(value: float | None) -> float | None:
    if value is None or value <= 0:
        return None
    return math.log10(value)


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _share_db(levels: np.ndarray, part: slice) -> float:
    return 10.0 * math.log10(max(float(np.sum(10.0 ** (levels[part] / 10.0))), 1e-30))


def _spectral(inputs: VectorInputs) -> list[float]:
    o = inputs.overall
    if inputs.log_band_levels_db is None:
        return [0.0] * LOG_BANDS + [0.0] * 8
    levels = np.asarray(inputs.log_band_levels_db, dtype=np.float64)
    dims = [_scaled(v, PINK_LOG_BAND_DB, 12.0, SPECTRAL_BAND_WEIGHT) for v in levels]
    edges = np.geomspace(20.0, 20000.0, LOG_BANDS + 1)
    octaves = np.log2(np.sqrt(edges[:-1] * edges[1:]))
    clipped = np.maximum(levels, -120.0)
    slope = float(np.polyfit(octaves, clipped, 1)[0])
    weights = 10.0 ** (levels / 10.0)
    mean_octave = float(np.sum(weights * octaves) / np.sum(weights))
    spread = math.sqrt(float(np.sum(weights * (octaves - mean_octave) ** 2) / np.sum(weights)))
    pink_air = 10.0 * math.log10(3.0 / LOG_BANDS)
    dims += [
        _scaled(_log2(o["spectral_centroid_hz"], 1500.0), 0.0, 2.0),
        _scaled(_log2(o["spectral_rolloff_hz"], 5000.0), 0.0, 2.0),
        _scaled(_log10(o["spectral_flatness"]), -1.5, 1.0),
        _scaled(slope, 0.0, 3.0),
        _scaled(spread, 2.0, 1.0),
        _scaled(_share_db(levels, SUB_BANDS), 10.0 * math.log10(5.0 / LOG_BANDS), 6.0),
        _scaled(_share_db(levels, AIR_BANDS), pink_air, 6.0),
        _scaled(float(np.std(clipped)), 5.0, 3.0),
    ]
    return dims


def _dynamics(inputs: VectorInputs) -> list[float]:
    o = inputs.overall
    integrated = o["integrated_lufs"]
    dims = [
        _scaled(integrated, -14.0, 8.0),
        _scaled(o["loudness_range_lu"], 6.0, 4.0),
        _scaled(o["true_peak_dbtp"], -1.0, 3.0),
        _scaled(o["sample_peak_dbfs"], -1.0, 3.0),
        _scaled(_minus(o["momentary_max_lufs"], integrated), 4.0, 3.0),
        _scaled(_minus(o["short_term_max_lufs"], integrated), 2.0, 2.0),
        _scaled(o["rms_dbfs"], -14.0, 8.0),
        _scaled(o["crest_factor_db"], 12.0, 4.0),
        _scaled(o["plr_db"], 10.0, 4.0),
        _scaled(o["dynamic_range_db"], 10.0, 5.0),
    ]
    dims += [_scaled(b["crest_factor_db"], 12.0, 4.0) for b in inputs.bands]
    dims += [_scaled(b["dynamic_range_db"], 10.0, 5.0) for b in inputs.bands]
    return dims


def _energy(inputs: VectorInputs) -> list[float]:
    return [_scaled(b["energy_db"], pink, 6.0) for b, pink in zip(inputs.bands, PINK_BAND_DB, strict=True)]


def _stereo(inputs: VectorInputs) -> list[float]:
    o, bands = inputs.overall, inputs.bands
    dims = [_scaled(o["stereo_width"], 0.15, 0.15), _scaled(o["phase_correlation"], 0.7, 0.3)]
    dims += [_scaled(b["stereo_width"], 0.15, 0.15) for b in bands]
    dims += [_scaled(bands[i]["phase_correlation"], 0.7, 0.3) for i in (0, 2, 4)]
    return dims


def _harmonic(inputs: VectorInputs) -> list[float]:
    o = inputs.overall
    return [
        _scaled(o["harmonic_ratio"], 0.7, 0.2),
        _scaled(_log10(o["thd_percent"]), 1.0, 1.0),
        _scaled(o["transient_preservation"], 0.5, 0.25),
        _scaled(_log2(o["attack_time_ms"], 10.0), 0.0, 2.0),
        _scaled(inputs.onset_rate, 2.0, 2.0),
        _scaled(inputs.onset_crest_db, 12.0, 5.0),
        _scaled(inputs.tonal_frame_share, 0.5, 0.3),
        _scaled(inputs.tonal_prominence_db, 25.0, 10.0),
    ]


GROUPS = (("spectral", 40), ("dynamics", 20), ("energy", 5), ("stereo", 10), ("harmonic", 8), ("reserved", 45))


def build_vector(inputs: VectorInputs) -> tuple[float, ...]:
    parts = [_spectral(inputs), _dynamics(inputs), _energy(inputs), _stereo(inputs), _harmonic(inputs), [0.0] * 45]
    for part, (name, size) in zip(parts, GROUPS, strict=True):
        if len(part) != size:
            raise AssertionError(f"vector group {name} has {len(part)} dimensions, not {size}")
    vector = tuple(float(v) for part in parts for v in part)
    assert len(vector) == SIZE
    return vector
