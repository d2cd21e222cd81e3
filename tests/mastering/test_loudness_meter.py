"""The loudness meter against libebur128's own readings, to the hundredth of an LU.

The oracle is pyebur128's Python API (not the meter's ctypes binding), fed the same samples
100 ms at a time: after each step its momentary and short-term loudness are the M and S readings
the meter must give, and its integrated loudness the meter's I. The loudness range is computed
here from those S readings as EBU Tech 3342 defines it (full 3 s windows, the -70 LUFS absolute
gate, the -20 LU relative gate, the 10th and 95th percentiles, with numpy's inverted-CDF
percentile), so a wrong window, gate or percentile in the meter shows as a difference.
"""

import math

import numpy as np
import pyebur128
import pytest

from mastering.analysis import loudness
from mastering.analysis.loudness import DecimatingSeries, LoudnessMeter

RATE = 48000
STEP = RATE // 10


def ramp(seconds: float, *, start_db: float, end_db: float, frequency: float = 997.0) -> np.ndarray:
    """A stereo sine whose level moves linearly in dB: short-term readings spread over the range."""
    t = np.arange(int(seconds * RATE)) / RATE
    level = start_db + (end_db - start_db) * t / seconds
    mono = 10 ** (level / 20) * np.sin(2 * np.pi * frequency * t)
    right = 10 ** (level / 20) * np.sin(2 * np.pi * frequency * 1.5 * t)
    return np.ascontiguousarray(np.stack([mono, right], axis=1), dtype=np.float32)


def oracle(samples: np.ndarray) -> dict:
    modes = pyebur128.MeasurementMode
    state = pyebur128.R128State(samples.shape[1], RATE, modes.MODE_M | modes.MODE_S | modes.MODE_I)
    momentary, short_term = [], []
    for start in range(0, len(samples) - STEP + 1, STEP):
        block = np.ascontiguousarray(samples[start : start + STEP])
        state.add_frames(block.reshape(-1), STEP)
        momentary.append(pyebur128.get_loudness_momentary(state))
        short_term.append(pyebur128.get_loudness_shortterm(state))
    full = np.array(short_term[29:])  # windows of a whole 3 s
    gated = full[full >= -70.0]
    lra = None
    if len(gated):
        mean = 10 * math.log10(np.mean(10 ** (gated / 10)))
        kept = gated[gated >= mean - 20.0]
        high, low = (np.percentile(kept, q, method="inverted_cdf") for q in (95, 10))
        lra = float(high - low)
    return {
        "momentary": momentary,
        "short_term": short_term,
        "integrated": pyebur128.get_loudness_global(state),
        "lra": lra,
    }


def measure(samples: np.ndarray, block_frames: int = 7777) -> loudness.LoudnessSummary:
    meter = LoudnessMeter(samples.shape[1], RATE)
    for start in range(0, len(samples), block_frames):  # blocks that do not line up with the 100 ms steps
        meter.feed(np.ascontiguousarray(samples[start : start + block_frames]))
    return meter.finish()


def gated(values) -> list:
    return [v if math.isfinite(v) and v >= -70.0 else None for v in values]


@pytest.fixture(scope="module")
def swell():
    samples = ramp(40.0, start_db=-45.0, end_db=-6.0)
    return samples, oracle(samples)


def test_momentary_and_short_term_readings_are_libebur128s(swell):
    samples, expected = swell
    summary = measure(samples)
    assert summary.interval_seconds == 0.1
    assert summary.momentary == pytest.approx(gated(expected["momentary"]), abs=1e-6)
    assert summary.short_term == pytest.approx(gated(expected["short_term"]), abs=1e-6)
    assert summary.momentary_max_lufs == pytest.approx(max(expected["momentary"]), abs=1e-6)
    assert summary.short_term_max_lufs == pytest.approx(max(expected["short_term"]), abs=1e-6)
    assert summary.integrated_lufs == pytest.approx(expected["integrated"], abs=1e-6)


def test_loudness_range_is_tech_3342_over_the_10_hz_readings(swell):
    samples, expected = swell
    assert measure(samples).loudness_range_lu == pytest.approx(expected["lra"], abs=0.011)
    assert expected["lra"] > 15  # a range wide enough that a wrong percentile or gate moves it


@pytest.mark.parametrize("block_frames", [STEP, 1, 100_000])
def test_how_the_samples_are_blocked_changes_nothing(swell, block_frames):
    samples, expected = swell
    short = samples[: 12 * RATE]
    reference = measure(short)
    again = measure(short, block_frames=block_frames)
    assert again.short_term == pytest.approx(reference.short_term, abs=1e-9)
    assert again.loudness_range_lu == pytest.approx(reference.loudness_range_lu, abs=1e-9)


def test_a_quiet_start_below_the_absolute_gate_is_left_out_of_the_range():
    samples = np.concatenate([ramp(5.0, start_db=-100.0, end_db=-90.0), ramp(20.0, start_db=-30.0, end_db=-10.0)])
    expected = oracle(samples)
    summary = measure(samples)
    assert summary.loudness_range_lu == pytest.approx(expected["lra"], abs=0.011)
    assert summary.short_term[:20] == tuple([None] * 20)  # below -70 LUFS: no reading


@pytest.mark.parametrize(("seconds", "readings"), [(2.9, 0), (3.0, 1), (4.0, 11)])
def test_only_full_3_second_windows_count_for_the_range(seconds, readings):
    meter = LoudnessMeter(2, RATE)
    meter.feed(ramp(seconds, start_db=-20.0, end_db=-20.0))
    assert meter._lra_count == readings
    summary = meter.finish()
    if readings:
        assert summary.loudness_range_lu == pytest.approx(0.0, abs=0.011)
    else:  # loud enough for an integrated loudness, too short for a range
        assert summary.integrated_lufs is not None and summary.loudness_range_lu is None


