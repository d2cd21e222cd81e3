"""The vectorised true-peak interpolator against libebur128's own MODE_TRUE_PEAK, sample for sample.

No file and no engine: the same float32 samples go to `TruePeak` and to pyebur128, in blocks that
cross the interpolator's chunks and its history at odd places.
"""

import numpy as np
import pyebur128
import pytest

from mastering.analysis import truepeak
from mastering.analysis.truepeak import TruePeak, interpolator, oversampling_factor
from tests.mastering import signals


def libebur128(samples: np.ndarray, rate: int) -> tuple[float, float]:
    state = pyebur128.R128State(samples.shape[1], rate, pyebur128.MeasurementMode.MODE_TRUE_PEAK)
    state.add_frames(np.ascontiguousarray(samples).reshape(-1), len(samples))
    channels = range(samples.shape[1])
    return max(pyebur128.get_true_peak(state, c) for c in channels), max(
        pyebur128.get_sample_peak(state, c) for c in channels
    )


def measure(samples: np.ndarray, rate: int, block: int) -> tuple[float, float]:
    meter = TruePeak(rate, samples.shape[1])
    for start in range(0, len(samples), block):
        meter.push(samples[start : start + block])
    meter.push(samples[:0])  # an empty block changes nothing
    return meter.finish()


@pytest.fixture(scope="module", params=[44100, 96000, 192000])
def mix(request):
    rate = request.param
    loud = signals.music_like(1.5, rate, seed=9) * 3.0  # inter-sample peaks above full scale
    return rate, np.ascontiguousarray(np.clip(loud, -1.0, 1.0), dtype=np.float32)


@pytest.mark.parametrize("block", [4097, 1, 7])
def test_reads_what_libebur128_reads(mix, block):
    rate, samples = mix
    samples = samples[:20_000] if block < 100 else samples
    true_peak, sample_peak = measure(samples, rate, block)
    reference, reference_sample = libebur128(samples, rate)
    assert true_peak == pytest.approx(reference, rel=1e-5)
    assert sample_peak == pytest.approx(reference_sample, rel=1e-7)
    if oversampling_factor(rate) > 1:
        assert true_peak > sample_peak  # the peaks between samples are found


def test_a_negative_peak_counts_as_much_as_a_positive_one():
    rate = 48000
    samples = np.zeros((2000, 2), dtype=np.float32)
    samples[1000, 1] = -0.9
    true_peak, sample_peak = measure(samples, rate, 333)
    reference, reference_sample = libebur128(samples, rate)
    assert sample_peak == pytest.approx(0.9) == pytest.approx(reference_sample)
    assert true_peak == pytest.approx(reference, rel=1e-5)


def test_a_peak_at_a_chunk_edge_is_not_lost(monkeypatch):
    monkeypatch.setattr(truepeak, "CHUNK_FRAMES", 64)
    rate = 44100
    t = np.arange(640) / rate
    samples = np.stack([np.sin(2 * np.pi * 11025.0 * t + 0.785)] * 2, axis=1).astype(np.float32) * 0.5
    true_peak, _ = measure(samples, rate, 640)
    reference, _ = libebur128(samples, rate)
    assert true_peak == pytest.approx(reference, rel=1e-5)


def test_a_block_longer_than_a_chunk_is_read_to_its_end():
    rate = 48000
    samples = np.zeros((3 * truepeak.CHUNK_FRAMES + 5, 2), dtype=np.float32)
    samples[-3, 0] = 0.7  # a positive peak, in the last chunk
    true_peak, sample_peak = measure(samples, rate, len(samples))
    assert sample_peak == pytest.approx(0.7)
    assert true_peak == pytest.approx(libebur128(samples, rate)[0], rel=1e-5)


def test_silence_reads_zero():
    assert measure(np.zeros((1000, 1), dtype=np.float32), 48000, 100) == (0.0, 0.0)


@pytest.mark.parametrize(("rate", "factor"), [(44100, 4), (95999, 4), (96000, 2), (191999, 2), (192000, 1)])
def test_oversampling_factor(rate, factor):
    assert oversampling_factor(rate) == factor


@pytest.mark.parametrize("factor", [2, 4])
def test_the_interpolator_is_libebur128s(factor):
    """Component p holds taps p, p + factor, ... of the 49-tap Hann-windowed sinc; the unit impulse is dropped."""
    j = np.arange(49)
    m = j - 24
    taps = np.sinc(m / factor) * 0.5 * (1 - np.cos(2 * np.pi * j / 48))
    phases = interpolator(factor)
    length = (49 + factor - 1) // factor
    assert phases.shape == (factor - 1, length)
    for p in range(1, factor):
        expected = np.zeros(length)
        expected[: len(taps[p::factor])] = taps[p::factor]
        assert phases[p - 1] == pytest.approx(expected, abs=1e-15)
    # What TruePeak's halved arithmetic relies on: trimmed to an even length, component
    # factor - p is component p reversed.
    meter = TruePeak(48000 * 4 // factor, 1)
    assert meter.length % 2 == 0
    for p in range(1, factor):
        assert meter.phases[p - 1] == pytest.approx(meter.phases[factor - p - 1][::-1], abs=1e-15)
