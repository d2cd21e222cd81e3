"""Known answers for the non-loudness measures, on synthetic signals whose answer follows from their definition."""

import itertools
import json
import math

import numpy as np
import pytest

from mastering.analysis import analyze
from mastering.analysis.bands import BANDS
from mastering.analysis.hpss import median_of
from mastering.analysis.stats import Histogram
from tests.mastering import signals

RATE = 44100


def measure(tmp_path, data, name="signal", rate=RATE, **kwargs):
    return analyze(signals.write(tmp_path / f"{name}.wav", data, rate, "FLOAT"), **kwargs)


def faded(x, rate=RATE, ms=20):
    """Fade the ends: a tone switched on abruptly is a step, which rings in any band filter."""
    n = int(rate * ms / 1000)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def hits(attack_ms, seconds=10.0, period=0.5, decay=0.06, seed=0, bed_db=-40.0):
    """Noise hits every `period` s: a linear rise over `attack_ms`, then an exponential decay, over a quiet bed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    since = np.mod(t, period)
    attack = attack_ms / 1000.0
    rise = since / attack if attack > 0 else np.ones_like(since)
    envelope = np.where(since < attack, rise, np.exp(-(since - attack) / decay))
    return 0.25 * (
        rng.standard_normal(t.size) * envelope + rng.standard_normal(t.size) * signals.db_to_amplitude(bed_db)
    )


# --- bands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "name"), [(100.0, "low"), (350.0, "low_mid"), (1000.0, "mid"), (4000.0, "high_mid"), (10000.0, "high")]
)
def test_a_sine_puts_its_energy_in_its_band(tmp_path, freq, name):
    tone = faded(signals.sine(freq, 5.0, RATE, dbfs=-6.0))
    result = measure(tmp_path, signals.stereo(tone))
    shares = {b["band"]: b["energy_share"] for b in result.to_dict()["bands"]}
    assert shares[name] > 0.95
    assert sum(shares.values()) == pytest.approx(1.0)
    own = signals.band(result, name)
    # The band signal is the sine itself: peak -6 dBFS, RMS 3.01 dB lower.
    assert own["peak_dbfs"] == pytest.approx(-6.0, abs=0.15)
    assert own["rms_dbfs"] == pytest.approx(-9.03, abs=0.1)
    assert own["crest_factor_db"] == pytest.approx(3.01, abs=0.15)
    assert own["energy_db"] == pytest.approx(10 * math.log10(own["energy_share"]))
    assert own["spectral_centroid_hz"] == pytest.approx(freq, rel=0.01)
    assert own["dynamic_range_db"] == pytest.approx(0.0, abs=0.3)


def test_band_edges_and_order(tmp_path):
    bands = measure(tmp_path, signals.stereo(signals.sine(440.0, 2.0, RATE))).to_dict()["bands"]
    assert [(b["band"], b["low_hz"], b["high_hz"]) for b in bands] == [
        ("low", 20.0, 200.0),
        ("low_mid", 200.0, 500.0),
        ("mid", 500.0, 2000.0),
        ("high_mid", 2000.0, 6000.0),
        ("high", 6000.0, 20000.0),
    ]
    assert len(BANDS) == 5


def test_pink_ish_noise_spreads_over_the_bands(tmp_path):
    """Noise with a 1/f power spectrum puts in each band its share of the octaves (20 Hz - 20 kHz: 9.97)."""
    rng = np.random.default_rng(5)
    n = 10 * RATE
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, n)
    pink *= 0.1 / pink.std()
    bands = measure(tmp_path, signals.stereo(pink)).to_dict()["bands"]
    for band in bands:
        octaves = math.log2(band["high_hz"] / band["low_hz"])
        assert band["energy_share"] == pytest.approx(octaves / math.log2(1000), rel=0.1)


# --- stereo -------------------------------------------------------------------------------------


def test_mono_file_has_width_0_and_correlation_1(tmp_path):
    noise = np.random.default_rng(1).standard_normal(3 * RATE) * 0.1
    result = measure(tmp_path, noise)
    overall = result.to_dict()["overall"]
    assert result.file.channels == 1
    assert overall["stereo_width"] == 0.0 and overall["phase_correlation"] == 1.0
    assert all(b["stereo_width"] == 0.0 and b["phase_correlation"] == 1.0 for b in result.to_dict()["bands"])


def test_identical_channels_are_mono(tmp_path):
    noise = np.random.default_rng(1).standard_normal(3 * RATE) * 0.1
    result = measure(tmp_path, signals.stereo(noise)).to_dict()
    assert result["overall"]["stereo_width"] == pytest.approx(0.0, abs=1e-6)
    assert result["overall"]["phase_correlation"] == pytest.approx(1.0, abs=1e-6)
    for band in result["bands"]:
        assert band["stereo_width"] == pytest.approx(0.0, abs=1e-4)
        assert band["phase_correlation"] == pytest.approx(1.0, abs=1e-4)


def test_inverted_channels_have_correlation_minus_1(tmp_path):
    noise = np.random.default_rng(2).standard_normal(3 * RATE) * 0.1
    result = measure(tmp_path, signals.stereo(noise, -noise)).to_dict()
    assert result["overall"]["phase_correlation"] == pytest.approx(-1.0, abs=1e-6)
    assert result["overall"]["stereo_width"] == pytest.approx(1.0, abs=1e-6)
    for band in result["bands"]:
        assert band["phase_correlation"] == pytest.approx(-1.0, abs=1e-4)


def test_unrelated_channels_have_correlation_0_and_width_half(tmp_path):
    rng = np.random.default_rng(3)
    result = measure(tmp_path, rng.standard_normal((5 * RATE, 2)) * 0.1).to_dict()
    assert result["overall"]["phase_correlation"] == pytest.approx(0.0, abs=0.02)
    assert result["overall"]["stereo_width"] == pytest.approx(0.5, abs=0.01)
    assert all(b["stereo_width"] == pytest.approx(0.5, abs=0.05) for b in result["bands"])


def test_partly_correlated_channels(tmp_path):
    """L = a + b, R = a - b with powers 3:1 of a and b: correlation (3 - 1) / (3 + 1) = 0.5, width 1/4."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal(5 * RATE) * math.sqrt(3) * 0.05
    b = rng.standard_normal(5 * RATE) * 0.05
    overall = measure(tmp_path, signals.stereo(a + b, a - b)).to_dict()["overall"]
    assert overall["phase_correlation"] == pytest.approx(0.5, abs=0.02)
    assert overall["stereo_width"] == pytest.approx(0.25, abs=0.01)