def test_a_steady_tone_has_no_range_at_all():
    samples = ramp(8.0, start_db=-20.0, end_db=-20.0)
    summary = measure(samples)
    assert summary.loudness_range_lu == pytest.approx(0.0, abs=0.011)


def test_the_gate_itself_is_kept():
    assert loudness._gated(-70.0) == -70.0
    assert loudness._gated(-70.0001) is None
    assert loudness._gated(math.nan) is None
    assert loudness._gated(math.inf) is None
    assert loudness._gated(-math.inf) is None


def test_energy_to_lufs():
    values = loudness._lufs(np.array([0.0, 1.0, 10 ** (-2.3)]))
    assert values[0] == -math.inf
    assert values[1] == pytest.approx(-0.691)
    assert values[2] == pytest.approx(-23.691)


def test_digital_silence_measures_nothing():
    summary = measure(np.zeros((5 * RATE, 2), dtype=np.float32))
    assert summary.integrated_lufs is None and summary.loudness_range_lu is None
    assert summary.momentary_max_lufs is None and summary.short_term_max_lufs is None
    assert set(summary.short_term) == {None}


def test_the_meter_runs_libebur128_without_the_gil_and_the_fallback_agrees(swell, monkeypatch):
    samples, expected = swell
    short = np.ascontiguousarray(samples[: 10 * RATE])
    monkeypatch.setattr(loudness._CtypesBackend, "_lib", None)  # bound afresh, as in a new process
    meter = LoudnessMeter(2, RATE)
    assert meter.releases_gil  # the ctypes binding, not the fallback
    meter.close()
    reference = measure(short)

    def missing(cls):
        raise OSError("no libebur128 symbols")

    monkeypatch.setattr(loudness._CtypesBackend, "library", classmethod(missing))
    fallback = LoudnessMeter(2, RATE)
    assert not fallback.releases_gil
    fallback.close()
    again = measure(short)
    assert again.short_term == pytest.approx(reference.short_term, abs=1e-9)
    assert again.integrated_lufs == pytest.approx(reference.integrated_lufs, abs=1e-9)


def test_mono_is_measured_as_one_channel():
    samples = ramp(6.0, start_db=-20.0, end_db=-20.0)[:, :1].copy()
    modes = pyebur128.MeasurementMode
    state = pyebur128.R128State(1, RATE, modes.MODE_I)
    state.add_frames(samples.reshape(-1), len(samples))
    assert measure(samples).integrated_lufs == pytest.approx(pyebur128.get_loudness_global(state), abs=1e-6)


# --- the decimated series ------------------------------------------------------------------------


def test_a_series_within_the_cap_keeps_every_reading():
    series = DecimatingSeries(max_points=10)
    series.extend([1.0, 3.0, 2.0, 2.0])
    assert series.finish() == [1.0, 3.0, 2.0, 2.0] and series.factor == 1


def test_the_cap_itself_is_allowed():
    series = DecimatingSeries(max_points=4)
    series.extend([1.0, 2.0, 3.0, 4.0])
    assert series.finish() == [1.0, 2.0, 3.0, 4.0] and series.factor == 1


def test_passing_the_cap_merges_pairs_into_their_maximum():
    series = DecimatingSeries(max_points=4)
    series.extend([5.0, 1.0, 2.0, 7.0, 3.0])  # five points: pairs merge, the odd one waits
    assert series.factor == 2
    series.extend([4.0])
    assert series.finish() == [5.0, 7.0, 4.0]


def test_an_odd_point_left_by_a_merge_is_completed_by_the_next_readings():
    series = DecimatingSeries(max_points=2)
    series.extend([1.0, 2.0, 9.0])  # 3 > 2: [2.0], and 9.0 waits for a partner
    assert series.points == [2.0] and series.factor == 2
    series.extend([0.5])
    assert series.finish() == [2.0, 9.0]


def test_an_incomplete_last_point_is_kept_with_its_maximum():
    series = DecimatingSeries(max_points=2)
    series.extend([1.0, 2.0, 3.0, 4.0, -1.0])
    assert series.factor == 2
    assert series.finish() == [2.0, 4.0, -1.0]
    assert series.finish() == [2.0, 4.0, -1.0]  # finishing twice adds nothing


def test_each_merge_doubles_the_readings_per_point():
    series = DecimatingSeries(max_points=3)
    series.extend([float(v) for v in range(16)])
    assert series.factor == 8
    assert series.finish() == [7.0, 15.0]


def test_a_series_read_out_can_go_on():
    series = DecimatingSeries(max_points=4)
    series.extend([1.0, 2.0, 3.0, 4.0, 5.0])  # points of 2: [2.0, 4.0], and 5.0 waiting for its partner
    assert series.finish() == [2.0, 4.0, 5.0]  # the incomplete point is read out...
    series.extend([0.5, 0.25])  # ...and the next point starts afresh
    assert series.finish() == [2.0, 4.0, 5.0, 0.5]


def test_a_long_series_says_how_long_each_point_is():
    meter = LoudnessMeter(2, RATE, series_points=10)
    meter.feed(ramp(4.15, start_db=-30.0, end_db=-10.0))  # 41 readings: 10 points of 4 and one of 1
    summary = meter.finish()
    assert summary.interval_seconds == 0.4
    assert len(summary.short_term) == len(summary.momentary) == 11
    assert summary.momentary[-1] == summary.momentary_max_lufs  # the last point: the loudest reading


def test_equal_readings_merge_to_themselves():
    series = DecimatingSeries(max_points=1)
    series.extend([-math.inf, -math.inf, -math.inf])
    assert series.finish() == [-math.inf, -math.inf]
