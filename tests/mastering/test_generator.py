"""mastering.generator against oracles that are not the generator.

- The genre facts the profiles document (tempo ranges, loudness ranges, kick patterns, bass
  styles), written out again here from the brief, not read from PROFILES.
- ffmpeg's ebur128 filter, an independent BS.1770 meter, for loudness and true peak.
- Tempo from the mix alone: the autocorrelation of a spectral-flux onset envelope.
- Kick and snare positions from the isolated parts' envelopes, against the step grid the
  documented patterns give.
- An FFT for the low-band share, soundfile for the WAV, BS.1770's own calibration (a 997 Hz sine
  at 0 dBFS in one channel reads -3.01 LKFS) for the generator's meter.

Renders are 12 s (at least 6 bars at the slowest tempo) to keep the suite quick; the
mastering chain only looks a few milliseconds around each sample, so 30 s behaves the same.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal
from scipy.ndimage import maximum_filter1d

from mastering import generator
from mastering.generator import BUILT_IN, PROFILES, integrated_loudness, render, render_parts, write_wav

SR = 44100
SECONDS = 12.0
CEILING = 10 ** (-0.3 / 20)
GENRES = ("Psytrance", "Trance", "Techno", "House", "Drum & Bass", "Dubstep")

# What the brief documents, as (tempo range, typical loudness range).
DOCUMENTED = {
    "Psytrance": ((140, 148), (-9, -7)),
    "Trance": ((136, 140), (-10, -8)),
    "Techno": ((125, 135), (-10, -8)),
    "House": ((120, 126), (-10, -8)),
    "Drum & Bass": ((172, 176), (-9, -7)),
    "Dubstep": ((140, 140), (-9, -7)),
}
# 16th steps of a 4/4 bar where the kick and the snare or clap hit.
KICKS = {
    "four-on-the-floor": {0, 4, 8, 12},
    "two-step": {0, 10},  # 1 and the "and" of 3
    "half-time": {0},
}
SNARES = {"four-on-the-floor": {4, 12}, "two-step": {4, 12}, "half-time": {8}}  # half time: on 3
KICK_PATTERN = {"Drum & Bass": "two-step", "Dubstep": "half-time"}  # the others: four-on-the-floor


@pytest.fixture(scope="module")
def renders() -> dict[str, np.ndarray]:
    return {spec.name: render(spec, seconds=SECONDS) for spec in BUILT_IN}


def one_per_genre() -> list:
    return [next(spec for spec in BUILT_IN if spec.genre == genre) for genre in GENRES]


# --- The catalogue ---------------------------------------------------------------------------


def test_twenty_four_generated_specs_four_per_genre_with_unique_names():
    assert len(BUILT_IN) == 24
    assert Counter(spec.genre for spec in BUILT_IN) == dict.fromkeys(GENRES, 4)
    assert set(PROFILES) == set(GENRES)
    assert len({spec.name for spec in BUILT_IN}) == 24
    assert len({spec.seed for spec in BUILT_IN}) == 24
    for spec in BUILT_IN:
        assert re.fullmatch(rf"Generated {re.escape(spec.genre)} profile [1-4]", spec.name)
        assert spec.artist == "Generated profile"
        assert spec.year is None or isinstance(spec.year, int)


def test_profiles_hold_the_documented_genre_numbers():
    for genre, (tempo_range, loudness_range) in DOCUMENTED.items():
        profile = PROFILES[genre]
        assert profile.genre == genre
        assert profile.tempo_bpm == tempo_range
        assert profile.loudness_lufs == loudness_range
        assert profile.kick_pattern == KICK_PATTERN.get(genre, "four-on-the-floor")
        assert 0 <= profile.lead.width <= 1
        for pattern in (profile.kick_steps, profile.snare_steps, profile.hats_steps, profile.bass.steps):
            assert len(pattern) == 16
    assert "rolling 16th" in PROFILES["Psytrance"].bass.character
    assert "reese" in PROFILES["Drum & Bass"].bass.character
    assert "wobble" in PROFILES["Dubstep"].bass.character
    assert PROFILES["Dubstep"].bass.brightness == "wobble"
    assert PROFILES["Psytrance"].bass.steps == ".xxx" * 4  # three 16ths between the kicks


def test_each_spec_is_a_variation_inside_its_genre_ranges():
    for genre, ((slow, fast), (quiet, loud)) in DOCUMENTED.items():
        specs = [spec for spec in BUILT_IN if spec.genre == genre]
        for spec in specs:
            assert slow <= spec.tempo <= fast
            assert quiet <= spec.target_lufs <= loud
        if slow < fast:
            assert len({spec.tempo for spec in specs}) == 4
        assert len({spec.target_lufs for spec in specs}) == 4
        assert len({spec.balance_offset_db for spec in specs}) == 4


# --- The audio -------------------------------------------------------------------------------


def test_the_same_spec_renders_the_same_bytes_and_another_seed_does_not():
    first, second = BUILT_IN[0], BUILT_IN[1]
    assert render(first, seconds=3.0).tobytes() == render(first, seconds=3.0).tobytes()
    assert render(first, seconds=3.0).tobytes() != render(second, seconds=3.0).tobytes()


def test_every_render_is_stereo_float32_finite_and_under_the_ceiling(renders):
    for name, audio in renders.items():
        assert audio.shape == (round(SECONDS * SR), 2), name
        assert audio.dtype == np.float32, name
        assert np.isfinite(audio).all(), name
        assert np.abs(audio).max() <= CEILING + 1e-6, name  # -0.3 dBFS, so under 0 dBFS
        assert np.abs(audio).max() > CEILING * 10 ** (-1 / 20), name  # and a master, not a quiet mix


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's summary."""
    run = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = run.stderr[run.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


def test_loudness_is_the_target_by_ffmpeg_and_true_peaks_stay_near_the_ceiling(renders, tmp_path):
    path = tmp_path / "render.wav"
    for spec in BUILT_IN:
        sf.write(path, renders[spec.name], SR, subtype="FLOAT")
        integrated, true_peak = ebur128(path)
        assert integrated == pytest.approx(spec.target_lufs, abs=0.5), spec.name
        assert true_peak <= -0.3 + 0.8, spec.name  # oversampled peaks: a few tenths over the ceiling at most


def onset_tempo(audio: np.ndarray) -> float:
    """BPM from the mix: spectral flux, its autocorrelation, and the beat period (100-200 BPM) whose
    first four multiples correlate best."""
    hop = 128
    mono = audio.astype(np.float64).mean(axis=1)
    _, _, spectrum = signal.stft(mono, SR, nperseg=1024, noverlap=1024 - hop, boundary=None, padded=False)
    flux = np.maximum(np.diff(np.log1p(1000 * np.abs(spectrum)), axis=1), 0).sum(axis=0)
    flux -= flux.mean()
    size = 1 << (2 * len(flux)).bit_length()
    transform = np.fft.rfft(flux, size)
    correlation = np.fft.irfft(transform * np.conj(transform), size)[: len(flux)]
    bpm = np.arange(100.0, 200.0, 0.05)
    lag = 60 / bpm * SR / hop
    lags = np.arange(len(correlation))
    score = sum(np.interp(k * lag, lags, correlation) for k in range(1, 5))
    return float(bpm[np.argmax(score)])


def test_the_tempo_heard_in_each_mix_is_its_spec_tempo(renders):
    for spec in BUILT_IN:
        assert onset_tempo(renders[spec.name]) == pytest.approx(spec.tempo, abs=2.0), spec.name


def hits(part: np.ndarray) -> np.ndarray:
    """Start times (s) of the hits of an isolated part: where its 10 ms envelope rises through a
    fifth of its peak after having fallen under a tenth (so a clap's bursts, or a noise tail
    wavering around the threshold, are one hit)."""
    window = round(0.01 * SR)  # the highest magnitude over the last 10 ms
    envelope = maximum_filter1d(np.abs(part).max(axis=1), window, origin=(window - 1) // 2)
    above, quiet = envelope > 0.2 * envelope.max(), envelope < 0.1 * envelope.max()
    rises = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    rises = np.concatenate([[0], rises]) if above[0] else rises
    kept = [rises[0]]
    for rise in rises[1:]:
        if quiet[kept[-1] : rise].any():
            kept.append(rise)
    return np.array(kept) / SR


@pytest.mark.parametrize("spec", one_per_genre(), ids=lambda spec: spec.genre)
def test_kick_and_snare_hit_where_the_genre_pattern_says(spec):
    parts = render_parts(spec, seconds=6.0)
    pattern = KICK_PATTERN.get(spec.genre, "four-on-the-floor")
    sixteenth = 60 / spec.tempo / 4
    for part, steps in (("kick", KICKS[pattern]), ("snare", SNARES[pattern])):
        expected = [k * sixteenth for k in range(int(6.0 / sixteenth) + 1) if k % 16 in steps and k * sixteenth < 6.0]
        found = hits(parts[part])
        assert len(found) == len(expected), (part, found)
        # The envelope rises a little after the step starts (attack, the 20% threshold).
        assert np.all(np.abs(found - np.array(expected)) < 0.01), (part, found - np.array(expected))


def low_share(audio: np.ndarray, below_hz: float = 150.0) -> float:
    mono = audio.astype(np.float64).mean(axis=1)
    power = np.abs(np.fft.rfft(mono)) ** 2
    return float(power[np.fft.rfftfreq(len(mono), 1 / SR) < below_hz].sum() / power.sum())


def test_dubstep_and_drum_and_bass_carry_more_low_end_than_house(renders):
    # What the profiles say: more bass against the kick, no brighter a bus.
    for heavy in ("Dubstep", "Drum & Bass"):
        assert PROFILES[heavy].balance_db.bass >= PROFILES["House"].balance_db.bass + 4
        assert PROFILES[heavy].tilt_db_per_octave <= PROFILES["House"].tilt_db_per_octave
    shares = {spec.name: low_share(renders[spec.name]) for spec in BUILT_IN}
    house = [shares[spec.name] for spec in BUILT_IN if spec.genre == "House"]
    heavy = [shares[spec.name] for spec in BUILT_IN if spec.genre in ("Dubstep", "Drum & Bass")]
    assert min(heavy) > max(house) + 0.02, (heavy, house)


def side_to_mid(stereo: np.ndarray) -> float:
    mid, side = stereo.sum(axis=1) / 2, (stereo[:, 0] - stereo[:, 1]) / 2
    return float(np.sum(side**2) / np.sum(mid**2))


def test_a_lead_profiled_wider_has_more_side_energy():
    leads = {spec.genre: side_to_mid(render_parts(spec, seconds=4.0)["lead"]) for spec in one_per_genre()}
    widths = {genre: PROFILES[genre].lead.width for genre in GENRES}
    pairs = [(a, b) for a in GENRES for b in GENRES if widths[a] >= widths[b] + 0.3]
    assert len(pairs) >= 5
    for wide, narrow in pairs:
        assert leads[wide] > leads[narrow], (wide, narrow, leads)
    assert all(side_to_mid(render_parts(spec, seconds=2.0)["bass"]) == 0 for spec in one_per_genre())  # mono low end


def test_duration_and_sample_rate_are_the_callers():
    spec = BUILT_IN[5]
    audio = render(spec, seconds=2.5, sample_rate=48000)
    assert audio.shape == (120000, 2)
    assert integrated_loudness(audio, 48000) == pytest.approx(spec.target_lufs, abs=0.5)
    for bad in ({"seconds": 0}, {"seconds": -1.0}, {"seconds": float("nan")}, {"sample_rate": 8000}):
        with pytest.raises(ValueError):
            render(spec, **bad)


def test_write_wav_writes_the_render_as_24_bit_pcm(tmp_path):
    spec = BUILT_IN[9]
    path = write_wav(spec, tmp_path / "reference.wav", seconds=3.0)
    info = sf.info(path)
    assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == ("WAV", "PCM_24", SR, 2, 3 * SR)
    written, _ = sf.read(path, dtype="float64")
    assert np.abs(written - render(spec, seconds=3.0)).max() <= 2**-23  # one 24-bit step


# --- The generator's own meter ---------------------------------------------------------------


def test_meter_reads_bs1770s_calibration_tone():
    for rate in (44100, 48000):
        tone = np.sin(2 * np.pi * 997 * np.arange(5 * rate) / rate)
        assert integrated_loudness(tone[:, None], rate) == pytest.approx(-3.01, abs=0.02)  # one channel, 0 dBFS
        stereo = 0.1 * np.stack([tone, tone], axis=1)  # -20 dBFS in both channels: -3.01 + 3.01 - 20
        assert integrated_loudness(stereo, rate) == pytest.approx(-20.0, abs=0.02)
    assert integrated_loudness(np.zeros((SR, 2)), SR) == -np.inf


def test_meter_gates_like_ffmpeg(tmp_path):
    rate = 48000
    tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(5 * rate) / rate)
    # Loud, silent (absolute gate), 40 dB quieter (relative gate), louder again.
    audio = np.concatenate([tone, np.zeros(3 * rate), 0.01 * tone, 0.5 * tone])
    stereo = np.stack([audio, 0.7 * audio], axis=1)
    sf.write(tmp_path / "gated.wav", stereo, rate, subtype="FLOAT")
    integrated, _ = ebur128(tmp_path / "gated.wav")
    assert integrated_loudness(stereo, rate) == pytest.approx(integrated, abs=0.1)


def test_the_generator_is_pure():
    code = (
        "import sys, mastering.generator; "
        "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(generator.__file__).parent.parent, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