# --- levels and dynamics -------------------------------------------------------------------------


def test_sine_levels(tmp_path):
    overall = measure(tmp_path, signals.stereo(signals.sine(1000.0, 3.0, RATE, dbfs=-6.0))).to_dict()["overall"]
    assert overall["sample_peak_dbfs"] == pytest.approx(-6.0, abs=0.01)
    assert overall["rms_dbfs"] == pytest.approx(-9.01, abs=0.01)
    assert overall["crest_factor_db"] == pytest.approx(3.01, abs=0.02)
    assert overall["plr_db"] == pytest.approx(overall["true_peak_dbtp"] - overall["integrated_lufs"])
    assert overall["dynamic_range_db"] == pytest.approx(0.0, abs=0.1)


def test_dynamic_range_of_two_alternating_levels(tmp_path):
    """1 s at -10 dBFS, 1 s at -30 dBFS, repeated: the frame levels are 20 dB apart."""
    tone = np.concatenate([signals.sine(1000.0, 1.0, RATE, dbfs=-10.0 if i % 2 == 0 else -30.0) for i in range(10)])
    overall = measure(tmp_path, signals.stereo(tone)).to_dict()["overall"]
    assert overall["dynamic_range_db"] == pytest.approx(20.0, abs=0.5)


def test_spectral_shape(tmp_path):
    tone = measure(tmp_path, signals.stereo(signals.sine(1000.0, 3.0, RATE)), "tone").to_dict()["overall"]
    assert tone["spectral_centroid_hz"] == pytest.approx(1000.0, abs=10.0)
    assert tone["spectral_rolloff_hz"] == pytest.approx(1000.0, abs=15.0)
    assert tone["spectral_flatness"] < 0.01
    noise = np.random.default_rng(6).standard_normal((3 * RATE, 2)) * 0.1
    white = measure(tmp_path, noise, "noise").to_dict()["overall"]
    # White noise: power uniform over 20 Hz - 20 kHz: centroid in the middle, 85 % at 17 kHz.
    assert white["spectral_centroid_hz"] == pytest.approx(10010.0, rel=0.02)
    assert white["spectral_rolloff_hz"] == pytest.approx(20.0 + 0.85 * 19980.0, rel=0.02)
    # A periodogram of Gaussian noise: geometric / arithmetic mean = exp(-Euler's gamma) = 0.56.
    assert white["spectral_flatness"] == pytest.approx(math.exp(-0.5772), abs=0.03)


