"""Loudness against EBU Tech 3341 / 3342 and against ffmpeg's ebur128 filter; series and platforms."""

import math

import numpy as np
import pyebur128
import pytest
import soundfile as sf

from mastering.analysis import analyze
from mastering.analysis.loudness import MAX_SERIES_POINTS, DecimatingSeries
from mastering.analysis.platforms import previews
from tests.mastering import signals


@pytest.mark.parametrize("case", sorted(signals.TECH_3341_INTEGRATED))
def test_tech_3341_integrated_loudness(tmp_path, case):
    segments, expected = signals.TECH_3341_INTEGRATED[case]
    path = signals.write(tmp_path / f"3341-{case}.wav", signals.sine_sequence(segments), 48000, "PCM_24")
    overall = signals.overall(analyze(path))
    assert overall["integrated_lufs"] == pytest.approx(expected, abs=0.1)
    if case in (1, 2):  # a steady tone: M and S equal I
        assert overall["momentary_max_lufs"] == pytest.approx(expected, abs=0.1)
        assert overall["short_term_max_lufs"] == pytest.approx(expected, abs=0.1)


def test_tech_3341_case_9_short_term_is_constant_after_3_seconds(tmp_path):
    path = signals.write(tmp_path / "3341-9.wav", signals.sine_sequence(signals.TECH_3341_CASE_9), 48000, "PCM_24")
    result = analyze(path).to_dict()
    series = result["loudness_series"]
    assert series["interval_seconds"] == 0.1
    # Reading k is the 3 s window ending at (k + 1) * 0.1 s: from k = 29 on it holds one whole period.
    settled = series["short_term"][29:]
    assert len(settled) >= 120
    assert all(value == pytest.approx(-23.0, abs=0.1) for value in settled)
    assert result["overall"]["short_term_max_lufs"] == pytest.approx(-23.0, abs=0.1)
    # The 1.34 s segments at -20 dBFS are longer than 400 ms: M reaches -20.
    assert result["overall"]["momentary_max_lufs"] == pytest.approx(-20.0, abs=0.1)


@pytest.mark.parametrize("case", sorted(signals.TECH_3341_TRUE_PEAK))
def test_tech_3341_true_peak(tmp_path, case):
    _, expected = signals.TECH_3341_TRUE_PEAK[case]
    path = signals.write(tmp_path / f"3341-{case}.wav", signals.true_peak_case(case), 48000, "PCM_24")
    overall = signals.overall(analyze(path))
    assert expected - 0.4 <= overall["true_peak_dbtp"] <= expected + 0.2
    # The sample peak misses what lies between samples (all but case 15 put no sample on the crest).
    if case != 15:
        assert overall["sample_peak_dbfs"] < overall["true_peak_dbtp"] - 0.5


@pytest.mark.parametrize("case", sorted(signals.TECH_3342))
def test_tech_3342_loudness_range(tmp_path, case):
    segments, expected = signals.TECH_3342[case]
    path = signals.write(tmp_path / f"3342-{case}.wav", signals.sine_sequence(segments), 48000, "PCM_24")
    assert signals.overall(analyze(path))["loudness_range_lu"] == pytest.approx(expected, abs=1.0)


@pytest.mark.skipif(not signals.has_ffmpeg(), reason="ffmpeg is not installed")
@pytest.mark.parametrize(("seed", "rate", "gain_db"), [(1, 44100, 0.0), (2, 48000, -9.0), (3, 44100, -20.0)])
def test_agrees_with_ffmpeg_ebur128(tmp_path, seed, rate, gain_db):
    mix = signals.music_like(20.0, rate, seed=seed) * signals.db_to_amplitude(gain_db)
    path = signals.write(tmp_path / f"mix-{seed}.wav", mix, rate, "PCM_24")
    ffmpeg = signals.ffmpeg_ebur128(path)
    overall = signals.overall(analyze(path))
    assert overall["integrated_lufs"] == pytest.approx(ffmpeg["integrated"], abs=0.1)
    # The printed summary has one decimal: within 0.1 LU plus that rounding.
    assert overall["integrated_lufs"] == pytest.approx(ffmpeg["summary_integrated"], abs=0.15)
    assert ffmpeg["true_peak"] - 0.4 <= overall["true_peak_dbtp"] <= ffmpeg["true_peak"] + 0.2
    # Both take the 10 Hz short-term readings of EBU Tech 3342 (2016).
    assert overall["loudness_range_lu"] == pytest.approx(ffmpeg["loudness_range"], abs=0.1)


def test_loudness_range_needs_one_full_short_term_window(tmp_path):
    path = signals.write(tmp_path / "short.wav", signals.sine_sequence([(-20.0, 2.9)]), 48000, "PCM_24")
    overall = signals.overall(analyze(path))
    assert overall["integrated_lufs"] == pytest.approx(-20.0, abs=0.1)
    assert overall["loudness_range_lu"] is None