def test_thd_of_known_harmonics(tmp_path):
    t = np.arange(5 * RATE) / RATE
    fundamental = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    harmonics = 0.5 * (0.01 * np.sin(2 * np.pi * 2000.0 * t) + 0.005 * np.sin(2 * np.pi * 3000.0 * t))
    distorted = measure(tmp_path, signals.stereo(fundamental + harmonics), "distorted").to_dict()["overall"]
    assert distorted["thd_percent"] == pytest.approx(100 * math.hypot(0.01, 0.005), abs=0.03)
    clean = measure(tmp_path, signals.stereo(fundamental), "clean").to_dict()["overall"]
    assert clean["thd_percent"] < 0.01
    noise = np.random.default_rng(7).standard_normal((3 * RATE, 2)) * 0.1
    assert measure(tmp_path, noise, "noise").to_dict()["overall"]["thd_percent"] is None


def test_harmonic_ratio(tmp_path):
    tone = measure(tmp_path, signals.stereo(signals.sine(440.0, 4.0, RATE)), "tone").to_dict()["overall"]
    assert tone["harmonic_ratio"] > 0.95
    clicks = np.zeros(4 * RATE)
    clicks[:: RATE // 10] = 0.9
    train = measure(tmp_path, signals.stereo(clicks), "clicks").to_dict()["overall"]
    assert train["harmonic_ratio"] < 0.25
    noise = np.random.default_rng(8).standard_normal((4 * RATE, 2)) * 0.1
    white = measure(tmp_path, noise, "noise").to_dict()["overall"]
    assert white["harmonic_ratio"] == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("attack_ms", [5.0, 15.0, 30.0])
def test_attack_time_is_the_10_to_90_percent_rise(tmp_path, attack_ms):
    """A linear rise over T ms passes 10 % and 90 % of its height 0.8 T apart."""
    overall = measure(tmp_path, signals.stereo(hits(attack_ms))).to_dict()["overall"]
    assert overall["attack_time_ms"] == pytest.approx(0.8 * attack_ms, abs=2.0)


def test_transients_of_sharp_hits_and_of_squashed_hits(tmp_path):
    sharp = hits(0.0)
    squashed = np.tanh(sharp * 30) / np.tanh(30 * np.abs(sharp).max()) * 0.9  # +30 dB into a soft clipper
    sharp_result = measure(tmp_path, signals.stereo(sharp), "sharp").to_dict()["overall"]
    squashed_result = measure(tmp_path, signals.stereo(squashed), "squashed").to_dict()["overall"]
    assert sharp_result["attack_time_ms"] < 2.0
    assert sharp_result["transient_preservation"] > 0.8
    assert squashed_result["transient_preservation"] < 0.4
    assert squashed_result["crest_factor_db"] < sharp_result["crest_factor_db"] - 10


def test_a_steady_tone_has_no_onsets(tmp_path):
    overall = measure(tmp_path, signals.stereo(signals.sine(220.0, 4.0, RATE))).to_dict()["overall"]
    assert overall["attack_time_ms"] is None
    assert overall["transient_preservation"] is None


# --- result shape and vector ---------------------------------------------------------------------

OVERALL_KEYS = [
    "integrated_lufs", "loudness_range_lu", "true_peak_dbtp", "sample_peak_dbfs", "momentary_max_lufs",
    "short_term_max_lufs", "rms_dbfs", "crest_factor_db", "plr_db", "dynamic_range_db", "stereo_width",
    "phase_correlation", "spectral_centroid_hz", "spectral_rolloff_hz", "spectral_flatness", "thd_percent",
    "harmonic_ratio", "transient_preservation", "attack_time_ms",
]  # fmt: skip
BAND_KEYS = [
    "band", "low_hz", "high_hz", "energy_db", "energy_share", "peak_dbfs", "rms_dbfs", "crest_factor_db",
    "dynamic_range_db", "spectral_centroid_hz", "spectral_flatness", "stereo_width", "phase_correlation",
]  # fmt: skip


def test_result_shape(tmp_path):
    result = measure(tmp_path, signals.music_like(6.0, RATE, seed=1)).to_dict()
    assert list(result) == ["file", "overall", "bands", "vector", "loudness_series", "platforms"]
    assert list(result["overall"]) == OVERALL_KEYS
    assert all(list(b) == BAND_KEYS for b in result["bands"])
    assert list(result["file"]) == ["duration_seconds", "sample_rate", "channels", "format", "subtype"]
    assert list(result["loudness_series"]) == ["interval_seconds", "momentary", "short_term"]
    assert all(
        list(p) == ["platform", "reference_lufs", "gain_db", "true_peak_after_dbtp"] for p in result["platforms"]
    )
    assert all(value is not None for value in result["overall"].values())
    json.dumps(result, allow_nan=False)


def test_vector_is_deterministic_and_meaningful(tmp_path):
    mix = signals.write(tmp_path / "mix.wav", signals.music_like(8.0, RATE, seed=1), RATE, "PCM_24")
    first, second = analyze(mix).vector, analyze(mix).vector
    assert len(first) == 128
    assert first == second  # bit for bit
    assert all(v == 0.0 for v in first[83:])  # reserved
    assert signals.cosine(first, first) == pytest.approx(1.0)
    other_mix = measure(tmp_path, signals.music_like(8.0, RATE, seed=2, tempo=100.0), "other").vector
    tone = measure(tmp_path, signals.stereo(signals.sine(1000.0, 8.0, RATE, dbfs=-20.0)), "tone").vector
    noise = measure(tmp_path, np.random.default_rng(9).standard_normal((8 * RATE, 2)) * 0.3, "noise").vector
    similar = signals.cosine(first, other_mix)
    assert similar > 0.8
    assert signals.cosine(first, tone) < similar - 0.3
    assert signals.cosine(first, noise) < similar - 0.3
    assert signals.cosine(tone, noise) < 0.5


def test_block_size_does_not_change_the_results(tmp_path):
    path = signals.write(tmp_path / "mix.wav", signals.music_like(6.0, RATE, seed=3), RATE, "FLOAT")
    small, large = analyze(path, block_seconds=0.25).to_dict(), analyze(path, block_seconds=5.0).to_dict()
    for key in OVERALL_KEYS:
        assert small["overall"][key] == pytest.approx(large["overall"][key], rel=1e-4, abs=1e-4), key
    assert small["loudness_series"] == large["loudness_series"]
    np.testing.assert_allclose(small["vector"], large["vector"], atol=1e-4)


# --- building blocks -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [7, 9])
def test_median_networks_are_exact(size):
    # 0-1 principle: a comparator network selects the median of every input if it does for all 0/1 inputs.
    for bits in itertools.product([0.0, 1.0], repeat=size):
        arrays = [np.array([b]) for b in bits]
        assert median_of(arrays)[0] == np.median(bits)
    data = np.random.default_rng(10).standard_normal((size, 1000))
    np.testing.assert_array_equal(median_of(list(data)), np.median(data, axis=0))


def test_histogram_percentiles():
    values = np.random.default_rng(11).normal(-20.0, 6.0, 20000)
    histogram = Histogram(-160.0, 40.0, 0.01)
    for chunk in np.array_split(values, 7):
        histogram.add(chunk)
    for q in (10, 50, 95):
        assert histogram.percentile(q) == pytest.approx(np.percentile(values, q), abs=0.02)
    assert Histogram(0, 1, 0.1).percentile(50) is None