def test_mono_is_one_channel_of_weight_one(tmp_path):
    """BS.1770: a mono file is one channel; the same signal in both channels of a stereo file is 3.01 LU louder."""
    tone = signals.sine(1000.0, 10.0, 48000, dbfs=-20.0)
    mono = signals.overall(analyze(signals.write(tmp_path / "mono.wav", tone, 48000, "FLOAT")))
    both = signals.overall(analyze(signals.write(tmp_path / "stereo.wav", signals.stereo(tone), 48000, "FLOAT")))
    assert both["integrated_lufs"] - mono["integrated_lufs"] == pytest.approx(10 * math.log10(2), abs=0.01)
    assert mono["integrated_lufs"] == pytest.approx(-23.01, abs=0.1)


def test_series_steps_of_100_ms(tmp_path):
    path = signals.write(tmp_path / "tone.wav", signals.sine_sequence([(-23.0, 12.0)]), 48000, "PCM_24")
    series = analyze(path).to_dict()["loudness_series"]
    assert series["interval_seconds"] == 0.1
    assert len(series["momentary"]) == len(series["short_term"]) == 120
    # M is the 400 ms window: from the 4th reading on it is the tone's loudness.
    assert series["momentary"][3] == pytest.approx(-23.0, abs=0.05)
    assert series["momentary"][0] == pytest.approx(-23.0 - 10 * math.log10(4), abs=0.05)


def test_series_is_decimated_by_maxima_below_the_cap():
    series = DecimatingSeries(max_points=100)
    values = [float(i % 37) for i in range(1000)]
    series.extend(values)
    points = series.finish()
    assert len(points) <= 100
    assert series.factor == 16  # 1000 readings: 100 points of 10 would pass... 16 per point gives 63
    assert len(points) == math.ceil(1000 / 16)
    assert points[0] == max(values[:16])
    assert max(points) == max(values)
    assert MAX_SERIES_POINTS == 6000


def test_platform_rules():
    loud = {p.platform: p for p in previews(-8.0, -0.5)}
    assert loud["Spotify"].gain_db == pytest.approx(-6.0)
    assert loud["Apple Music"].gain_db == pytest.approx(-8.0)
    assert loud["YouTube"].gain_db == pytest.approx(-6.0)
    assert loud["Tidal"].true_peak_after_dbtp == pytest.approx(-6.5)
    # Spotify's own example: -20 LUFS peaking at -5 dBTP is lifted 4 dB, to -16 LUFS (-1 dBTP).
    quiet = {p.platform: p for p in previews(-20.0, -5.0)}
    assert quiet["Spotify"].gain_db == pytest.approx(4.0)
    assert quiet["Spotify"].true_peak_after_dbtp == pytest.approx(-1.0)
    assert quiet["Apple Music"].gain_db == pytest.approx(4.0)  # up to -16 by gain alone
    assert quiet["YouTube"].gain_db == 0.0
    assert quiet["Amazon Music"].gain_db == 0.0
    # Apple has no peak cap: a quiet track with no headroom goes over 0 dBTP, which the preview shows.
    assert {p.platform: p for p in previews(-24.0, -0.5)}["Apple Music"].true_peak_after_dbtp == pytest.approx(7.5)
    assert all(p.gain_db is None and p.true_peak_after_dbtp is None for p in previews(None, None))


def test_platforms_in_the_result(tmp_path):
    path = signals.write(tmp_path / "tone.wav", signals.sine_sequence([(-10.0, 5.0)]), 48000, "FLOAT")
    result = analyze(path).to_dict()
    integrated = result["overall"]["integrated_lufs"]
    platforms = {p["platform"]: p for p in result["platforms"]}
    assert set(platforms) == {"Spotify", "Apple Music", "YouTube", "Tidal", "Amazon Music"}
    assert platforms["Spotify"]["gain_db"] == pytest.approx(-14.0 - integrated)
    assert platforms["Apple Music"]["reference_lufs"] == -16.0


@pytest.mark.parametrize("rate", [44100, 96000, 192000])
def test_true_peak_reads_what_libebur128_reads(tmp_path, rate):
    """The vectorised interpolator against libebur128's own MODE_TRUE_PEAK, on the same samples."""
    mix = signals.music_like(4.0, rate, seed=5) * signals.db_to_amplitude(4.0)  # peaks above full scale
    path = signals.write(tmp_path / "mix.wav", np.clip(mix, -1.0, 1.0), rate, "PCM_24")
    samples = np.ascontiguousarray(sf.read(str(path), dtype="float32")[0])
    state = pyebur128.R128State(2, rate, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
    state.add_frames(samples.reshape(-1), len(samples))
    reference = max(pyebur128.get_true_peak(state, c) for c in range(2))
    sample_peak = max(pyebur128.get_sample_peak(state, c) for c in range(2))
    overall = signals.overall(analyze(path, block_seconds=0.3))
    assert overall["true_peak_dbtp"] == pytest.approx(20 * math.log10(reference), abs=1e-4)
    assert overall["sample_peak_dbfs"] == pytest.approx(20 * math.log10(sample_peak), abs=1e-6)
